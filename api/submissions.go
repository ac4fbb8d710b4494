package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/store"
)

// formSlack is what a multipart body may hold beyond the file: boundaries, part headers
// and the small fields.
const formSlack = 64 << 10

// submit answers POST /submissions: a multipart form with the file and, optionally,
// template, period (YYYY-MM), accept_valid and dry_run. The answer is the receipt exactly as
// the CLI makes it, whatever became of the file (a rejected file is a receipt too, 200);
// a file over the limit is 413; a template the uploader may not submit is 403, and then
// nothing is stored.
func (s *Server) submit(c *gin.Context) {
	rc, err := s.Upload(c, callerOf(c).tok, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, rc)
}

// Upload reads the multipart form of c's request (the file, and optionally template,
// period, accept_valid and dry_run), takes its turn among the uploads, ingests the file as
// who and returns the receipt. Any other small field goes to check, which is called once
// the form is read and before anything is ingested: the pages check their CSRF token there;
// an error from it is returned as it is. The API's POST /submissions and the upload page
// both call it.
func (s *Server) Upload(c *gin.Context, who *Token, check func(fields map[string]string) error) (*qiancun.Receipt, error) {
	max := s.cfg.MaxUploadBytes
	if c.Request.ContentLength > max+formSlack {
		return nil, &http.MaxBytesError{Limit: max}
	}
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max+formSlack)
	// The body must arrive in time; a slow sender gets an error, and holds no upload slot
	// meanwhile: the file is spooled to disk first, and a slot taken only to check it.
	rcon := http.NewResponseController(c.Writer)
	_ = rcon.SetReadDeadline(time.Now().Add(s.cfg.UploadReadTimeout)) // not every writer can
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, errParam("file", "请求体应为 multipart/form-data，文件放在名为 file 的部分")
	}
	var (
		name     string
		spool    *os.File
		size     int64
		opt      = ingest.Options{Uploader: who.Name, Log: s.log}
		haveFile bool
		extra    = map[string]string{}
	)
	defer func() {
		if spool != nil {
			spool.Close()
			os.Remove(spool.Name())
		}
	}()
	if opt.Uploader == "" {
		opt.Uploader = string(who.Role)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploadErr(err)
		}
		field := p.FormName()
		switch field {
		case "file":
			if haveFile {
				return nil, errParam("file", "表单中有不止一个名为 file 的部分")
			}
			haveFile = true
			name = baseName(p.FileName())
			if spool, err = os.CreateTemp(s.cfg.Limits.TempDir, "upload-*"); err != nil {
				return nil, fmt.Errorf("spool the upload: %w", err)
			}
			size, err = io.Copy(spool, io.LimitReader(p, max+1))
			if err != nil {
				return nil, uploadErr(err)
			}
			if size > max {
				return nil, &http.MaxBytesError{Limit: max}
			}
		default:
			b, err := io.ReadAll(io.LimitReader(p, 256))
			if err != nil {
				return nil, uploadErr(err)
			}
			// The rest of an over-long or unknown part is drained and ignored.
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, uploadErr(err)
			}
			v := strings.TrimSpace(string(b))
			switch field {
			case "template":
				opt.Template = v
			case "period":
				opt.Period = v
			case "accept_valid", "dry_run":
				on, ok := parseBool(v)
				if !ok {
					return nil, errParam(field, "%s 应为 true 或 false", field)
				}
				if field == "dry_run" {
					opt.DryRun = on
				} else {
					opt.AcceptValid = on
				}
			default:
				if check != nil && len(extra) < 16 {
					extra[field] = v
				}
			}
		}
	}
	_ = rcon.SetReadDeadline(time.Time{})
	if check != nil {
		if err := check(extra); err != nil {
			return nil, err
		}
	}
	if !haveFile {
		return nil, errParam("file", "表单中没有名为 file 的部分")
	}
	if opt.Template != "" {
		if s.ts.Get(opt.Template) == nil {
			return nil, errParam("template", "未知的模板 %q", opt.Template)
		}
		if !who.MayTemplate(opt.Template) {
			return nil, errOutOfScope(opt.Template)
		}
	}
	if opt.Period != "" {
		if _, err := qiancun.ParseMonth(opt.Period); err != nil {
			return nil, errParam("period", "%v", err)
		}
	}
	// Each upload costs memory and CPU while it is checked (its file is read from the spool
	// in place, in pieces): take a turn.
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	rc, err := s.ingestWithinQuota(withScope(ctx, who), name, io.NewSectionReader(spool, 0, size), opt)
	if err != nil {
		return nil, err
	}
	if !opt.DryRun && s.metrics != nil {
		s.metrics.ObserveReceipt(rc)
	}
	if rc.Status != qiancun.Accepted && rc.Status != qiancun.Unchanged {
		s.log.Info("submission not wholly accepted", "template", rc.Template, "status", rc.Status,
			"errors", rc.Errors(), "submission_id", rc.SubmissionID, "request_id", requestID(c))
	}
	return rc, nil
}

// ingestWithinQuota ingests an upload, unless its uploader's rejected files already fill
// their storage quota: then the file is checked first without storing anything, and stored
// only if it is not rejected; a rejected one gets its receipt with a not_stored warning and
// is not kept.
func (s *Server) ingestWithinQuota(ctx context.Context, name string, src ingest.Source, opt ingest.Options) (*qiancun.Receipt, error) {
	quota := s.cfg.RejectedQuotaBytes
	if opt.DryRun || quota < 0 {
		return s.in.IngestFrom(ctx, name, src, opt)
	}
	used, err := s.st.RejectedBytes(ctx, opt.Uploader)
	if err != nil {
		return nil, err
	}
	if used+src.Size() <= quota {
		return s.in.IngestFrom(ctx, name, src, opt)
	}
	dry := opt
	dry.DryRun = true
	rc, err := s.in.IngestFrom(ctx, name, src, dry)
	if err != nil || rc.Status != qiancun.Rejected {
		if err == nil {
			rc, err = s.in.IngestFrom(ctx, name, src, opt)
		}
		return rc, err
	}
	s.log.Warn("rejected upload not stored: the uploader's rejected files fill their quota",
		"uploader", opt.Uploader, "used_bytes", used, "quota_bytes", quota)
	rc.Add(qiancun.Issue{Rule: qiancun.NotStored, Severity: qiancun.Warning, Message: fmt.Sprintf(
		"本账号已保存的未通过文件共 %d MB，超过存储配额 %d MB：本文件未通过校验，未保存；请按问题清单修改后重新上传", used>>20, quota>>20)})
	return rc, nil
}

// uploadErr keeps an over-limit body as it is (413) and makes any other failure to read
// the form a bad request.
func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return errParam("file", "无法读取 multipart 请求体：%v", err)
}

// baseName keeps only the last element of an uploaded file name, whichever the separator
// (../../x.xlsx and C:\a\b.xlsx both give the base name), without control characters.
func baseName(n string) string {
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	n = strings.TrimSpace(n)
	if n == "" || n == "." || n == ".." {
		return "upload"
	}
	return n
}

func parseBool(v string) (on, ok bool) {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false, true
	case "1", "true", "yes", "on":
		return true, true
	}
	return false, false
}

// SubmissionQuery selects submissions from the history; empty fields match all. Limit 0
// means 50.
type SubmissionQuery struct {
	Template, Period, Status string
	Limit, Offset            int
}

// SubmissionsPage is a page of the history, newest first.
type SubmissionsPage struct {
	Total       int                `json:"total"`
	Limit       int                `json:"limit"`
	Offset      int                `json:"offset"`
	Submissions []store.Submission `json:"submissions"`
}

// Submissions returns the history, newest first. An uploader sees its templates'
// submissions only (403 for another's template named).
func (s *Server) Submissions(ctx context.Context, who *Token, q SubmissionQuery) (*SubmissionsPage, error) {
	f := store.SubmissionFilter{Period: q.Period, Status: q.Status, Limit: q.Limit, Offset: q.Offset}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if t := q.Template; t != "" {
		if s.ts.Get(t) == nil {
			return nil, errParam("template", "未知的模板 %q", t)
		}
		if !who.MayTemplate(t) {
			return nil, errOutOfScope(t)
		}
		f.Templates = []string{t}
	} else if who.Role == RoleUploader {
		f.Templates = slices.Clone(who.Templates)
	}
	if f.Period != "" {
		if _, err := qiancun.ParseMonth(f.Period); err != nil {
			return nil, errParam("period", "%v", err)
		}
	}
	switch qiancun.Status(f.Status) {
	case "", qiancun.Accepted, qiancun.Partial, qiancun.Rejected:
	default:
		return nil, errParam("status", "未知的状态 %q：应为 accepted、partial 或 rejected", f.Status)
	}
	list, total, err := s.st.Submissions(ctx, f)
	if err != nil {
		return nil, err
	}
	return &SubmissionsPage{Total: total, Limit: f.Limit, Offset: f.Offset, Submissions: list}, nil
}

// submissions answers GET /submissions.
func (s *Server) submissions(c *gin.Context) {
	limit, err := intParam(c, "limit", 50, 1, 500)
	if err != nil {
		s.fail(c, err)
		return
	}
	offset, err := intParam(c, "offset", 0, 0, 1<<30)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Submissions(c.Request.Context(), callerOf(c).tok, SubmissionQuery{
		Template: c.Query("template"), Period: c.Query("period"), Status: c.Query("status"), Limit: limit, Offset: offset,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, p)
}

// Receipt returns a submission's receipt as it was made. An uploader gets 404 for a
// submission of a template not its own, as if it did not exist.
func (s *Server) Receipt(ctx context.Context, who *Token, id int64) (*qiancun.Receipt, error) {
	rc, err := s.st.Receipt(ctx, id)
	if err != nil {
		return nil, err
	}
	if !who.MayTemplate(rc.Template) {
		return nil, store.ErrNotFound
	}
	return rc, nil
}

// submission answers GET /submissions/{id}.
func (s *Server) submission(c *gin.Context) {
	id, err := submissionID(c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	rc, err := s.Receipt(c.Request.Context(), callerOf(c).tok, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, rc)
}

// submissionID reads a submission id from a path.
func submissionID(v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errParam("id", "报送编号应为正整数")
	}
	return id, nil
}

// RawFile returns a submission's file as it was received, for an evaluator or an
// administrator (403 for anyone else), with its name.
func (s *Server) RawFile(ctx context.Context, who *Token, id int64) (name string, data []byte, err error) {
	if !who.Is(RoleAdmin, RoleEvaluator) {
		return "", nil, errForbidden("只有考核人员或管理员可以下载报送的原始文件")
	}
	rc, err := s.st.Receipt(ctx, id)
	if err != nil {
		return "", nil, err
	}
	data, err = s.st.RawFile(ctx, rc.SHA256)
	return rc.File, data, err
}

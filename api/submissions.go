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
	cl := callerOf(c)
	max := s.cfg.MaxUploadBytes
	if c.Request.ContentLength > max+formSlack {
		s.fail(c, &http.MaxBytesError{Limit: max})
		return
	}
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max+formSlack)
	// The body must arrive in time; a slow sender gets an error, and holds no upload slot
	// meanwhile: the file is spooled to disk first, and a slot taken only to check it.
	rcon := http.NewResponseController(c.Writer)
	_ = rcon.SetReadDeadline(time.Now().Add(s.cfg.UploadReadTimeout)) // not every writer can
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, errParam("file", "the body must be multipart/form-data with the file in a part named file"))
		return
	}
	var (
		name     string
		spool    *os.File
		size     int64
		opt      = ingest.Options{Uploader: cl.tok.Name}
		haveFile bool
	)
	defer func() {
		if spool != nil {
			spool.Close()
			os.Remove(spool.Name())
		}
	}()
	if opt.Uploader == "" {
		opt.Uploader = string(cl.tok.Role)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.fail(c, uploadErr(err))
			return
		}
		field := p.FormName()
		switch field {
		case "file":
			if haveFile {
				s.fail(c, errParam("file", "the form has more than one part named file"))
				return
			}
			haveFile = true
			name = baseName(p.FileName())
			if spool, err = os.CreateTemp(s.cfg.Limits.TempDir, "upload-*"); err != nil {
				s.fail(c, fmt.Errorf("spool the upload: %w", err))
				return
			}
			size, err = io.Copy(spool, io.LimitReader(p, max+1))
			if err != nil {
				s.fail(c, uploadErr(err))
				return
			}
			if size > max {
				s.fail(c, &http.MaxBytesError{Limit: max})
				return
			}
		case "template", "period", "accept_valid", "dry_run":
			b, err := io.ReadAll(io.LimitReader(p, 256))
			if err != nil {
				s.fail(c, uploadErr(err))
				return
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
					s.fail(c, errParam(field, "%s must be true or false", field))
					return
				}
				if field == "dry_run" {
					opt.DryRun = on
				} else {
					opt.AcceptValid = on
				}
			}
		default:
			// Unknown parts are drained and ignored.
			if _, err := io.Copy(io.Discard, p); err != nil {
				s.fail(c, uploadErr(err))
				return
			}
		}
	}
	_ = rcon.SetReadDeadline(time.Time{})
	if !haveFile {
		s.fail(c, errParam("file", "the form has no part named file"))
		return
	}
	if opt.Template != "" {
		if s.ts.Get(opt.Template) == nil {
			s.fail(c, errParam("template", "unknown template %q", opt.Template))
			return
		}
		if !cl.mayTemplate(opt.Template) {
			s.fail(c, errOutOfScope(opt.Template))
			return
		}
	}
	if opt.Period != "" {
		if _, err := qiancun.ParseMonth(opt.Period); err != nil {
			s.fail(c, errParam("period", "%v", err))
			return
		}
	}
	// Each upload holds its file in memory while it is checked: take a turn.
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	case <-ctx.Done():
		s.fail(c, ctx.Err())
		return
	}
	data := make([]byte, size)
	if _, err := spool.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		s.fail(c, fmt.Errorf("read the spooled upload: %w", err))
		return
	}
	rc, err := s.ingestWithinQuota(withScope(ctx, cl), name, data, opt)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !opt.DryRun && s.metrics != nil {
		s.metrics.ObserveReceipt(rc)
	}
	if rc.Status != qiancun.Accepted && rc.Status != qiancun.Unchanged {
		s.log.Info("submission not wholly accepted", "template", rc.Template, "status", rc.Status,
			"errors", rc.Errors(), "submission_id", rc.SubmissionID, "request_id", requestID(c))
	}
	c.PureJSON(http.StatusOK, rc)
}

// ingestWithinQuota ingests an upload, unless its uploader's rejected files already fill
// their storage quota: then the file is checked first without storing anything, and stored
// only if it is not rejected; a rejected one gets its receipt with a not_stored warning and
// is not kept.
func (s *Server) ingestWithinQuota(ctx context.Context, name string, data []byte, opt ingest.Options) (*qiancun.Receipt, error) {
	quota := s.cfg.RejectedQuotaBytes
	if opt.DryRun || quota < 0 {
		return s.in.Ingest(ctx, name, data, opt)
	}
	used, err := s.st.RejectedBytes(ctx, opt.Uploader)
	if err != nil {
		return nil, err
	}
	if used+int64(len(data)) <= quota {
		return s.in.Ingest(ctx, name, data, opt)
	}
	dry := opt
	dry.DryRun = true
	rc, err := s.in.Ingest(ctx, name, data, dry)
	if err != nil || rc.Status != qiancun.Rejected {
		if err == nil {
			rc, err = s.in.Ingest(ctx, name, data, opt)
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
	return errParam("file", "the multipart body could not be read: %v", err)
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

// submissions answers GET /submissions: the history, newest first. An uploader sees its
// templates' submissions only.
func (s *Server) submissions(c *gin.Context) {
	cl := callerOf(c)
	f := store.SubmissionFilter{Period: c.Query("period"), Status: c.Query("status")}
	if t := c.Query("template"); t != "" {
		if s.ts.Get(t) == nil {
			s.fail(c, errParam("template", "unknown template %q", t))
			return
		}
		if !cl.mayTemplate(t) {
			s.fail(c, errOutOfScope(t))
			return
		}
		f.Templates = []string{t}
	} else if cl.tok.Role == RoleUploader {
		f.Templates = slices.Clone(cl.tok.Templates)
	}
	if f.Period != "" {
		if _, err := qiancun.ParseMonth(f.Period); err != nil {
			s.fail(c, errParam("period", "%v", err))
			return
		}
	}
	switch qiancun.Status(f.Status) {
	case "", qiancun.Accepted, qiancun.Partial, qiancun.Rejected:
	default:
		s.fail(c, errParam("status", "unknown status %q: want accepted, partial or rejected", f.Status))
		return
	}
	var err error
	if f.Limit, err = intParam(c, "limit", 50, 1, 500); err != nil {
		s.fail(c, err)
		return
	}
	if f.Offset, err = intParam(c, "offset", 0, 0, 1<<30); err != nil {
		s.fail(c, err)
		return
	}
	list, total, err := s.st.Submissions(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"total": total, "limit": f.Limit, "offset": f.Offset, "submissions": list})
}

// submission answers GET /submissions/{id}: the receipt as it was made. An uploader gets
// 404 for a submission of a template not its own, as if it did not exist.
func (s *Server) submission(c *gin.Context) {
	cl := callerOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, errParam("id", "a submission id is a positive whole number"))
		return
	}
	rc, err := s.st.Receipt(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !cl.mayTemplate(rc.Template) {
		s.fail(c, store.ErrNotFound)
		return
	}
	c.PureJSON(http.StatusOK, rc)
}

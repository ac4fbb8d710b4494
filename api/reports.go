package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/reportdata"
	"github.com/qiancun/qiancun/reports"
)

// xlsxType is the media type of every workbook the API answers.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Workbook is a workbook ready to send: its file name and what writes it.
type Workbook struct {
	Name  string
	Write func(io.Writer) error
}

// AppraisalWorkbook returns the appraisal workbook of a force for a period, of the city or
// of a district. A leader limited to a district gets that district's (another is 403).
// 身份证号 are masked for every role; only an administrator may ask for them unmasked, and
// anyone else asking is 403. source ("", live or published) chooses as for rankings: a
// leader gets the latest publication once there is one, and so do the others unless they
// ask for live.
func (s *Server) AppraisalWorkbook(ctx context.Context, who *Token, force, period, district, source string, unmasked bool) (*Workbook, error) {
	if force == "" {
		return nil, errParam("force", "缺少力量 force：应为 %s 之一", forceSlugs())
	}
	fi, ok := qiancun.LookupForce(force)
	if !ok {
		return nil, errParam("force", "未知的力量 %q：应为 %s 之一", force, forceSlugs())
	}
	period, district, err := scopePeriodDistrict(who, period, district)
	if err != nil {
		return nil, err
	}
	if unmasked && !who.Admin() {
		return nil, errForbidden("只有管理员可以查看完整的身份证号")
	}
	// The same source as the ranking: a leader gets the publication once there is one.
	pub, err := s.rankingSource(ctx, who, fi.Slug, period, source)
	if err != nil {
		return nil, err
	}
	var in reports.AppraisalInput
	if pub != nil {
		in, err = reportdata.PublishedAppraisal(ctx, s.cfg.Publish, s.st, pub.ID, district, unmasked)
	} else {
		in, err = reportdata.Appraisal(ctx, s.eng, s.st, reportdata.AppraisalRequest{
			Force: string(fi.Slug), Period: period, District: district, Unmasked: unmasked,
		})
	}
	if err != nil {
		return nil, err
	}
	return &Workbook{in.Filename(), func(w io.Writer) error { return reports.WriteAppraisal(w, in) }}, nil
}

// appraisalBook answers GET /reports/appraisal.xlsx?force=&period=&district=&source=[&unmasked=true].
func (s *Server) appraisalBook(c *gin.Context) {
	unmasked, ok := parseBool(c.Query("unmasked"))
	if !ok {
		s.fail(c, errParam("unmasked", "unmasked 应为 true 或 false"))
		return
	}
	wb, err := s.AppraisalWorkbook(c.Request.Context(), callerOf(c).tok, c.Query("force"), c.Query("period"), c.Query("district"), c.Query("source"), unmasked)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.SendWorkbook(c, wb)
}

// CoverageWorkbook returns which forces reach each assisted village in the period, of the
// city or of a district. A leader limited to a district gets that district's (another is
// 403).
func (s *Server) CoverageWorkbook(ctx context.Context, who *Token, period, district string) (*Workbook, error) {
	period, district, err := scopePeriodDistrict(who, period, district)
	if err != nil {
		return nil, err
	}
	in, err := reportdata.Coverage(ctx, s.eng, period, district)
	if err != nil {
		return nil, err
	}
	return &Workbook{in.Filename(), func(w io.Writer) error { return reports.WriteCoverage(w, in) }}, nil
}

// coverageBook answers GET /reports/coverage.xlsx?period=&district=.
func (s *Server) coverageBook(c *gin.Context) {
	wb, err := s.CoverageWorkbook(c.Request.Context(), callerOf(c).tok, c.Query("period"), c.Query("district"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.SendWorkbook(c, wb)
}

// ReceiptWorkbook returns the submission's file with its problems marked, 问题清单 first. An
// uploader gets 404 for a submission of a template not its own, as for Receipt. 身份证号 are
// masked unless the caller is an administrator.
func (s *Server) ReceiptWorkbook(ctx context.Context, who *Token, id int64) (*Workbook, error) {
	if who.Role == RoleUploader {
		// Look at the receipt before the file is read: an uploader's request for another
		// department's submission should cost no more than a 404.
		if _, err := s.Receipt(ctx, who, id); err != nil {
			return nil, err
		}
	}
	in, err := reportdata.Receipt(ctx, s.st, id, who.Admin())
	if err != nil {
		return nil, err
	}
	return &Workbook{in.Filename(), func(w io.Writer) error { return reports.WriteReceipt(w, in) }}, nil
}

// receiptBook answers GET /submissions/{id}/receipt.xlsx.
func (s *Server) receiptBook(c *gin.Context) {
	id, err := submissionID(c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	wb, err := s.ReceiptWorkbook(c.Request.Context(), callerOf(c).tok, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.SendWorkbook(c, wb)
}

// SendWorkbook makes the workbook in memory, at most MaxConcurrentWorkbooks at once, and
// only then answers with it, so that a failure half-way is a clean error and never half a
// file. The name goes into
// Content-Disposition as RFC 6266/5987 asks, so that Chinese names survive (gin's
// FileAttachment would mangle them). Workbooks hold names and districts' figures: no cache
// may keep them. A failure goes to fail, whose answer is JSON.
func (s *Server) SendWorkbook(c *gin.Context, wb *Workbook) {
	// A workbook is made in memory: a few at a time, the others wait their turn.
	select {
	case s.books <- struct{}{}:
		defer func() { <-s.books }()
	case <-c.Request.Context().Done():
		s.fail(c, c.Request.Context().Err())
		return
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", reports.ContentDisposition(wb.Name))
	c.Header("Content-Length", strconv.Itoa(buf.Len()))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

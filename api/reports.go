package api

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/reportdata"
	"github.com/qiancun/qiancun/reports"
	"github.com/qiancun/qiancun/store"
)

// xlsxType is the media type of every workbook the API answers.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// appraisalBook answers GET /reports/appraisal.xlsx?force=&period=&district=[&unmasked=true]:
// the appraisal workbook of a force for a period, of the city or of a district. A leader
// limited to a district gets that district's (another is 403). 身份证号 are masked for every
// role; only an administrator may ask for them unmasked, and anyone else asking is 403.
// source=live|published chooses as for rankings: a leader gets the latest publication once
// there is one, and so do the others unless they ask for live.
func (s *Server) appraisalBook(c *gin.Context) {
	cl := callerOf(c)
	force := c.Query("force")
	if force == "" {
		s.fail(c, errParam("force", "force is required: one of %s", forceSlugs()))
		return
	}
	fi, ok := qiancun.LookupForce(force)
	if !ok {
		s.fail(c, errParam("force", "unknown force %q: want one of %s", force, forceSlugs()))
		return
	}
	period, district, err := s.periodDistrict(c, cl)
	if err != nil {
		s.fail(c, err)
		return
	}
	unmasked, ok := parseBool(c.Query("unmasked"))
	if !ok {
		s.fail(c, errParam("unmasked", "unmasked must be true or false"))
		return
	}
	if unmasked && !cl.admin() {
		s.fail(c, errForbidden("only an administrator may see 身份证号 unmasked"))
		return
	}
	// The same source as the ranking: a leader gets the publication once there is one.
	pub, err := s.rankingSource(c, cl, fi.Slug, period)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in reports.AppraisalInput
	if pub != nil {
		in, err = reportdata.PublishedAppraisal(c.Request.Context(), s.cfg.Publish, s.st, pub.ID, district, unmasked)
	} else {
		in, err = reportdata.Appraisal(c.Request.Context(), s.eng, s.st, reportdata.AppraisalRequest{
			Force: string(fi.Slug), Period: period, District: district, Unmasked: unmasked,
		})
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.sendWorkbook(c, in.Filename(), func(w io.Writer) error { return reports.WriteAppraisal(w, in) })
}

// coverageBook answers GET /reports/coverage.xlsx?period=&district=: which forces reach each
// assisted village in the period, of the city or of a district. A leader limited to a
// district gets that district's (another is 403).
func (s *Server) coverageBook(c *gin.Context) {
	cl := callerOf(c)
	period, district, err := s.periodDistrict(c, cl)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := reportdata.Coverage(c.Request.Context(), s.eng, period, district)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.sendWorkbook(c, in.Filename(), func(w io.Writer) error { return reports.WriteCoverage(w, in) })
}

// receiptBook answers GET /submissions/{id}/receipt.xlsx: the submission's file with its
// problems marked, 问题清单 first. An uploader gets 404 for a submission of a template not its
// own, as for GET /submissions/{id}. 身份证号 are masked unless the caller is an administrator.
func (s *Server) receiptBook(c *gin.Context) {
	cl := callerOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, errParam("id", "a submission id is a positive whole number"))
		return
	}
	ctx := c.Request.Context()
	if cl.tok.Role == RoleUploader {
		// Look at the receipt before the file is read: an uploader's request for another
		// department's submission should cost no more than a 404.
		rc, err := s.st.Receipt(ctx, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !cl.mayTemplate(rc.Template) {
			s.fail(c, store.ErrNotFound)
			return
		}
	}
	in, err := reportdata.Receipt(ctx, s.st, id, cl.admin())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.sendWorkbook(c, in.Filename(), func(w io.Writer) error { return reports.WriteReceipt(w, in) })
}

// sendWorkbook makes the workbook in memory, at most MaxConcurrentWorkbooks at once, and
// only then answers with it, so that a
// failure half-way is a clean JSON error and never half a file. The name goes into
// Content-Disposition as RFC 6266/5987 asks, so that Chinese names survive (gin's
// FileAttachment would mangle them). Workbooks hold names and districts' figures: no cache
// may keep them.
func (s *Server) sendWorkbook(c *gin.Context, filename string, write func(io.Writer) error) {
	// A workbook is made in memory: a few at a time, the others wait their turn.
	select {
	case s.books <- struct{}{}:
		defer func() { <-s.books }()
	case <-c.Request.Context().Done():
		s.fail(c, c.Request.Context().Err())
		return
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", reports.ContentDisposition(filename))
	c.Header("Content-Length", strconv.Itoa(buf.Len()))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

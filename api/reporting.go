package api

import (
	"context"
	"sync"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/metrics"
)

// ReportDueDay is the day of the following month by which a month's file is due: a file
// received later is 迟报 (late). It is the pages' convention, shown on the overview.
const ReportDueDay = 10

// The states of a department's file for the reporting month.
const (
	Received = "received" // 已报: the month has a current accepted (or partial) submission, on time
	Late     = "late"     // 迟报: received after the due day
	Missing  = "missing"  // 未报: nothing accepted for the month yet
)

// ReportingLine is one monthly template's state for the reporting month.
type ReportingLine struct {
	Template     string    `json:"template"`
	Title        string    `json:"title"`
	Force        string    `json:"force"`
	ForceName    string    `json:"force_name"`
	Department   string    `json:"department"`
	State        string    `json:"state"` // Received, Late or Missing
	SubmissionID int64     `json:"submission_id,omitempty"`
	File         string    `json:"file,omitempty"`
	Rows         int64     `json:"rows,omitempty"`
	ReceivedAt   time.Time `json:"received_at,omitzero"`
}

// Reporting is what the departments have sent for the reporting month.
type Reporting struct {
	Month string          `json:"month"` // the reporting month (metrics.ReportingMonth)
	Due   time.Time       `json:"due"`   // the end of ReportDueDay of the next month, China time
	Lines []ReportingLine `json:"lines"` // one per monthly template, in template order
}

var china = time.FixedZone("CST", 8*3600)

// reportingCache keeps the reporting month for a data version: it moves only with a
// submission.
type reportingCache struct {
	mu      sync.Mutex
	version uint64
	month   qiancun.Month
	ok      bool
}

// ReportingMonth is the month the departments are reporting (metrics.ReportingMonth),
// cached until the data changes. With no submission at all it is now's month in China.
func (s *Server) ReportingMonth(ctx context.Context, now time.Time) (qiancun.Month, error) {
	version := s.st.Version()
	c := &s.reporting
	c.mu.Lock()
	if c.ok && c.version == version {
		m := c.month
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	sts, err := s.st.TemplateStatuses(ctx)
	if err != nil {
		return qiancun.Month{}, err
	}
	m := metrics.ReportingMonth(sts, now)
	if len(sts) > 0 {
		c.mu.Lock()
		c.version, c.month, c.ok = version, m, true
		c.mu.Unlock()
	}
	return m, nil
}

// Reporting returns, for each monthly template who may see (an uploader its own), whether
// the reporting month's file has arrived, when, and whether on time.
func (s *Server) Reporting(ctx context.Context, who *Token, now time.Time) (*Reporting, error) {
	month, err := s.ReportingMonth(ctx, now)
	if err != nil {
		return nil, err
	}
	next := month.Next()
	due := time.Date(next.Year, time.Month(next.Month), ReportDueDay+1, 0, 0, 0, 0, china)
	res, err := s.eng.Run(ctx, "months_received", map[string]string{"period": month.String()})
	if err != nil {
		return nil, err
	}
	got := map[string]row{}
	for _, r := range rowsOf(res) {
		got[r.str("template")] = r
	}
	out := &Reporting{Month: month.String(), Due: due, Lines: []ReportingLine{}}
	for _, t := range s.ts.All() {
		if t.Kind != ingest.KindMonthly || !who.MayTemplate(t.Slug) {
			continue
		}
		l := ReportingLine{Template: t.Slug, Title: t.Title, Force: string(t.Force), State: Missing}
		if fi, ok := qiancun.LookupForce(string(t.Force)); ok {
			l.ForceName, l.Department = fi.Name, fi.Department
		}
		if r, ok := got[t.Slug]; ok {
			l.SubmissionID, l.File, l.Rows = r.int("submission_id"), r.str("file_name"), r.int("rows_accepted")
			if at, err := time.Parse("2006-01-02 15:04:05.999999-07", r.str("received_at")); err == nil {
				l.ReceivedAt = at.UTC()
			} else if at, err := time.Parse("2006-01-02 15:04:05.999999", r.str("received_at")); err == nil {
				l.ReceivedAt = at.UTC()
			}
			l.State = Received
			if !l.ReceivedAt.IsZero() && !l.ReceivedAt.Before(due) {
				l.State = Late
			}
		}
		out.Lines = append(out.Lines, l)
	}
	return out, nil
}

package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

// Source is what the progress collector reads: the query engine's packs and progress
// (cached by the engine until the data changes, so a scrape after no submission is cheap),
// and the templates' status from the store.
type Source interface {
	Progress(ctx context.Context, period string) (*qiancun.Progress, error)
	Run(ctx context.Context, pack string, params map[string]string) (*queries.Result, error)
	TemplateStatuses(ctx context.Context) ([]store.TemplateStatus, error)
}

// Sources joins the engine and the store into a Source.
type Sources struct {
	*queries.Engine
	*store.Store
}

// ProgressOptions steer the progress collector.
type ProgressOptions struct {
	// Templates are the monthly templates each department must submit every month.
	Templates []string
	// TTL is how long a computed snapshot is served again; default 15 s.
	TTL time.Duration
	// Timeout bounds the queries of one snapshot; default 10 s.
	Timeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives the errors of failed snapshots; default discards.
	Logger *slog.Logger
}

// Progress is a prometheus.Collector of the programme's progress, computed from the
// database at scrape time and cached for a short while.
//
// The reporting month is the latest month that any template has an accepted submission for
// (the current calendar month in China when there is none): every monthly template is
// expected for it, so a department that has not yet sent it shows received 0. The other
// figures are for the reporting month's year, to date; the projects are the current ledger.
type Progress struct {
	src Source
	opt ProgressOptions

	mu     sync.Mutex // one snapshot at a time
	at     time.Time
	cached []prometheus.Metric

	month, villages, villagesTarget, reached, members, membersTarget, funds, fundsTarget,
	projects, projectsTarget, investment, expected, received, latestMonth *prometheus.Desc
}

// china is the programme's time zone (UTC+8, no daylight saving), without needing tzdata.
var china = time.FixedZone("CST", 8*3600)

// NewProgress returns the collector; register it on the server's registry.
func NewProgress(src Source, opt ProgressOptions) *Progress {
	if opt.TTL <= 0 {
		opt.TTL = 15 * time.Second
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("qiancun_"+name, help, labels, nil)
	}
	return &Progress{
		src: src, opt: opt,
		month:          d("reporting_month_start_timestamp_seconds", "Start of the reporting month (the latest month any department has reported), Unix time; the other progress figures are for its year."),
		villages:       d("villages", "Assisted villages in the current registry, by district code.", "district"),
		villagesTarget: d("villages_target", "Assisted villages the programme targets."),
		reached:        d("villages_reached", "Assisted villages reached by each force in the reporting year.", "force"),
		members:        d("members", "Members of each force with an accepted row in the reporting year.", "force"),
		membersTarget:  d("members_target", "Published member count of each force, where there is one.", "force"),
		funds:          d("funds_coordinated_yuan", "Funds coordinated by first secretaries in the reporting year, in yuan, by district code.", "district"),
		fundsTarget:    d("funds_coordinated_target_yuan", "Funds coordinated the programme targets, in yuan."),
		projects:       d("projects", "Industrial projects of the current ledger, by district code and status (planning, under_construction, completed, other).", "district", "status"),
		projectsTarget: d("projects_target", "Industrial projects the programme targets."),
		investment:     d("project_investment_yuan", "Total investment of the current ledger's projects, in yuan, by district code.", "district"),
		expected:       d("reporting_month_submissions_expected", "Submissions expected for the reporting month, by template (1 per monthly template).", "template"),
		received:       d("reporting_month_submissions_received", "Submissions accepted for the reporting month, by template (0 or 1).", "template"),
		latestMonth:    d("submission_latest_month_start_timestamp_seconds", "Start (in China) of the latest month each monthly template has a current accepted submission for, Unix time; 0 when it has none. The alert on a department's missing file compares it with the calendar.", "template"),
	}
}

// Describe sends every descriptor of the collector.
func (p *Progress) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.month, p.villages, p.villagesTarget, p.reached, p.members, p.membersTarget,
		p.funds, p.fundsTarget, p.projects, p.projectsTarget, p.investment, p.expected, p.received, p.latestMonth} {
		ch <- d
	}
}

// Collect sends the cached snapshot, computing a new one when it is older than the TTL. A
// failed snapshot is reported as an invalid metric (the scrape shows the error) and is not
// cached.
func (p *Progress) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.opt.Now()
	if p.cached == nil || now.Sub(p.at) >= p.opt.TTL || now.Before(p.at) {
		ctx, cancel := context.WithTimeout(context.Background(), p.opt.Timeout)
		ms, err := p.snapshot(ctx, now)
		cancel()
		if err != nil {
			p.opt.Logger.Error("progress metrics", "err", err)
			ch <- prometheus.NewInvalidMetric(p.month, fmt.Errorf("progress snapshot: %w", err))
			return
		}
		p.cached, p.at = ms, now
	}
	for _, m := range p.cached {
		ch <- m
	}
}

// reportingMonth is the latest month with an accepted submission, or now's month in China.
func (p *Progress) reportingMonth(ctx context.Context, now time.Time) (qiancun.Month, []store.TemplateStatus, error) {
	sts, err := p.src.TemplateStatuses(ctx)
	if err != nil {
		return qiancun.Month{}, nil, err
	}
	return ReportingMonth(sts, now), sts, nil
}

// ReportingMonth is the month the departments are reporting: the latest month any template
// has a current accepted submission for, or, when there is none, now's month in China. The
// metrics and the overview page both use it.
func ReportingMonth(sts []store.TemplateStatus, now time.Time) qiancun.Month {
	latest := ""
	for _, st := range sts {
		latest = max(latest, st.LastMonth)
	}
	if latest != "" {
		if m, err := qiancun.ParseMonth(latest); err == nil {
			return m
		}
	}
	t := now.In(china)
	return qiancun.Month{Year: t.Year(), Month: int(t.Month())}
}

func (p *Progress) snapshot(ctx context.Context, now time.Time) ([]prometheus.Metric, error) {
	month, sts, err := p.reportingMonth(ctx, now)
	if err != nil {
		return nil, err
	}
	year := strconv.Itoa(month.Year)
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	gauge(p.month, float64(time.Date(month.Year, time.Month(month.Month), 1, 0, 0, 0, 0, china).Unix()))
	latest := map[string]float64{}
	for _, st := range sts {
		if m, err := qiancun.ParseMonth(st.LastMonth); err == nil {
			latest[st.Template] = float64(time.Date(m.Year, time.Month(m.Month), 1, 0, 0, 0, 0, china).Unix())
		}
	}
	for _, t := range p.opt.Templates {
		gauge(p.latestMonth, latest[t], t)
	}

	prog, err := p.src.Progress(ctx, year)
	if err != nil {
		return nil, err
	}
	for _, l := range prog.City {
		target := number(l.Target)
		force, isMembers := strings.CutPrefix(l.Metric, "members:")
		switch {
		case isMembers:
			gauge(p.members, number(l.Actual), force)
			if l.Target != "" {
				gauge(p.membersTarget, target, force)
			}
		case l.Metric == "villages" && l.Target != "":
			gauge(p.villagesTarget, target)
		case l.Metric == "funds_yuan" && l.Target != "":
			gauge(p.fundsTarget, target)
		case l.Metric == "projects" && l.Target != "":
			gauge(p.projectsTarget, target)
		}
	}
	// Districts with no row show 0, so that a series does not vanish and come back.
	byDistrict := map[string]map[string]float64{}
	for _, d := range prog.Districts {
		m := map[string]float64{}
		for _, l := range d.Lines {
			m[l.Metric] = number(l.Actual)
		}
		byDistrict[d.Code] = m
	}
	for _, d := range qiancun.Districts() {
		gauge(p.villages, byDistrict[d.Code]["villages"], d.Code)
		gauge(p.funds, byDistrict[d.Code]["funds_yuan"], d.Code)
		gauge(p.investment, byDistrict[d.Code]["project_investment_yuan"], d.Code)
	}

	cov, err := p.src.Run(ctx, "village_districts", map[string]string{"period": year})
	if err != nil {
		return nil, err
	}
	col := columnIndex(cov)
	var city []any
	for _, row := range cov.Rows {
		if row[0] == "" {
			city = row
		}
	}
	for _, f := range qiancun.Forces() {
		v := 0.0
		if city != nil {
			if i, ok := col[string(f.Slug)]; ok {
				v = number(city[i])
			}
		}
		gauge(p.reached, v, string(f.Slug))
	}

	pr, err := p.src.Run(ctx, "projects", nil)
	if err != nil {
		return nil, err
	}
	col = columnIndex(pr)
	type key struct{ district, status string }
	counts := map[key]float64{}
	for _, d := range qiancun.Districts() {
		for _, s := range []string{"planning", "under_construction", "completed"} {
			counts[key{d.Code, s}] = 0
		}
	}
	for _, row := range pr.Rows {
		d, _ := row[col["district_code"]].(string)
		s, _ := row[col["status"]].(string)
		if qiancun.DistrictName(d) == "" {
			d = "other"
		}
		counts[key{d, projectStatus(s)}] += number(row[col["projects"]])
	}
	for k, v := range counts {
		gauge(p.projects, v, k.district, k.status)
	}

	rec, err := p.src.Run(ctx, "months_received", map[string]string{"period": month.String()})
	if err != nil {
		return nil, err
	}
	got := map[string]bool{}
	for _, row := range rec.Rows {
		if t, ok := row[0].(string); ok {
			got[t] = true
		}
	}
	for _, t := range p.opt.Templates {
		gauge(p.expected, 1, t)
		r := 0.0
		if got[t] {
			r = 1
		}
		gauge(p.received, r, t)
	}
	return out, nil
}

// projectStatus maps a ledger status to a label value.
func projectStatus(s string) string {
	switch s {
	case "谋划中":
		return "planning"
	case "在建":
		return "under_construction"
	case "已完工":
		return "completed"
	}
	return "other"
}

func columnIndex(r *queries.Result) map[string]int {
	m := make(map[string]int, len(r.Columns))
	for i, c := range r.Columns {
		m[c.Name] = i
	}
	return m
}

// number reads a pack value (int64 or decimal text) as a float for a gauge; anything else
// is 0.
func number(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case string:
		if x == "" {
			return 0
		}
		r, ok := new(big.Rat).SetString(x)
		if !ok {
			return 0
		}
		f, _ := r.Float64()
		return f
	}
	return 0
}

package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/reports"
)

// pageSize is the members on one page of a ranking, unless the reader asks for more.
const pageSize = 50

// pageSizes are the sizes a reader may choose on a ranking page (per=): the larger ones
// print a district's, or a good part of the city's, ranking at once for a meeting. The
// largest is the API's limit.
var pageSizes = []int{pageSize, 200, 1000}

// reporting is the reporting month (the latest month any department has reported) and
// what has arrived for it.
func (s *Server) reporting(c *gin.Context) (*api.Reporting, qiancun.Month, error) {
	rep, err := s.api.Reporting(c.Request.Context(), whoOf(c), s.opt.Now())
	if err != nil {
		return nil, qiancun.Month{}, err
	}
	m, err := qiancun.ParseMonth(rep.Month)
	return rep, m, err
}

// latest is the reporting month: the default period and the last one offered.
func (s *Server) latest(c *gin.Context) (qiancun.Month, error) {
	return s.api.ReportingMonth(c.Request.Context(), s.opt.Now())
}

// period is the reporting month and the period the page shows: ?period=, or the reporting
// month when absent.
func (s *Server) period(c *gin.Context) (latest qiancun.Month, period string, err error) {
	if latest, err = s.latest(c); err != nil {
		return latest, "", err
	}
	period, err = periodOf(c, latest)
	return latest, period, err
}

// pageOf reads ?page=, 1 when absent.
func pageOf(c *gin.Context) (int, error) {
	v := c.Query("page")
	if v == "" {
		return 1, nil
	}
	page, err := strconv.Atoi(v)
	if err != nil || page < 1 || page > 1<<20 {
		return 0, badParam("page", "页码应为正整数")
	}
	return page, nil
}

// periodOf reads ?period=, the reporting month when absent.
func periodOf(c *gin.Context, latest qiancun.Month) (string, error) {
	p := c.Query("period")
	if p == "" {
		return latest.String(), nil
	}
	per, err := qiancun.ParsePeriod(p)
	if err != nil {
		return "", badParam("period", err.Error())
	}
	return per.String(), nil
}

// overviewView is the 总览 page.
type overviewView struct {
	Period, Year  string
	Periods       []option
	District      string // a leader's district, or ""
	Progress      []qiancun.ProgressLine
	Forces        []forceLine
	Reporting     *api.Reporting
	Districts     []*api.CoverageView
	ChartLabels   []string
	ChartVillages []int64
	ChartReached  []int64
}

type forceLine struct {
	api.ForceView
	Reached int64
	Share   string
}

// overview answers GET /: the programme against its targets, each force's reach, this
// month's reporting and the districts side by side. An uploader is sent to its desk.
func (s *Server) overview(c *gin.Context) {
	who := whoOf(c)
	if who.Role == auth.RoleUploader {
		c.Redirect(http.StatusSeeOther, "/upload")
		return
	}
	ctx := c.Request.Context()
	rep, latest, err := s.reporting(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	period, err := periodOf(c, latest)
	if err != nil {
		s.fail(c, err)
		return
	}
	per, _ := qiancun.ParsePeriod(period)
	year := strconv.Itoa(per.Year)
	prog, err := s.api.Progress(ctx, who, year, "")
	if err != nil {
		s.fail(c, err)
		return
	}
	forces, err := s.api.Forces(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	cov, err := s.api.Coverage(ctx, period)
	if err != nil {
		s.fail(c, err)
		return
	}
	ov := &overviewView{Period: period, Year: year, Periods: periodOptions(latest, period), District: who.District, Reporting: rep}
	ov.Progress = prog.City
	if who.District != "" {
		ov.Progress = nil
		for _, d := range prog.Districts {
			ov.Progress = append(ov.Progress, d.Lines...)
		}
	}
	var mine *api.CoverageView
	for _, cv := range cov {
		if cv.DistrictCode == who.District {
			mine = cv
		}
		if cv.DistrictCode == "" || who.District != "" && cv.DistrictCode != who.District {
			continue
		}
		ov.Districts = append(ov.Districts, cv)
		ov.ChartLabels = append(ov.ChartLabels, cv.District)
		ov.ChartVillages = append(ov.ChartVillages, cv.Villages)
		ov.ChartReached = append(ov.ChartReached, cv.Villages-cv.None)
	}
	for _, f := range forces {
		l := forceLine{ForceView: f}
		if mine != nil {
			l.Reached, l.Share = mine.Reached[string(f.Slug)], mine.Share[string(f.Slug)]
		}
		ov.Forces = append(ov.Forces, l)
	}
	v := s.newView(c, "总览")
	v.Overview = ov
	if v.Notices, err = s.api.Publications(ctx, api.PublicationQuery{Status: string(qiancun.Notice)}); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "overview", v)
}

// rankingView is the 排名 page.
type rankingView struct {
	Force       qiancun.ForceInfo
	Forces      []option
	Period      string
	Periods     []option
	District    string
	Districts   []option
	Grade       string
	Grades      []option
	Q           string
	Page, Pages int
	PerPage     []option // the page sizes a reader may choose, the one in force selected
	Total       int
	Rows        []rankRow
	Ranking     *qiancun.Ranking
	Compared    string // the previous period compared with, or "" when it has no data
	GradeLabels []string
	GradeCounts []int
	Prev, Next  template.URL // query strings of the neighbouring pages (encoded once: html/template would escape a string again), "" at the ends
	Download    string
	Source      string               // where the figures come from, in words
	SourceParam string               // source= as asked ("", live or published)
	Publication *qiancun.Publication // the publication shown, or nil for live data
	MayChoose   bool                 // evaluators and administrators choose live or published
}

type rankRow struct {
	M      api.MemberView // a named field, not embedded: templates find it without a search
	Change string         // ↑3, ↓2, 持平, 新, or "—" when there is nothing to compare with
	Up     bool
	Down   bool
}

// ranking answers GET /rankings/{force}: the ranking as one table, one row per member of
// the page, with the filters, the grade distribution, the rank change against the previous
// period of the same length and the source of the figures. The rows are api.RankingPage's,
// exactly what GET /api/v1/rankings/{force} answers for the same filters.
func (s *Server) ranking(c *gin.Context) {
	who := whoOf(c)
	ctx := c.Request.Context()
	latest, period, err := s.period(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := pageOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	size := pageSize
	if v := c.Query("per"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || !slices.Contains(pageSizes, size) {
			s.fail(c, badParam("per", "每页人数只能是 50、200 或 1000"))
			return
		}
	}
	q := api.RankingQuery{Force: c.Param("force"), Period: period, District: c.Query("district"), Grade: c.Query("grade"),
		Q: c.Query("q"), Source: c.Query("source"), Limit: size, Offset: (page - 1) * size}
	p, err := s.api.RankingPage(ctx, who, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	r := p.Ranking
	fi, _ := qiancun.LookupForce(string(r.Force))
	rv := &rankingView{
		Force: fi, Period: r.Period, Periods: periodOptions(latest, r.Period), District: p.District,
		Districts: districtOptions(p.District, who.District), Grade: q.Grade, Q: q.Q, Page: page, Total: p.Total,
		Pages: max(1, (p.Total+size-1)/size), Ranking: r,
	}
	for _, n := range pageSizes {
		rv.PerPage = append(rv.PerPage, option{strconv.Itoa(n), thousands(strconv.Itoa(n)) + " 人", n == size})
	}
	for _, f := range qiancun.Forces() {
		rv.Forces = append(rv.Forces, option{string(f.Slug), f.Name, f.Slug == r.Force})
	}
	rv.Grades = []option{{"", "全部等次", q.Grade == ""}}
	for _, g := range []string{qiancun.GradeExcellent, qiancun.GradeCompetent, qiancun.GradeBasic, qiancun.GradeIncompetent} {
		rv.Grades = append(rv.Grades, option{g, g, g == q.Grade})
	}

	// The rank change: against the same member's city rank in the previous period of the
	// same length, matched by the opaque member id (stable across periods).
	per, _ := qiancun.ParsePeriod(r.Period)
	// Live against live; published (or, without a publication, live) otherwise.
	prevSource := ""
	if p.Source == "live" && !who.Is(auth.RoleLeader) {
		prevSource = "live"
	}
	prev, err := s.api.Ranks(ctx, who, fi.Slug, per.Previous().String(), prevSource)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(prev) > 0 {
		rv.Compared = per.Previous().String()
	}
	for _, m := range p.Members() {
		row := rankRow{M: m}
		row.Change, row.Up, row.Down = rankChange(prev, m.ID, m.Rank)
		rv.Rows = append(rv.Rows, row)
	}

	// The grade distribution of the members in scope (the district, whatever the grade
	// filter and the search).
	counts := map[string]int{}
	for i := range r.Members {
		if p.District == "" || r.Members[i].DistrictCode == p.District {
			counts[r.Members[i].Grade]++
		}
	}
	for _, g := range []string{qiancun.GradeExcellent, qiancun.GradeCompetent, qiancun.GradeBasic, qiancun.GradeIncompetent} {
		rv.GradeLabels = append(rv.GradeLabels, g)
		rv.GradeCounts = append(rv.GradeCounts, counts[g])
	}
	base := url.Values{}
	perParam := ""
	if size != pageSize {
		perParam = strconv.Itoa(size)
	}
	for k, v := range map[string]string{"period": r.Period, "district": c.Query("district"), "grade": q.Grade, "q": q.Q, "source": q.Source, "per": perParam} {
		if v != "" {
			base.Set(k, v)
		}
	}
	if page > 1 {
		pv := cloneValues(base)
		pv.Set("page", strconv.Itoa(page-1))
		rv.Prev = template.URL(pv.Encode())
	}
	if page < rv.Pages {
		nv := cloneValues(base)
		nv.Set("page", strconv.Itoa(page+1))
		rv.Next = template.URL(nv.Encode())
	}
	dl := url.Values{"period": {r.Period}}
	if p.District != "" {
		dl.Set("district", p.District)
	}
	if q.Source != "" {
		dl.Set("source", q.Source)
	}
	rv.Download = "/rankings/" + string(fi.Slug) + "/appraisal.xlsx?" + dl.Encode()
	rv.SourceParam = q.Source
	rv.Publication = p.Publication
	if pub := p.Publication; pub != nil {
		rv.Source = string(pub.Kind())
		if pub.State == qiancun.Notice {
			rv.Source += "（公示期至 " + pub.Until + "）"
		}
	} else {
		rv.Source = "实时数据（尚未公示，以公示为准）"
	}
	rv.MayChoose = who.Is(auth.RoleAdmin, auth.RoleEvaluator)
	v := s.newView(c, fi.Name+"排名")
	v.Ranking = rv
	s.render(c, http.StatusOK, "ranking", v)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = slices.Clone(x)
	}
	return out
}

// appraisalBook answers GET /rankings/{force}/appraisal.xlsx: the appraisal workbook, as
// GET /api/v1/reports/appraisal.xlsx makes it.
func (s *Server) appraisalBook(c *gin.Context) {
	wb, err := s.api.AppraisalWorkbook(c.Request.Context(), whoOf(c), c.Param("force"), c.Query("period"), c.Query("district"), c.Query("source"), false)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.api.SendWorkbook(c, wb)
}

// memberView is the 成员 page: a scorecard.
type memberView struct {
	*api.ScorecardView
	Periods  []option
	MayFiles bool
}

// member answers GET /members/{id}?force=&period=: the member's scorecard with the source
// of every value. Without force, the seven forces are tried in turn.
func (s *Server) member(c *gin.Context) {
	who := whoOf(c)
	latest, period, err := s.period(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	forces := []string{c.Query("force")}
	if forces[0] == "" {
		forces = forces[:0]
		for _, f := range qiancun.Forces() {
			forces = append(forces, string(f.Slug))
		}
	}
	var sc *api.ScorecardView
	for _, f := range forces {
		sc, err = s.api.Scorecard(c.Request.Context(), who, f, c.Param("id"), period, c.Query("source"))
		var ae *api.Error
		if err == nil || !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
			break
		}
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	v := s.newView(c, sc.Member.Name+" 考核明细")
	v.Member = &memberView{ScorecardView: sc, Periods: periodOptions(latest, sc.Period), MayFiles: who.Is(auth.RoleAdmin, auth.RoleEvaluator)}
	s.render(c, http.StatusOK, "member", v)
}

// districtView is the 区县 page.
type districtView struct {
	Code, Name string
	Period     string
	Periods    []option
	Forces     []qiancun.ForceInfo
	Villages   *api.VillagesPage
	Standings  []standing
}

// standing is the district's place among the districts for one force: by its members'
// mean score, with its members (the first page).
type standing struct {
	Force   qiancun.ForceInfo
	Members int
	Mean    string
	Rank    int // 0 when the district has no member of the force
	Of      int
	Rows    []api.MemberView
	More    bool
}

// district answers GET /districts/{code}: its villages with the forces reaching each, its
// members across the forces, and its rank among the districts. A leader limited to another
// district gets 403, as from the API.
func (s *Server) district(c *gin.Context) {
	who := whoOf(c)
	ctx := c.Request.Context()
	code := c.Param("code")
	latest, period, err := s.period(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	vp, err := s.api.Villages(ctx, who, api.VillageQuery{Period: period, District: code, Limit: 5000})
	if err != nil {
		s.fail(c, err)
		return
	}
	if code == "" || vp.District != code {
		s.fail(c, badParam("code", "a district code is required"))
		return
	}
	dv := &districtView{Code: code, Name: qiancun.DistrictName(code), Period: vp.Period, Periods: periodOptions(latest, vp.Period),
		Forces: qiancun.Forces(), Villages: vp}
	for _, f := range qiancun.Forces() {
		p, err := s.api.RankingPage(ctx, who, api.RankingQuery{Force: string(f.Slug), Period: vp.Period, District: code, Limit: 20})
		if err != nil {
			s.fail(c, err)
			return
		}
		st := standing{Force: f, Members: p.Total, Rows: p.Members(), More: p.Total > 20}
		st.Mean, st.Rank, st.Of = districtRank(p.Ranking, code)
		dv.Standings = append(dv.Standings, st)
	}
	v := s.newView(c, dv.Name)
	v.District = dv
	s.render(c, http.StatusOK, "district", v)
}

// districtRank ranks the districts with members in r by their members' mean score (ties
// share a rank) and returns code's mean (two decimals), rank and the number of districts.
func districtRank(r *qiancun.Ranking, code string) (mean string, rank, of int) {
	type agg struct{ sum, n int64 }
	by := map[string]*agg{}
	for i := range r.Members {
		m := &r.Members[i]
		a := by[m.DistrictCode]
		if a == nil {
			a = &agg{}
			by[m.DistrictCode] = a
		}
		a.sum += m.ScoreHundredths
		a.n++
	}
	mine, ok := by[code]
	if !ok {
		return "—", 0, len(by)
	}
	// Compare means exactly: a.sum/a.n > b.sum/b.n  ⇔  a.sum·b.n > b.sum·a.n.
	rank = 1
	for d, a := range by {
		if d != code && a.sum*mine.n > mine.sum*a.n {
			rank++
		}
	}
	return qiancun.Hundredths((mine.sum + mine.n/2) / mine.n), rank, len(by)
}

// uploadView is the 上报 page and its receipts.
type uploadView struct {
	Templates []option
	Reporting *api.Reporting
	History   *api.SubmissionsPage
}

// uploadDesk answers GET /upload: the form, what is expected this month and what has
// arrived, and the history of the uploader's templates.
func (s *Server) uploadDesk(c *gin.Context) {
	v, err := s.uploadPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "upload", v)
}

func (s *Server) uploadPage(c *gin.Context) (*view, error) {
	who := whoOf(c)
	rep, _, err := s.reporting(c)
	if err != nil {
		return nil, err
	}
	hist, err := s.api.Submissions(c.Request.Context(), who, api.SubmissionQuery{Limit: 20})
	if err != nil {
		return nil, err
	}
	uv := &uploadView{Reporting: rep, History: hist, Templates: []option{{"", "自动识别", true}}}
	for _, t := range s.api.Templates().All() {
		if who.MayTemplate(t.Slug) {
			uv.Templates = append(uv.Templates, option{t.Slug, t.Title, false})
		}
	}
	v := s.newView(c, "上报")
	v.Upload = uv
	return v, nil
}

// receiptView is a receipt as a page.
type receiptView struct {
	*qiancun.Receipt
	Title   string
	Errors  int
	Warns   int
	Fresh   bool // just uploaded
	Workbok bool // the marked workbook can be downloaded
}

func (s *Server) receiptOf(rc *qiancun.Receipt, who *auth.Token) *receiptView {
	rv := &receiptView{Receipt: rc, Title: rc.Template}
	if t := s.api.Templates().Get(rc.Template); t != nil {
		rv.Title = t.Title
	}
	rv.Errors = rc.Errors()
	rv.Warns = len(rc.Issues) - rv.Errors
	rv.Workbok = rc.SubmissionID > 0 && who.MayTemplate(rc.Template)
	return rv
}

// upload answers POST /upload: the file goes through api.Server.Upload, as with POST
// /api/v1/submissions, and the receipt comes back as a page listing every problem, with
// the department's workbook marked for download. The form's CSRF token is checked once the
// form is read and before anything is ingested.
func (s *Server) upload(c *gin.Context) {
	who := whoOf(c)
	sess, _ := sessionOfCtx(c)
	if !sameOrigin(c) {
		s.fail(c, errCSRF)
		return
	}
	rc, err := s.api.Upload(c, who, func(fields map[string]string) error {
		if !s.opt.Sessions.CheckCSRF(sess, fields["csrf"]) {
			return errCSRF
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	v := s.newView(c, "回执")
	v.Receipt = s.receiptOf(rc, who)
	v.Receipt.Fresh = true
	s.render(c, http.StatusOK, "receipt", v)
}

// receipt answers GET /submissions/{id}: a submission's receipt as a page.
func (s *Server) receipt(c *gin.Context) {
	who := whoOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "a submission id is a positive whole number"))
		return
	}
	rc, err := s.api.Receipt(c.Request.Context(), who, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := s.newView(c, "回执")
	v.Receipt = s.receiptOf(rc, who)
	s.render(c, http.StatusOK, "receipt", v)
}

// receiptBook answers GET /submissions/{id}/receipt.xlsx: the department's workbook with
// the bad cells marked, as GET /api/v1/submissions/{id}/receipt.xlsx makes it.
func (s *Server) receiptBook(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "a submission id is a positive whole number"))
		return
	}
	wb, err := s.api.ReceiptWorkbook(c.Request.Context(), whoOf(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.api.SendWorkbook(c, wb)
}

// rawFile answers GET /files/{id}: a submission's file as it was received, for evaluators
// and administrators.
func (s *Server) rawFile(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "a submission id is a positive whole number"))
		return
	}
	name, data, err := s.api.RawFile(c.Request.Context(), whoOf(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", reports.ContentDisposition(name))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "application/octet-stream", data)
}

// rankChange is a member's rank change against prev, the previous period's ranks by member
// id: ↑3 (up), ↓2 (down), 持平, 新 when the member was not ranked then, and "—" when the
// previous period has no ranking at all.
func rankChange(prev map[string]int, id string, rank int) (change string, up, down bool) {
	before, ok := prev[id]
	switch {
	case len(prev) == 0:
		return "—", false, false
	case !ok:
		return "新", false, false
	case before > rank:
		return "↑" + strconv.Itoa(before-rank), true, false
	case before < rank:
		return "↓" + strconv.Itoa(rank-before), false, true
	}
	return "持平", false, false
}

package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/queries"
)

// VillageView is one assisted village and the forces that reach it in the period.
type VillageView struct {
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	DistrictCode string   `json:"district_code"`
	District     string   `json:"district"`
	TownCode     string   `json:"town_code"`
	Town         string   `json:"town"`
	Zone         string   `json:"zone"`
	Forces       []string `json:"forces"`
	ForceCount   int64    `json:"force_count"`
}

// CoverageView is a district's (or the city's) coverage: villages reached by each force.
type CoverageView struct {
	DistrictCode  string            `json:"district_code"` // "" for the city
	District      string            `json:"district"`
	Villages      int64             `json:"villages"`
	Reached       map[string]int64  `json:"reached"` // by force slug
	Share         map[string]string `json:"share"`   // percent of the villages, by force slug
	AllSeven      int64             `json:"all_seven"`
	AllSevenShare string            `json:"all_seven_share"`
	None          int64             `json:"none"`
}

// row reads a pack result's row by column name.
type row struct {
	cols map[string]int
	vals []any
}

func rowsOf(res *queries.Result) []row {
	cols := make(map[string]int, len(res.Columns))
	for i, c := range res.Columns {
		cols[c.Name] = i
	}
	out := make([]row, len(res.Rows))
	for i, v := range res.Rows {
		out[i] = row{cols, v}
	}
	return out
}

func (r row) str(name string) string {
	i, ok := r.cols[name]
	if !ok {
		return ""
	}
	s, _ := r.vals[i].(string)
	return s
}

func (r row) int(name string) int64 {
	i, ok := r.cols[name]
	if !ok {
		return 0
	}
	n, _ := r.vals[i].(int64)
	return n
}

func (r row) list(name string) []string {
	out := []string{}
	i, ok := r.cols[name]
	if !ok {
		return out
	}
	xs, _ := r.vals[i].([]any)
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func villageOf(r row) VillageView {
	return VillageView{
		Code: r.str("code"), Name: r.str("name"), DistrictCode: r.str("district_code"), District: r.str("district"),
		TownCode: r.str("town_code"), Town: r.str("town"), Zone: r.str("zone"), Forces: r.list("forces"),
		ForceCount: r.int("force_count"),
	}
}

// VillageQuery is what a page of the villages asks for; Period is required.
type VillageQuery struct {
	Period, District, CoveredBy string
	Limit, Offset               int
}

// VillagesPage is a page of the assisted villages with the coverage of the district (or
// the city).
type VillagesPage struct {
	Period    string        `json:"period"`
	District  string        `json:"district"`
	CoveredBy string        `json:"covered_by"`
	Total     int           `json:"total"`
	Limit     int           `json:"limit"`
	Offset    int           `json:"offset"`
	Villages  []VillageView `json:"villages"`
	Coverage  *CoverageView `json:"coverage"`
}

// Villages returns the assisted villages (of a district, reached by a force) with the
// forces reaching each in the period, and the coverage of the district or city. A leader
// limited to a district gets that district (403 for another). Limit 0 means 500.
func (s *Server) Villages(ctx context.Context, who *Token, q VillageQuery) (*VillagesPage, error) {
	period, district, err := scopePeriodDistrict(who, q.Period, q.District)
	if err != nil {
		return nil, err
	}
	if _, ok := qiancun.LookupForce(q.CoveredBy); q.CoveredBy != "" && !ok {
		return nil, errParam("covered_by", "未知的力量 %q：应为 %s 之一", q.CoveredBy, forceSlugs())
	}
	if q.Limit == 0 {
		q.Limit = 500
	}
	res, err := s.eng.Run(ctx, "villages", map[string]string{"period": period, "district": district, "covered_by": q.CoveredBy})
	if err != nil {
		return nil, err
	}
	cov, err := s.eng.Run(ctx, "village_districts", map[string]string{"period": period})
	if err != nil {
		return nil, err
	}
	rows := rowsOf(res)
	page := []VillageView{}
	for i := q.Offset; i < len(rows) && i < q.Offset+q.Limit; i++ {
		page = append(page, villageOf(rows[i]))
	}
	var coverage *CoverageView
	for _, r := range rowsOf(cov) {
		if r.str("district_code") == district {
			coverage = coverageOf(r)
		}
	}
	if coverage == nil {
		coverage = &CoverageView{DistrictCode: district, District: qiancun.DistrictName(district), Reached: map[string]int64{}, Share: map[string]string{}}
	}
	return &VillagesPage{Period: period, District: district, CoveredBy: q.CoveredBy, Total: len(rows), Limit: q.Limit,
		Offset: q.Offset, Villages: page, Coverage: coverage}, nil
}

// Coverage returns every district's coverage in the period (and the city's, with an empty
// code), as the village_districts pack computes it.
func (s *Server) Coverage(ctx context.Context, period string) ([]*CoverageView, error) {
	period, err := checkPeriod(period)
	if err != nil {
		return nil, err
	}
	cov, err := s.eng.Run(ctx, "village_districts", map[string]string{"period": period})
	if err != nil {
		return nil, err
	}
	var out []*CoverageView
	for _, r := range rowsOf(cov) {
		out = append(out, coverageOf(r))
	}
	return out, nil
}

// villages answers GET /villages.
func (s *Server) villages(c *gin.Context) {
	limit, offset, err := pageParams(c, 500, 5000)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Villages(c.Request.Context(), callerOf(c).tok, VillageQuery{
		Period: c.Query("period"), District: c.Query("district"), CoveredBy: c.Query("covered_by"), Limit: limit, Offset: offset,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, p)
}

func coverageOf(r row) *CoverageView {
	cv := &CoverageView{
		DistrictCode: r.str("district_code"), District: r.str("district"), Villages: r.int("villages"),
		Reached: map[string]int64{}, Share: map[string]string{},
		AllSeven: r.int("all_seven"), AllSevenShare: r.str("all_seven_share"), None: r.int("none"),
	}
	for _, f := range qiancun.Forces() {
		cv.Reached[string(f.Slug)] = r.int(string(f.Slug))
		cv.Share[string(f.Slug)] = r.str(string(f.Slug) + "_share")
	}
	return cv
}

// village answers GET /villages/{code}: one assisted village and the forces reaching it.
func (s *Server) village(c *gin.Context) {
	cl := callerOf(c)
	code := c.Param("code")
	if len(code) != 12 || !allDigits(code) {
		s.fail(c, errParam("code", "%q 不是村代码：应为 12 位统计用区划代码", code))
		return
	}
	period, err := periodParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if d := cl.district(); d != "" && code[:6] != d {
		s.fail(c, errForbidden(fmt.Sprintf("此令牌只能查看区县 %s 的数据", d)))
		return
	}
	if qiancun.DistrictName(code[:6]) == "" {
		s.fail(c, errNotFound("没有这个帮扶村"))
		return
	}
	res, err := s.eng.Run(c.Request.Context(), "villages", map[string]string{"period": period, "district": code[:6]})
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, r := range rowsOf(res) {
		if r.str("code") == code {
			c.PureJSON(http.StatusOK, gin.H{"period": period, "village": villageOf(r)})
			return
		}
	}
	s.fail(c, errNotFound("没有这个帮扶村"))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Progress returns the programme against its targets in the period, of a district or the
// city. A leader limited to a district sees that district only (no city lines).
func (s *Server) Progress(ctx context.Context, who *Token, period, district string) (*qiancun.Progress, error) {
	period, district, err := scopePeriodDistrict(who, period, district)
	if err != nil {
		return nil, err
	}
	p, err := s.eng.Progress(ctx, period)
	if err != nil {
		return nil, err
	}
	if district != "" {
		// Filter a copy: the engine may hand the same value to others.
		q := *p
		q.Districts = slices.DeleteFunc(slices.Clone(p.Districts), func(d qiancun.DistrictProgress) bool { return d.Code != district })
		if who.District != "" {
			q.City = []qiancun.ProgressLine{}
		}
		p = &q
	}
	return p, nil
}

// progress answers GET /progress.
func (s *Server) progress(c *gin.Context) {
	p, err := s.Progress(c.Request.Context(), callerOf(c).tok, c.Query("period"), c.Query("district"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, p)
}

// projectJSON is one project of the ledger.
type projectJSON struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	VillageCode    string `json:"village_code"`
	Village        string `json:"village"`
	DistrictCode   string `json:"district_code"`
	District       string `json:"district"`
	LeadForce      string `json:"lead_force"`
	InvestmentYuan string `json:"investment_yuan"`
	Status         string `json:"status"`
	StartDate      string `json:"start_date"`
}

// projectSummaryJSON is one (district, lead force, status) group of the ledger.
type projectSummaryJSON struct {
	DistrictCode   string `json:"district_code"`
	District       string `json:"district"`
	LeadForce      string `json:"lead_force"`
	Status         string `json:"status"`
	Projects       int64  `json:"projects"`
	InvestmentYuan string `json:"investment_yuan"`
}

var projectStatuses = []string{"谋划中", "在建", "已完工"}

// projects answers GET /projects: the ledger's projects, filtered and paged, with the
// summary by district, lead force and status under the same filters (but q).
func (s *Server) projects(c *gin.Context) {
	district := c.Query("district")
	if district != "" && qiancun.DistrictName(district) == "" {
		s.fail(c, errParam("district", "%q 不是济南市的区县代码", district))
		return
	}
	status := c.Query("status")
	if status != "" && !slices.Contains(projectStatuses, status) {
		s.fail(c, errParam("status", "未知的状态 %q：应为 谋划中、在建 或 已完工", status))
		return
	}
	lead := c.Query("lead_force")
	if lead != "" {
		if fi, ok := qiancun.LookupForce(lead); ok {
			lead = fi.Name
		} else if fi, ok := qiancun.ForceByName(lead); ok {
			lead = fi.Name
		} else {
			s.fail(c, errParam("lead_force", "未知的力量 %q：应为代号（%s）或其中文名称", lead, forceSlugs()))
			return
		}
	}
	limit, offset, err := pageParams(c, 100, 5000)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	res, err := s.eng.Run(ctx, "project_list", map[string]string{"district": district, "status": status, "lead_force": lead, "q": c.Query("q")})
	if err != nil {
		s.fail(c, err)
		return
	}
	sum, err := s.eng.Run(ctx, "projects", map[string]string{"district": district})
	if err != nil {
		s.fail(c, err)
		return
	}
	rows := rowsOf(res)
	page := []projectJSON{}
	for i := offset; i < len(rows) && i < offset+limit; i++ {
		r := rows[i]
		page = append(page, projectJSON{
			Code: r.str("code"), Name: r.str("name"), VillageCode: r.str("village_code"), Village: r.str("village"),
			DistrictCode: r.str("district_code"), District: r.str("district"), LeadForce: r.str("lead_force"),
			InvestmentYuan: r.str("investment_yuan"), Status: r.str("status"), StartDate: r.str("start_date"),
		})
	}
	summary := []projectSummaryJSON{}
	for _, r := range rowsOf(sum) {
		if status != "" && r.str("status") != status || lead != "" && r.str("lead_force") != lead {
			continue
		}
		summary = append(summary, projectSummaryJSON{
			DistrictCode: r.str("district_code"), District: r.str("district"), LeadForce: r.str("lead_force"),
			Status: r.str("status"), Projects: r.int("projects"), InvestmentYuan: r.str("investment_yuan"),
		})
	}
	c.PureJSON(http.StatusOK, gin.H{"total": len(rows), "limit": limit, "offset": offset, "projects": page, "summary": summary})
}

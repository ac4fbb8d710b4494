package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/publish"
)

// publicationsView is the 公示 list page.
type publicationsView struct {
	List     []api.PublicationView
	Forces   []option
	Force    string
	Period   string
	Status   string
	Statuses []option
	Periods  []option
	MayAdmin bool
	Until    string // the default end of 公示 for a new publication
}

// publications answers GET /publications?force=&period=&status=: every publication, newest
// first; an administrator also gets the form that publishes a ranking.
func (s *Server) publications(c *gin.Context) {
	who := whoOf(c)
	latest, err := s.latest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	q := api.PublicationQuery{Force: c.Query("force"), Period: c.Query("period"), Status: c.Query("status")}
	list, err := s.api.Publications(c.Request.Context(), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	pv := &publicationsView{List: list, Force: q.Force, Period: q.Period, Status: q.Status, MayAdmin: who.Is(auth.RoleAdmin),
		Periods: periodOptions(latest, latest.String())}
	pv.Forces = []option{{"", "全部力量", q.Force == ""}}
	for _, f := range qiancun.Forces() {
		pv.Forces = append(pv.Forces, option{string(f.Slug), f.Name, string(f.Slug) == q.Force})
	}
	pv.Statuses = []option{{"", "全部状态", q.Status == ""}}
	for _, st := range []qiancun.PublicationState{qiancun.Notice, qiancun.Final, qiancun.Withdrawn, qiancun.Superseded} {
		pv.Statuses = append(pv.Statuses, option{string(st), string(st), string(st) == q.Status})
	}
	v := s.newView(c, "公示")
	v.Publications = pv
	s.render(c, http.StatusOK, "publications", v)
}

// publicationView is one publication's page.
type publicationView struct {
	*api.PublicationPage
	ForceName   string
	Page, Pages int
	Prev, Next  template.URL // query strings of the neighbouring pages, "" at the ends
	Grade, Q    string
	Districts   []option
	Grades      []option
	Objections  []qiancun.Objection
	MayObject   bool         // an evaluator or administrator, during 公示
	Here        template.URL // this page's query (filters and page), for the rows' 提出异议 links
	Object      string       // the member the objection form is filled in for (?object=), and
	ObjectName  string       // their name when they are on this page
	MayAdmin    bool
	MayDiff     bool
	Open        bool // in 公示
	Final       bool // 已发布
	Download    string
}

// publication answers GET /publications/{id}: the header, its window and state log, the
// submissions it froze, a page of its members, its objections, and the actions the
// caller may take.
func (s *Server) publication(c *gin.Context) {
	who := whoOf(c)
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "a publication id is a positive whole number"))
		return
	}
	page, err := pageOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	pp, err := s.api.Publication(ctx, who, id, api.RankingQuery{District: c.Query("district"), Grade: c.Query("grade"), Q: c.Query("q"),
		Limit: pageSize, Offset: (page - 1) * pageSize})
	if err != nil {
		s.fail(c, err)
		return
	}
	p := pp.Publication.Publication
	fi, _ := qiancun.LookupForce(string(p.Force))
	v := &publicationView{PublicationPage: pp, ForceName: fi.Name, Page: page, Pages: max(1, (pp.Total+pageSize-1)/pageSize),
		Grade: c.Query("grade"), Q: c.Query("q"), Districts: districtOptions(pp.District, who.District),
		MayAdmin: who.Is(auth.RoleAdmin), MayDiff: who.Is(auth.RoleAdmin, auth.RoleEvaluator),
		Open: p.State == qiancun.Notice, Final: p.State == qiancun.Final}
	v.MayObject = v.Open && v.MayDiff
	v.Grades = []option{{"", "全部等次", v.Grade == ""}}
	for _, g := range []string{qiancun.GradeExcellent, qiancun.GradeCompetent, qiancun.GradeBasic, qiancun.GradeIncompetent} {
		v.Grades = append(v.Grades, option{g, g, g == v.Grade})
	}
	if v.MayDiff {
		if v.Objections, err = s.api.Objections(ctx, who, id, false); err != nil {
			s.fail(c, err)
			return
		}
	}
	base := url.Values{}
	for k, x := range map[string]string{"district": c.Query("district"), "grade": v.Grade, "q": v.Q} {
		if x != "" {
			base.Set(k, x)
		}
	}
	if v.MayObject {
		here := cloneValues(base)
		if page > 1 {
			here.Set("page", strconv.Itoa(page))
		}
		v.Here = template.URL(here.Encode())
		v.Object = c.Query("object")
		for _, m := range pp.Members {
			if m.ID == v.Object {
				v.ObjectName = m.Name
			}
		}
	}
	if page > 1 {
		pv := cloneValues(base)
		pv.Set("page", strconv.Itoa(page-1))
		v.Prev = template.URL(pv.Encode())
	}
	if page < v.Pages {
		nv := cloneValues(base)
		nv.Set("page", strconv.Itoa(page+1))
		v.Next = template.URL(nv.Encode())
	}
	dl := url.Values{"period": {p.Period}, "source": {"published"}}
	if pp.District != "" {
		dl.Set("district", pp.District)
	}
	v.Download = "/rankings/" + string(p.Force) + "/appraisal.xlsx?" + dl.Encode()
	view := s.newView(c, fi.Name+" "+periodLabel(p.Period)+" "+string(p.Kind()))
	view.Publication = v
	s.render(c, http.StatusOK, "publication", view)
}

// diffView is the difference between a publication and the live data or another one.
type diffView struct {
	*publish.Diff
	ID        int64
	ForceName string
	Against   string
}

// publicationDiff answers GET /publications/{id}/diff?against=live|{id}, for evaluators
// and administrators.
func (s *Server) publicationDiff(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "a publication id is a positive whole number"))
		return
	}
	against := c.DefaultQuery("against", "live")
	d, err := s.api.PublicationDiff(c.Request.Context(), whoOf(c), id, against)
	if err != nil {
		s.fail(c, err)
		return
	}
	fi, _ := qiancun.LookupForce(string(d.Force))
	v := s.newView(c, "差异")
	v.Diff = &diffView{Diff: d, ID: id, ForceName: fi.Name, Against: against}
	s.render(c, http.StatusOK, "diff", v)
}

// publish answers POST /publications (administrators): the live ranking of the force and
// period frozen in 公示; then the new publication's page.
func (s *Server) publish(c *gin.Context) {
	p, err := s.api.Publish(c.Request.Context(), whoOf(c), c.PostForm("force"), c.PostForm("period"), c.PostForm("until"), c.PostForm("note"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/publications/"+strconv.FormatInt(p.ID, 10))
}

// move answers POST /publications/{id}/finalize, /withdraw and /correct (administrators),
// then shows the publication that results.
func (s *Server) move(move string) gin.HandlerFunc {
	return func(c *gin.Context) { s.moveOne(c, move) }
}

func (s *Server) moveOne(c *gin.Context, move string) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "a publication id is a positive whole number"))
		return
	}
	p, err := s.api.MovePublication(c.Request.Context(), whoOf(c), id, move, strings.TrimSpace(c.PostForm("reason")), strings.TrimSpace(c.PostForm("note")))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/publications/"+strconv.FormatInt(p.ID, 10))
}

// object answers POST /publications/{id}/objections (evaluators and administrators, during
// 公示): the objection is recorded against the member, then the publication's page.
func (s *Server) object(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "a publication id is a positive whole number"))
		return
	}
	if _, err := s.api.AddObjection(c.Request.Context(), whoOf(c), id, strings.TrimSpace(c.PostForm("member")), strings.TrimSpace(c.PostForm("reason"))); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/publications/"+strconv.FormatInt(id, 10)+"#objections")
}

// resolve answers POST /objections/{id}/resolve (administrators), then the publication's
// page.
func (s *Server) resolve(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, badParam("id", "an objection id is a positive whole number"))
		return
	}
	o, err := s.api.ResolveObjection(c.Request.Context(), whoOf(c), id, c.PostForm("resolution"), strings.TrimSpace(c.PostForm("note")))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/publications/"+strconv.FormatInt(o.PublicationID, 10)+"#objections")
}

package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
)

// views keeps, for each ranking the engine handed out, what serving it needs: the members'
// opaque ids and masked keys, indexes to find a member by either, and every member's JSON
// in both forms (masked, and unmasked for administrators), so that a page is assembled from
// bytes already made. It is dropped whole when the data version moves, as the engine's own
// cache is.
type views struct {
	key      []byte // HMAC key of the member ids
	snapshot string // the snapshot served, named in every ranking; "" on the primary

	mu      sync.Mutex
	version uint64
	m       map[*qiancun.Ranking]*rankView
}

// maxViews bounds the views kept: seven forces × a few periods.
const maxViews = 64

func newViews(key []byte, snapshot string) *views {
	return &views{key: key, snapshot: snapshot, m: map[*qiancun.Ranking]*rankView{}}
}

// get returns the view of r, made once however many requests ask at the same time.
func (v *views) get(r *qiancun.Ranking, version uint64) *rankView {
	v.mu.Lock()
	if v.version != version || len(v.m) >= maxViews {
		clear(v.m)
		v.version = version
	}
	rv, ok := v.m[r]
	if !ok {
		rv = &rankView{r: r}
		v.m[r] = rv
	}
	v.mu.Unlock()
	rv.once.Do(func() { rv.build(v.key, v.snapshot) })
	return rv
}

// rankView is a ranking ready to serve. It is read-only once built.
type rankView struct {
	r    *qiancun.Ranking
	once sync.Once

	ids      []string // opaque member ids, in rank order
	masked   []string // keys as non-administrators see them
	byKey    map[string]int
	byID     map[string]int
	byMasked map[string][]int

	head []byte // the ranking's fields as JSON, without the closing brace
	enc  [2]encoded

	ranksOnce sync.Once
	ranks     map[string]int // city rank by member id, made on first use (Ranks)
}

// encoded is every member's JSON in one form: 0 masked, 1 unmasked.
type encoded struct {
	once    sync.Once
	members [][]byte
}

// memberID is a member's opaque id: stable for a key (and the server's id key), and
// revealing nothing of the 身份证号 it stands for.
func memberID(key []byte, force qiancun.Force, memberKey string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(force))
	h.Write([]byte{0})
	h.Write([]byte(memberKey))
	return "m-" + hex.EncodeToString(h.Sum(nil)[:8])
}

func (rv *rankView) build(key []byte, snapshot string) {
	r := rv.r
	n := len(r.Members)
	rv.ids, rv.masked = make([]string, n), make([]string, n)
	rv.byKey, rv.byID, rv.byMasked = make(map[string]int, n), make(map[string]int, n), make(map[string][]int, n)
	for i := range r.Members {
		k := r.Members[i].Key
		rv.ids[i] = memberID(key, r.Force, k)
		rv.masked[i] = qiancun.MaskKey(r.KeyKind, k)
		rv.byKey[k] = i
		rv.byID[rv.ids[i]] = i
		rv.byMasked[rv.masked[i]] = append(rv.byMasked[rv.masked[i]], i)
	}
	head, _ := marshal(rankingHead{
		Force: r.Force, ForceName: r.ForceName, Period: r.Period, Months: r.Months, MissingMonths: r.MissingMonths,
		RulesVersion: r.RulesVersion, QuotaScope: r.QuotaScope, KeyKind: r.KeyKind, Indicators: r.Indicators, ComputedAt: r.ComputedAt,
		Snapshot: snapshot,
	})
	rv.head = head[:len(head)-1] // drop the closing brace: the page's fields follow
}

// members returns every member's JSON in the form asked for, made on first use.
func (rv *rankView) members(full bool) [][]byte {
	f := 0
	if full {
		f = 1
	}
	e := &rv.enc[f]
	e.once.Do(func() {
		e.members = make([][]byte, len(rv.r.Members))
		for i := range rv.r.Members {
			e.members[i], _ = marshal(rv.member(i, full))
		}
	})
	return e.members
}

// member is member i as the API shows it.
func (rv *rankView) member(i int, full bool) MemberView {
	m := &rv.r.Members[i]
	key, name := rv.masked[i], qiancun.MaskText(m.Name)
	if full {
		key, name = m.Key, m.Name
	}
	return MemberView{
		ID: rv.ids[i], Rank: m.Rank, DistrictRank: m.DistrictRank, Key: key, Name: name,
		District: m.District, DistrictCode: m.DistrictCode, Score: m.Score, Grade: m.Grade,
		Vetoed: m.Vetoed, VetoReason: m.VetoReason, Indicators: m.IndicatorMap(), Points: m.PointMap(), Months: m.Months,
		Missing: m.Missing,
	}
}

// resolve finds the member a path names: by opaque id; by masked key when only one member
// has it; and, for an administrator, by the key itself. A non-administrator's unmasked
// 身份证号 finds nothing, so the API cannot be used to test whether a number is in a cohort.
// A caller limited to a district (non-empty district) sees only that district's members:
// any other is not found, whatever the key, and a masked key is ambiguous only when
// several of its own district's members share it, so that the answer tells nothing of
// other districts.
func (rv *rankView) resolve(s string, admin bool, district string) (int, error) {
	notFound := errNotFound("该力量、该期间的考核名单中没有这名成员")
	mine := func(i int) bool { return district == "" || rv.r.Members[i].DistrictCode == district }
	if i, ok := rv.byID[s]; ok {
		if !mine(i) {
			return 0, notFound
		}
		return i, nil
	}
	if admin {
		if i, ok := rv.byKey[s]; ok && mine(i) {
			return i, nil
		}
	}
	var ms []int
	for _, i := range rv.byMasked[s] {
		if mine(i) {
			ms = append(ms, i)
		}
	}
	switch len(ms) {
	case 0:
		return 0, notFound
	case 1:
		return ms[0], nil
	}
	return 0, errParam("key", "脱敏证件号 %s 对应多名成员：请改用成员编号（排名中的 id 字段）", s)
}

// selectMembers returns the indexes of the members f selects, in rank order, and how many
// matched: qiancun.Ranking.Positions, which finds them without copying them (most of the
// cost of a page), from the ranking's index.
func (rv *rankView) selectMembers(f qiancun.Filter) ([]int, int) {
	return rv.r.Positions(f)
}

// rankingHead is a ranking's fields before its page.
type rankingHead struct {
	Force         qiancun.Force           `json:"force"`
	ForceName     string                  `json:"force_name"`
	Period        string                  `json:"period"`
	Months        []string                `json:"months"`
	MissingMonths []string                `json:"missing_months"`
	RulesVersion  string                  `json:"rules_version"`
	QuotaScope    string                  `json:"quota_scope"`
	KeyKind       qiancun.KeyKind         `json:"key_kind"`
	Indicators    []qiancun.IndicatorInfo `json:"indicators"`
	ComputedAt    time.Time               `json:"computed_at"`
	// Snapshot is the id of the snapshot a read replica answered from (as in the
	// X-Qiancun-Snapshot header); absent on the primary.
	Snapshot string `json:"snapshot,omitempty"`
}

// MemberView is one member of a ranking as the API shows it.
type MemberView struct {
	ID           string            `json:"id"`
	Rank         int               `json:"rank"`
	DistrictRank int               `json:"district_rank"`
	Key          string            `json:"key"`
	Name         string            `json:"name"`
	District     string            `json:"district"`
	DistrictCode string            `json:"district_code"`
	Score        string            `json:"score"`
	Grade        string            `json:"grade"`
	Vetoed       bool              `json:"vetoed"`
	VetoReason   string            `json:"veto_reason,omitempty"`
	Indicators   map[string]string `json:"indicators"`
	Points       map[string]string `json:"points"`
	Months       int               `json:"months"`
	Missing      []string          `json:"missing,omitempty"`
}

// marshal is json.Marshal without HTML escaping, so that Chinese text and & read as given.
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

var pagePool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// RankingQuery is what a page of a ranking asks for; Period is required, the rest may be
// empty.
type RankingQuery struct {
	Force, Period, District, Grade, Q string
	Source                            string // "", live or published: see rankingSource
	Limit, Offset                     int
}

// RankingPage is a page of a ranking as the caller may see it: the API encodes it as JSON,
// the pages render it as a table.
type RankingPage struct {
	Ranking  *qiancun.Ranking
	District string // the district the page is limited to ("" for the city)
	Total    int    // members matching the filter
	Limit    int
	Offset   int
	// Source is live or published; Publication is the publication served, or nil.
	Source      string
	Publication *qiancun.Publication

	rv   *rankView
	idx  []int
	full bool
}

// Members are the page's members, masked but for an administrator.
func (p *RankingPage) Members() []MemberView {
	out := make([]MemberView, len(p.idx))
	for n, i := range p.idx {
		out[n] = p.rv.member(i, p.full)
	}
	return out
}

// RankingPage checks q against the caller's scope (a leader limited to a district gets it
// whatever q says, and a 403 for another) and returns the page, from the engine's cache.
// Limit 0 means 50; at most 1000.
func (s *Server) RankingPage(ctx context.Context, who *Token, q RankingQuery) (*RankingPage, error) {
	fi, ok := qiancun.LookupForce(q.Force)
	if !ok {
		return nil, errParam("force", "未知的力量 %q：应为 %s 之一", q.Force, forceSlugs())
	}
	period, district, err := scopePeriodDistrict(who, q.Period, q.District)
	if err != nil {
		return nil, err
	}
	if err := checkGrade(q.Grade); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, errParam("limit", "limit 应为 1 到 1000 的整数")
	}
	if q.Offset < 0 {
		return nil, errParam("offset", "offset 应为 0 到 %d 的整数", 1<<30)
	}
	pub, err := s.rankingSource(ctx, who, fi.Slug, period, q.Source)
	if err != nil {
		return nil, err
	}
	var rv *rankView
	source := sourceLive
	if pub != nil {
		if rv, err = s.pubView(ctx, pub.ID); err != nil {
			return nil, err
		}
		source = sourcePublished
	} else {
		version := s.st.Version()
		r, err := s.eng.Rank(ctx, fi.Slug, period)
		if err != nil {
			return nil, err
		}
		rv = s.views.get(r, version)
	}
	full := who.Admin()
	idx, total := rv.selectMembers(qiancun.Filter{District: district, Grade: q.Grade, Query: q.Q, MatchKey: full, Limit: q.Limit, Offset: q.Offset})
	return &RankingPage{Ranking: rv.r, District: district, Total: total, Limit: q.Limit, Offset: q.Offset,
		Source: source, Publication: pub, rv: rv, idx: idx, full: full}, nil
}

// Ranks returns every member's city rank in force's ranking for period, from the source
// who would be shown (see rankingSource), by the member's opaque id (which is the same in
// every period): what a rank change is measured against. A period without data gives an
// empty map. The map is shared: do not change it.
func (s *Server) Ranks(ctx context.Context, who *Token, force qiancun.Force, period, source string) (map[string]int, error) {
	pub, err := s.rankingSource(ctx, who, force, period, source)
	if err != nil {
		return nil, err
	}
	var rv *rankView
	if pub != nil {
		if rv, err = s.pubView(ctx, pub.ID); err != nil {
			return nil, err
		}
	} else {
		version := s.st.Version()
		r, err := s.eng.Rank(ctx, force, period)
		if err != nil {
			return nil, err
		}
		rv = s.views.get(r, version)
	}
	rv.ranksOnce.Do(func() {
		rv.ranks = make(map[string]int, len(rv.ids))
		for i, id := range rv.ids {
			rv.ranks[id] = rv.r.Members[i].Rank
		}
	})
	return rv.ranks, nil
}

// ranking answers GET /rankings/{force}: a page of the ranking, from memory.
func (s *Server) ranking(c *gin.Context) {
	cl := callerOf(c)
	limit, offset, err := pageParams(c, 50, 1000)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.RankingPage(c.Request.Context(), cl.tok, RankingQuery{
		Force: c.Param("force"), Period: c.Query("period"), District: c.Query("district"), Grade: c.Query("grade"),
		Q: c.Query("q"), Source: c.Query("source"), Limit: limit, Offset: offset,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	writePage(c, p.rv, p.Source, p.Publication, p.full, p.idx, p.Total, limit, offset)
}

// ScorecardView is a scorecard as the API shows it: the member as in the ranking.
type ScorecardView struct {
	Force         qiancun.Force       `json:"force"`
	ForceName     string              `json:"-"`
	Period        string              `json:"period"`
	RulesVersion  string              `json:"rules_version"`
	CohortSize    int                 `json:"cohort_size"`
	MissingMonths []string            `json:"missing_months"`
	Member        MemberView          `json:"member"`
	Lines         []qiancun.ScoreLine `json:"lines"`
	Source        string              `json:"source"`      // live or published
	Publication   *pubRef             `json:"publication"` // the publication served, or null
}

// Scorecard returns the scorecard of the member of force that key names (see
// rankView.resolve) in period. A leader limited to a district gets 404 for another
// district's member, as if it did not exist.
//
// source ("", live or published) chooses as for the ranking: a leader sees a published
// member as published.
func (s *Server) Scorecard(ctx context.Context, who *Token, force, key, period, source string) (*ScorecardView, error) {
	fi, ok := qiancun.LookupForce(force)
	if !ok {
		return nil, errParam("force", "未知的力量 %q：应为 %s 之一", force, forceSlugs())
	}
	period, err := checkPeriod(period)
	if err != nil {
		return nil, err
	}
	version := s.st.Version()
	pub, err := s.rankingSource(ctx, who, fi.Slug, period, source)
	if err != nil {
		return nil, err
	}
	var rv *rankView
	var frozen pubView
	if pub != nil {
		if frozen, err = s.frozen(ctx, pub.ID); err != nil {
			return nil, err
		}
		rv = frozen.rv
	} else {
		r, err := s.eng.Rank(ctx, fi.Slug, period)
		if err != nil {
			return nil, err
		}
		rv = s.views.get(r, version)
	}
	r := rv.r
	i, err := rv.resolve(key, who.Admin(), who.District)
	if err != nil {
		return nil, err
	}
	var sc *qiancun.Scorecard
	src := sourceLive
	if pub != nil {
		sc, err = s.cfg.Publish.Scorecard(ctx, frozen.p, r.Members[i].Key)
		src = sourcePublished
	} else {
		sc, err = s.eng.Scorecard(ctx, fi.Slug, r.Period, r.Members[i].Key)
	}
	if err != nil {
		return nil, err
	}
	return &ScorecardView{
		Force: sc.Force, ForceName: fi.Name, Period: sc.Period, RulesVersion: sc.RulesVersion, CohortSize: sc.CohortSize,
		MissingMonths: sc.MissingMonths, Member: rv.member(i, who.Admin()), Lines: sc.Lines,
		Source: src, Publication: refOf(pub),
	}, nil
}

// scorecard answers GET /members/{force}/{key}/scorecard. {key} is the member's opaque id,
// its key as the caller sees it in the ranking (masked, when that is unambiguous), or for an
// administrator the key itself.
func (s *Server) scorecard(c *gin.Context) {
	sc, err := s.Scorecard(c.Request.Context(), callerOf(c).tok, c.Param("force"), c.Param("key"), c.Query("period"), c.Query("source"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, sc)
}

// ForceView is one force with its member count.
type ForceView struct {
	qiancun.ForceInfo
	Members int64 `json:"members"`
	Target  int64 `json:"target,omitempty"`
}

// Forces returns the seven forces, with the members each has had in any period
// (city-wide, for every role: these are the programme's published kind of figure) and the
// published target.
func (s *Server) Forces(ctx context.Context) ([]ForceView, error) {
	counts, err := s.st.MemberCounts(ctx)
	if err != nil {
		return nil, err
	}
	targets := s.eng.Rules().Targets.Members
	out := []ForceView{}
	for _, f := range qiancun.Forces() {
		out = append(out, ForceView{ForceInfo: f, Members: counts[f.Slug], Target: targets[string(f.Slug)]})
	}
	return out, nil
}

// forces answers GET /forces.
func (s *Server) forces(c *gin.Context) {
	out, err := s.Forces(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"forces": out})
}

// forceSlugs lists the slugs for an error message.
func forceSlugs() string {
	var ss []string
	for _, f := range qiancun.Forces() {
		ss = append(ss, string(f.Slug))
	}
	return strings.Join(ss, ", ")
}

// checkPeriod reads a required period: YYYY-MM, YYYY-Qn or YYYY.
func checkPeriod(p string) (string, error) {
	if p == "" {
		return "", errParam("period", "缺少期间 period：格式为 YYYY-MM、YYYY-Qn 或 YYYY")
	}
	per, err := qiancun.ParsePeriod(p)
	if err != nil {
		return "", errParam("period", "%v", err)
	}
	return per.String(), nil
}

// periodParam reads the required period query parameter.
func periodParam(c *gin.Context) (string, error) { return checkPeriod(c.Query("period")) }

// scopeDistrict checks the district asked for (d, "" for the city) against who's scope. A
// leader limited to a district gets that district when it asks for none, and 403 when it
// asks for another.
func scopeDistrict(who *Token, d string) (string, error) {
	if d != "" && qiancun.DistrictName(d) == "" {
		return "", errParam("district", "%q 不是济南市的区县代码", d)
	}
	if own := who.District; own != "" {
		if d != "" && d != own {
			return "", errForbidden(fmt.Sprintf("此令牌只能查看区县 %s 的数据", own))
		}
		return own, nil
	}
	return d, nil
}

// scopePeriodDistrict reads the period (required) and the district who may see.
func scopePeriodDistrict(who *Token, period, district string) (string, string, error) {
	period, err := checkPeriod(period)
	if err != nil {
		return "", "", err
	}
	district, err = scopeDistrict(who, district)
	return period, district, err
}

// periodDistrict reads the period (required) and the district the caller may see from the
// query.
func (s *Server) periodDistrict(c *gin.Context, cl *caller) (period, district string, err error) {
	return scopePeriodDistrict(cl.tok, c.Query("period"), c.Query("district"))
}

// pageParams reads limit (default def, at most hi) and offset.
func pageParams(c *gin.Context, def, hi int) (limit, offset int, err error) {
	if limit, err = intParam(c, "limit", def, 1, hi); err != nil {
		return 0, 0, err
	}
	offset, err = intParam(c, "offset", 0, 0, 1<<30)
	return limit, offset, err
}

func intParam(c *gin.Context, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errParam(name, "%s 应为 %d 到 %d 的整数", name, lo, hi)
	}
	return n, nil
}

// checkGrade accepts one of the four grades, or "" for all.
func checkGrade(grade string) error {
	switch grade {
	case "", qiancun.GradeExcellent, qiancun.GradeCompetent, qiancun.GradeBasic, qiancun.GradeIncompetent:
		return nil
	}
	return errParam("grade", "未知的等次 %q：应为 优秀、称职、基本称职 或 不称职", grade)
}

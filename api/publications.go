package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/store"
)

// pubViews keeps the view of each publication's frozen ranking: a publication's members
// never change, so a view is never stale (its state is read afresh on each request).
type pubViews struct {
	mu sync.Mutex
	m  map[int64]pubView
}

// pubView is a publication's frozen content (its state as loaded: read it afresh) and the
// view of its ranking.
type pubView struct {
	rv *rankView
	p  *qiancun.Publication
}

// maxPubViews bounds the publication views kept.
const maxPubViews = 32

// pubView returns the view of publication id's ranking, loading it on first use.
func (s *Server) pubView(ctx context.Context, id int64) (*rankView, error) {
	v, err := s.frozen(ctx, id)
	return v.rv, err
}

// frozen returns publication id's frozen content and ranking view, loading them on first
// use.
func (s *Server) frozen(ctx context.Context, id int64) (pubView, error) {
	pv := &s.pubs
	pv.mu.Lock()
	v, ok := pv.m[id]
	pv.mu.Unlock()
	if ok {
		return v, nil
	}
	p, err := s.cfg.Publish.Get(ctx, id)
	if err != nil {
		return pubView{}, err
	}
	rv := &rankView{r: p.Ranking()}
	rv.once.Do(func() { rv.build(s.cfg.MemberIDKey, s.cfg.Snapshot) })
	v = pubView{rv: rv, p: p}
	pv.mu.Lock()
	if pv.m == nil || len(pv.m) >= maxPubViews {
		pv.m = map[int64]pubView{}
	}
	pv.m[id] = v
	pv.mu.Unlock()
	return v, nil
}

// pubRef is how a ranking answer names the publication it comes from.
type pubRef struct {
	ID     int64                    `json:"id"`
	Status qiancun.PublicationState `json:"status"`
	Kind   qiancun.PublicationKind  `json:"kind"`
	Hash   string                   `json:"hash"`
	Until  string                   `json:"until"`
}

func refOf(p *qiancun.Publication) *pubRef {
	if p == nil {
		return nil
	}
	return &pubRef{ID: p.ID, Status: p.State, Kind: p.Kind(), Hash: p.Hash, Until: p.Until}
}

// The sources of a ranking answer.
const (
	sourceLive      = "live"
	sourcePublished = "published"
)

// rankingSource decides where a ranking answer comes from: a leader gets the latest
// publication not withdrawn once there is one, never live data; an evaluator or an
// administrator chooses with source=live|published, published by default when there is
// one. It returns the publication to serve, or nil for the live ranking.
func (s *Server) rankingSource(ctx context.Context, who *Token, force qiancun.Force, period, src string) (*qiancun.Publication, error) {
	switch src {
	case "", sourceLive, sourcePublished:
	default:
		return nil, errParam("source", "未知的数据来源 %q：应为 live 或 published", src)
	}
	latest, err := s.cfg.Publish.LatestHeader(ctx, force, period)
	if err != nil {
		return nil, err
	}
	switch {
	case who.Role == RoleLeader && src == sourceLive:
		return nil, errForbidden("领导只能查看已公布的结果：请用 source=published，或不给 source")
	case src == sourceLive:
		return nil, nil
	case src == sourcePublished && latest == nil:
		return nil, errNotFound("该力量、该期间还没有（未撤回的）发布")
	}
	return latest, nil
}

// writePage writes a page of rv: its head, where it comes from, and the members idx.
func writePage(c *gin.Context, rv *rankView, source string, p *qiancun.Publication, full bool, idx []int, total, limit, offset int) {
	enc := rv.members(full)
	bp := pagePool.Get().(*[]byte)
	b := append((*bp)[:0], rv.head...)
	b = append(b, `,"source":"`...)
	b = append(b, source...)
	b = append(b, `","publication":`...)
	ref, _ := marshal(refOf(p))
	b = append(b, ref...)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, int64(offset), 10)
	b = append(b, `,"members":[`...)
	for n, i := range idx {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, enc[i]...)
	}
	b = append(b, "]}"...)
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
	*bp = b
	pagePool.Put(bp)
}

// pubID reads the {id} path parameter.
func pubID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errParam("id", "%q 不是发布编号", c.Param("id"))
	}
	return id, nil
}

// PublicationView is a publication's header as the API shows it.
type PublicationView struct {
	*qiancun.Publication
	Kind qiancun.PublicationKind `json:"kind"`
}

func viewOf(p *qiancun.Publication) PublicationView { return PublicationView{p, p.Kind()} }

// PublicationQuery selects publications; empty fields match all.
type PublicationQuery struct {
	Force, Period, Status string
}

// Publications returns the publications q selects, newest first, without members.
func (s *Server) Publications(ctx context.Context, q PublicationQuery) ([]PublicationView, error) {
	f := store.PublicationFilter{Force: qiancun.Force(q.Force), Period: q.Period, State: qiancun.PublicationState(q.Status)}
	if f.Force != "" {
		if _, ok := qiancun.LookupForce(string(f.Force)); !ok {
			return nil, errParam("force", "未知的力量 %q：应为 %s 之一", f.Force, forceSlugs())
		}
	}
	if f.Period != "" {
		per, err := qiancun.ParsePeriod(f.Period)
		if err != nil {
			return nil, errParam("period", "%v", err)
		}
		f.Period = per.String()
	}
	switch f.State {
	case "", qiancun.Notice, qiancun.Final, qiancun.Withdrawn, qiancun.Superseded:
	default:
		return nil, errParam("status", "未知的状态 %q：应为 公示、已发布、已撤回 或 已更正", f.State)
	}
	ps, err := s.cfg.Publish.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]PublicationView, len(ps))
	for i := range ps {
		out[i] = viewOf(&ps[i])
	}
	return out, nil
}

// publications answers GET /publications?force=&period=&status=: newest first, without
// members.
func (s *Server) publications(c *gin.Context) {
	out, err := s.Publications(c.Request.Context(), PublicationQuery{Force: c.Query("force"), Period: c.Query("period"), Status: c.Query("status")})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, s.withSnapshot(gin.H{"publications": out}))
}

// PublicationPage is a publication with its state and log as they are now, and a page of
// its members.
type PublicationPage struct {
	Publication PublicationView `json:"publication"`
	Total       int             `json:"total"`
	Limit       int             `json:"limit"`
	Offset      int             `json:"offset"`
	Members     []MemberView    `json:"members"`
	District    string          `json:"-"` // the district the page is limited to
	// Snapshot is, on a read replica, the snapshot the page comes from (as in the
	// X-Qiancun-Snapshot header); absent on the primary.
	Snapshot string `json:"snapshot,omitempty"`
}

// Publication returns publication id with a page of its members (District, Grade, Q,
// Limit and Offset of q as for rankings; its Force, Period and Source are ignored). A
// leader limited to a district sees that district's members.
func (s *Server) Publication(ctx context.Context, who *Token, id int64, q RankingQuery) (*PublicationPage, error) {
	district, err := scopeDistrict(who, q.District)
	if err != nil {
		return nil, err
	}
	if err := checkGrade(q.Grade); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	frozen, err := s.frozen(ctx, id)
	if err != nil {
		return nil, err
	}
	now, err := s.cfg.Publish.Header(ctx, id) // the state and log as they are now
	if err != nil {
		return nil, err
	}
	p := *frozen.p
	p.State, p.SupersededBy, p.Events = now.State, now.SupersededBy, now.Events
	rv := frozen.rv
	full := who.Admin()
	idx, total := rv.selectMembers(qiancun.Filter{District: district, Grade: q.Grade, Query: q.Q, MatchKey: full, Limit: q.Limit, Offset: q.Offset})
	members := make([]MemberView, len(idx))
	for n, i := range idx {
		members[n] = rv.member(i, full)
	}
	return &PublicationPage{Publication: viewOf(&p), Total: total, Limit: q.Limit, Offset: q.Offset, Members: members, District: district, Snapshot: s.cfg.Snapshot}, nil
}

// publication answers GET /publications/{id}: the header, the submissions used, the state
// log, and a page of its members (district, grade, q, limit, offset as for rankings).
func (s *Server) publication(c *gin.Context) {
	id, err := pubID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, offset, err := pageParams(c, 50, 1000)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Publication(c.Request.Context(), callerOf(c).tok, id, RankingQuery{
		District: c.Query("district"), Grade: c.Query("grade"), Q: c.Query("q"), Limit: limit, Offset: offset,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, p)
}

// PublicationDiff returns what differs between publication id and against: "live" (or
// "") for the live data, or another publication's id. Keys are masked but for an
// administrator.
func (s *Server) PublicationDiff(ctx context.Context, who *Token, id int64, against string) (*publish.Diff, error) {
	to := publish.Live
	if against != "" && against != "live" {
		n, err := strconv.ParseInt(against, 10, 64)
		if err != nil || n <= 0 {
			return nil, errParam("against", "应为 live 或发布编号，而不是 %q", against)
		}
		to = publish.Ref(n)
	}
	d, err := s.cfg.Publish.Diff(ctx, id, to)
	if err != nil {
		return nil, err
	}
	if !who.Admin() {
		d = d.Masked()
	}
	return d, nil
}

// publicationDiff answers GET /publications/{id}/diff?against=live|{id}.
func (s *Server) publicationDiff(c *gin.Context) {
	id, err := pubID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.PublicationDiff(c.Request.Context(), callerOf(c).tok, id, c.DefaultQuery("against", "live"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, d)
}

// publishBody is the body of POST /publications.
type publishBody struct {
	Force  string `json:"force"`
	Period string `json:"period"`
	Until  string `json:"until"`
	Note   string `json:"note"`
}

// Publish freezes the live ranking of force and period in 公示 until until (YYYY-MM-DD;
// "" for the default window), as who. A failure to write the bundle is logged, and the
// publication stands.
func (s *Server) Publish(ctx context.Context, who *Token, force, period, until, note string) (*qiancun.Publication, error) {
	p, err := s.cfg.Publish.Publish(ctx, publish.Request{Force: qiancun.Force(force), Period: period, Until: until, By: who.Name, Note: note})
	if p == nil {
		return nil, err
	}
	if err != nil {
		s.log.Error("bundle", "publication", p.ID, "err", err)
	}
	p.Members = nil
	return p, nil
}

// publish answers POST /publications: freezes the live ranking in 公示.
func (s *Server) publish(c *gin.Context) {
	var b publishBody
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Publish(c.Request.Context(), callerOf(c).tok, b.Force, b.Period, b.Until, b.Note)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusCreated, viewOf(p))
}

// reasonBody is the body of withdraw and correct.
type reasonBody struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// MovePublication moves publication id, as who: "finalize" (公示 → 已发布), "withdraw"
// (公示 → 已撤回, with a reason) or "correct" (a new, final publication that supersedes a
// final one, with a reason and a note). It returns the publication that results (for
// correct, the new one).
func (s *Server) MovePublication(ctx context.Context, who *Token, id int64, move, reason, note string) (*qiancun.Publication, error) {
	var (
		p   *qiancun.Publication
		err error
	)
	switch move {
	case "finalize":
		p, err = s.cfg.Publish.Finalize(ctx, id, who.Name)
	case "withdraw":
		p, err = s.cfg.Publish.Withdraw(ctx, id, who.Name, reason)
	case "correct":
		p, err = s.cfg.Publish.Correct(ctx, id, who.Name, reason, note)
		if p != nil && err != nil {
			s.log.Error("bundle", "publication", p.ID, "err", err)
			err = nil
		}
	default:
		return nil, errParam("move", "未知的操作 %q：应为 finalize、withdraw 或 correct", move)
	}
	if err != nil {
		return nil, err
	}
	p.Members = nil
	return p, nil
}

// publicationMove answers POST /publications/{id}/finalize, /withdraw and /correct.
func (s *Server) publicationMove(move string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pubID(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		var b reasonBody
		if move != "finalize" {
			if err := bindJSON(c, &b); err != nil {
				s.fail(c, err)
				return
			}
		}
		p, err := s.MovePublication(c.Request.Context(), callerOf(c).tok, id, move, b.Reason, b.Note)
		if err != nil {
			s.fail(c, err)
			return
		}
		status := http.StatusOK
		if move == "correct" {
			status = http.StatusCreated
		}
		c.PureJSON(status, viewOf(p))
	}
}

// objectionBody is the body of POST /publications/{id}/objections.
type objectionBody struct {
	Member string `json:"member"` // the member's id, its key as the caller sees it, or (admin) the key
	Reason string `json:"reason"`
}

// objectionOut is an objection with its key as who may see it.
func objectionOut(who *Token, o qiancun.Objection) qiancun.Objection {
	if !who.Admin() && qiancun.ValidID(o.MemberKey) {
		o.MemberKey = qiancun.MaskID(o.MemberKey)
	}
	return o
}

// AddObjection records who's objection during 公示 against the member of publication id
// that member names (its id, its key as who sees it, or for an administrator the key).
func (s *Server) AddObjection(ctx context.Context, who *Token, id int64, member, reason string) (*qiancun.Objection, error) {
	rv, err := s.pubView(ctx, id)
	if err != nil {
		return nil, err
	}
	i, err := rv.resolve(member, who.Admin(), who.District)
	if err != nil {
		return nil, err
	}
	o, err := s.cfg.Publish.AddObjection(ctx, id, rv.r.Members[i].Key, who.Name, reason)
	if err != nil {
		return nil, err
	}
	out := objectionOut(who, *o)
	return &out, nil
}

// addObjection answers POST /publications/{id}/objections: records an objection during 公示.
func (s *Server) addObjection(c *gin.Context) {
	id, err := pubID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var b objectionBody
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	o, err := s.AddObjection(c.Request.Context(), callerOf(c).tok, id, b.Member, b.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusCreated, o)
}

// resolveBody is the body of POST /objections/{id}/resolve.
type resolveBody struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

// ResolveObjection records the resolution (维持 or 更正) of objection id, as who.
func (s *Server) ResolveObjection(ctx context.Context, who *Token, id int64, resolution, note string) (*qiancun.Objection, error) {
	o, err := s.cfg.Publish.Resolve(ctx, id, qiancun.Resolution(resolution), who.Name, note)
	if err != nil {
		return nil, err
	}
	out := objectionOut(who, *o)
	return &out, nil
}

// resolveObjection answers POST /objections/{id}/resolve.
func (s *Server) resolveObjection(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, errParam("id", "%q 不是异议编号", c.Param("id")))
		return
	}
	var b resolveBody
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	o, err := s.ResolveObjection(c.Request.Context(), callerOf(c).tok, id, b.Resolution, b.Note)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, o)
}

// Objections returns the objections (of a publication when publicationID > 0; the open
// ones only when openOnly), keys masked but for an administrator.
func (s *Server) Objections(ctx context.Context, who *Token, publicationID int64, openOnly bool) ([]qiancun.Objection, error) {
	obs, err := s.cfg.Publish.Objections(ctx, store.ObjectionFilter{PublicationID: publicationID, OpenOnly: openOnly})
	if err != nil {
		return nil, err
	}
	for i := range obs {
		obs[i] = objectionOut(who, obs[i])
	}
	return obs, nil
}

// objections answers GET /objections?publication=&open=true.
func (s *Server) objections(c *gin.Context) {
	var pid int64
	if v := c.Query("publication"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.fail(c, errParam("publication", "%q 不是发布编号", v))
			return
		}
		pid = n
	}
	open := false
	switch c.Query("open") {
	case "", "false":
	case "true":
		open = true
	default:
		s.fail(c, errParam("open", "open 应为 true 或 false"))
		return
	}
	obs, err := s.Objections(c.Request.Context(), callerOf(c).tok, pid, open)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"objections": obs})
}

// bindJSON reads a small JSON body into v; unknown fields are refused.
func bindJSON(c *gin.Context, v any) error {
	dec := jsonDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errParam("body", "请求体应为 JSON 对象：%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func jsonDecoder(r io.Reader) *json.Decoder {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec
}

// withSnapshot adds, on a read replica, the snapshot the answer comes from as a top-level
// "snapshot" field (as in the X-Qiancun-Snapshot header and the rankings).
func (s *Server) withSnapshot(h gin.H) gin.H {
	if s.cfg.Snapshot != "" {
		h["snapshot"] = s.cfg.Snapshot
	}
	return h
}

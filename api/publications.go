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
func (s *Server) rankingSource(c *gin.Context, cl *caller, force qiancun.Force, period string) (*qiancun.Publication, error) {
	src := c.Query("source")
	switch src {
	case "", sourceLive, sourcePublished:
	default:
		return nil, errParam("source", "unknown source %q: want live or published", src)
	}
	latest, err := s.cfg.Publish.LatestHeader(c.Request.Context(), force, period)
	if err != nil {
		return nil, err
	}
	switch {
	case cl.tok.Role == RoleLeader && src == sourceLive:
		return nil, errForbidden("leaders see the published figures only: ask for source=published or leave source out")
	case src == sourceLive:
		return nil, nil
	case src == sourcePublished && latest == nil:
		return nil, errNotFound("this force and period has no publication (not withdrawn) yet")
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
		return 0, errParam("id", "%q is not a publication id", c.Param("id"))
	}
	return id, nil
}

// publicationJSON is a publication's header as the API shows it.
type publicationJSON struct {
	*qiancun.Publication
	Kind qiancun.PublicationKind `json:"kind"`
}

// publications answers GET /publications?force=&period=&status=: newest first, without
// members.
func (s *Server) publications(c *gin.Context) {
	f := store.PublicationFilter{Force: qiancun.Force(c.Query("force")), Period: c.Query("period"), State: qiancun.PublicationState(c.Query("status"))}
	if f.Force != "" {
		if _, ok := qiancun.LookupForce(string(f.Force)); !ok {
			s.fail(c, errParam("force", "unknown force %q: want one of %s", f.Force, forceSlugs()))
			return
		}
	}
	if f.Period != "" {
		per, err := qiancun.ParsePeriod(f.Period)
		if err != nil {
			s.fail(c, errParam("period", "%v", err))
			return
		}
		f.Period = per.String()
	}
	switch f.State {
	case "", qiancun.Notice, qiancun.Final, qiancun.Withdrawn, qiancun.Superseded:
	default:
		s.fail(c, errParam("status", "unknown status %q: want 公示, 已发布, 已撤回 or 已更正", f.State))
		return
	}
	ps, err := s.cfg.Publish.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]publicationJSON, len(ps))
	for i := range ps {
		out[i] = publicationJSON{&ps[i], ps[i].Kind()}
	}
	c.PureJSON(http.StatusOK, s.withSnapshot(gin.H{"publications": out}))
}

// publication answers GET /publications/{id}: the header, the submissions used, the state
// log, and a page of its members (district, grade, q, limit, offset as for rankings).
func (s *Server) publication(c *gin.Context) {
	cl := callerOf(c)
	id, err := pubID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	district, err := s.districtParam(c, cl)
	if err != nil {
		s.fail(c, err)
		return
	}
	grade, err := gradeParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, offset, err := pageParams(c, 50, 1000)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	frozen, err := s.frozen(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	now, err := s.cfg.Publish.Header(ctx, id) // the state and log as they are now
	if err != nil {
		s.fail(c, err)
		return
	}
	p := *frozen.p
	p.State, p.SupersededBy, p.Events = now.State, now.SupersededBy, now.Events
	rv := frozen.rv
	full := cl.admin()
	idx, total := rv.selectMembers(qiancun.Filter{District: district, Grade: grade, Query: c.Query("q"), MatchKey: full, Limit: limit, Offset: offset})
	members := make([]memberJSON, len(idx))
	for n, i := range idx {
		members[n] = rv.member(i, full)
	}
	c.PureJSON(http.StatusOK, s.withSnapshot(gin.H{
		"publication": publicationJSON{&p, p.Kind()},
		"total":       total, "limit": limit, "offset": offset, "members": members,
	}))
}

// publicationDiff answers GET /publications/{id}/diff?against=live|{id}.
func (s *Server) publicationDiff(c *gin.Context) {
	id, err := pubID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	to := publish.Live
	if a := c.DefaultQuery("against", "live"); a != "live" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			s.fail(c, errParam("against", "want live or a publication id, not %q", a))
			return
		}
		to = publish.Ref(n)
	}
	d, err := s.cfg.Publish.Diff(c.Request.Context(), id, to)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !callerOf(c).admin() {
		d = d.Masked()
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

// publish answers POST /publications: freezes the live ranking in 公示.
func (s *Server) publish(c *gin.Context) {
	var b publishBody
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.cfg.Publish.Publish(c.Request.Context(), publish.Request{Force: qiancun.Force(b.Force), Period: b.Period, Until: b.Until, By: callerOf(c).tok.Name, Note: b.Note})
	if p == nil {
		s.fail(c, err)
		return
	}
	if err != nil {
		s.log.Error("bundle", "publication", p.ID, "err", err)
	}
	p.Members = nil
	c.PureJSON(http.StatusCreated, publicationJSON{p, p.Kind()})
}

// reasonBody is the body of withdraw and correct.
type reasonBody struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
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
		ctx, by := c.Request.Context(), callerOf(c).tok.Name
		var p *qiancun.Publication
		status := http.StatusOK
		switch move {
		case "finalize":
			p, err = s.cfg.Publish.Finalize(ctx, id, by)
		case "withdraw":
			p, err = s.cfg.Publish.Withdraw(ctx, id, by, b.Reason)
		case "correct":
			p, err = s.cfg.Publish.Correct(ctx, id, by, b.Reason, b.Note)
			status = http.StatusCreated
			if p != nil && err != nil {
				s.log.Error("bundle", "publication", p.ID, "err", err)
				err = nil
			}
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Members = nil
		c.PureJSON(status, publicationJSON{p, p.Kind()})
	}
}

// objectionBody is the body of POST /publications/{id}/objections.
type objectionBody struct {
	Member string `json:"member"` // the member's id, its key as the caller sees it, or (admin) the key
	Reason string `json:"reason"`
}

// objectionJSON is an objection with its key as the caller may see it.
func (s *Server) objectionOut(cl *caller, o qiancun.Objection) qiancun.Objection {
	if !cl.admin() && qiancun.ValidID(o.MemberKey) {
		o.MemberKey = qiancun.MaskID(o.MemberKey)
	}
	return o
}

// addObjection answers POST /publications/{id}/objections: records an objection during 公示.
func (s *Server) addObjection(c *gin.Context) {
	cl := callerOf(c)
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
	ctx := c.Request.Context()
	rv, err := s.pubView(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	i, err := rv.resolve(b.Member, cl.admin(), cl.district())
	if err != nil {
		s.fail(c, err)
		return
	}
	o, err := s.cfg.Publish.AddObjection(ctx, id, rv.r.Members[i].Key, cl.tok.Name, b.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusCreated, s.objectionOut(cl, *o))
}

// resolveBody is the body of POST /objections/{id}/resolve.
type resolveBody struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

// resolveObjection answers POST /objections/{id}/resolve.
func (s *Server) resolveObjection(c *gin.Context) {
	cl := callerOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, errParam("id", "%q is not an objection id", c.Param("id")))
		return
	}
	var b resolveBody
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	o, err := s.cfg.Publish.Resolve(c.Request.Context(), id, qiancun.Resolution(b.Resolution), cl.tok.Name, b.Note)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(http.StatusOK, s.objectionOut(cl, *o))
}

// objections answers GET /objections?publication=&open=true.
func (s *Server) objections(c *gin.Context) {
	cl := callerOf(c)
	var f store.ObjectionFilter
	if v := c.Query("publication"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.fail(c, errParam("publication", "%q is not a publication id", v))
			return
		}
		f.PublicationID = n
	}
	switch c.Query("open") {
	case "", "false":
	case "true":
		f.OpenOnly = true
	default:
		s.fail(c, errParam("open", "want true or false"))
		return
	}
	obs, err := s.cfg.Publish.Objections(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	for i := range obs {
		obs[i] = s.objectionOut(cl, obs[i])
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
		return errParam("body", "the body must be a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
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

// Package publish makes appraisals official (CONTRACT.md, "Publishing an appraisal"): it
// freezes a force's live ranking for a period as a publication in 公示, moves it through
// one small state machine (finalize 已发布, withdraw 已撤回, supersede by a correction 更正),
// records objections and their answers, chains each force's publications by SHA-256,
// verifies the chain, diffs publications against each other or the live data, and writes
// each publication as an immutable Parquet bundle with a manifest.
//
// Every function here that the CLI, the API and the pages show is the one they all call:
// nothing about publications is computed anywhere else. A Service is safe for concurrent
// use; its writes are serialised by the store. See README.md.
package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

// Options are what a Service needs beyond the store and the engine.
type Options struct {
	// Now is the clock; default time.Now. Tests pass their own to move time.
	Now func() time.Time
	// Location is where dates (the 公示 end date, "today") are read; default UTC+8 (Jinan).
	Location *time.Location
	// Program is the program version recorded in every publication.
	Program string
	// NoticeDays is the default length of 公示 in working days; default 5.
	NoticeDays int
	// Bundles, when set, is the directory every new publication's bundle is written under
	// (Bundles/<id>/).
	Bundles string
}

// Service publishes, moves, checks and compares publications.
type Service struct {
	st   *store.Store
	eng  *queries.Engine
	opts Options

	// The latest publication of each force and period, for every ranking request: dropped
	// whole by any write (this process is the database's only writer).
	mu     sync.Mutex
	gen    uint64 // counts the writes
	latest map[string]latestEntry
	at     uint64 // the gen latest is of
}

type latestEntry struct{ p *qiancun.Publication }

// write runs fn in a publication transaction and, once it is done, drops the cache.
func (s *Service) write(ctx context.Context, fn func(tx *store.PubTx) error) error {
	defer func() {
		s.mu.Lock()
		s.gen++
		s.mu.Unlock()
	}()
	return s.st.InPublicationTx(ctx, fn)
}

// New returns a Service over the store and the engine (whose rules and packs are the ones
// a publication freezes).
func New(st *store.Store, eng *queries.Engine, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.FixedZone("CST", 8*3600)
	}
	if opts.NoticeDays <= 0 {
		opts.NoticeDays = 5
	}
	if opts.Program == "" {
		opts.Program = "unknown"
	}
	return &Service{st: st, eng: eng, opts: opts}
}

// Today is the date it is now where dates are read, YYYY-MM-DD.
func (s *Service) Today() string { return s.opts.Now().In(s.opts.Location).Format(time.DateOnly) }

// DefaultUntil is the end of 公示 for a publication made now: NoticeDays working days
// (Monday to Friday) from today.
func (s *Service) DefaultUntil() string {
	return qiancun.AddWorkingDays(s.opts.Now().In(s.opts.Location), s.opts.NoticeDays).Format(time.DateOnly)
}

// Request asks for a publication.
type Request struct {
	Force  qiancun.Force
	Period string
	Until  string // YYYY-MM-DD; "" for DefaultUntil
	By     string
	Note   string
}

// Publish freezes the live ranking of r.Force over r.Period as a new publication in 公示.
// It is refused while the force and period has a publication in 公示 or a final one (which
// only a correction may replace), and when the cohort is empty. The ranking and the list of
// submissions it used are read in one transaction, so they agree even while a submission
// commits. When Options.Bundles is set and the bundle cannot be written, the publication
// stands: it is returned together with the error.
func (s *Service) Publish(ctx context.Context, r Request) (*qiancun.Publication, error) {
	fi, per, err := checkForcePeriod(r.Force, r.Period)
	if err != nil {
		return nil, err
	}
	until := r.Until
	if until == "" {
		until = s.DefaultUntil()
	} else {
		d, err := time.ParseInLocation(time.DateOnly, until, s.opts.Location)
		if err != nil {
			return nil, qiancun.Refusef("公示截止日期 %q 格式不对：应为 YYYY-MM-DD", until)
		}
		if until = d.Format(time.DateOnly); until < s.Today() {
			return nil, qiancun.Refusef("公示截止日期 %s 早于今天 %s", until, s.Today())
		}
	}
	var out *qiancun.Publication
	err = s.write(ctx, func(tx *store.PubTx) error {
		existing, err := tx.Publications(ctx, store.PublicationFilter{Force: fi.Slug, Period: per.String()})
		if err != nil {
			return err
		}
		for _, p := range existing {
			switch p.State {
			case qiancun.Notice:
				return qiancun.Refusef("%s %s 已有公示中的发布 #%d（至 %s）：请先定稿或撤回", fi.Name, per, p.ID, p.Until)
			case qiancun.Final:
				return qiancun.Refusef("%s %s 已有正式发布 #%d：如需修改，请更正（qiancun publication correct %d --reason ...）", fi.Name, per, p.ID, p.ID)
			}
		}
		p, err := s.freeze(ctx, tx, fi, per, r.By, r.Note)
		if err != nil {
			return err
		}
		p.Until = until
		if err := s.insertNew(ctx, tx, p, qiancun.MovePublish, r.By, r.Note); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.autoBundle(ctx, out.ID)
}

// Correct publishes a correction of final publication id from the live data, with a
// reason: a new publication, final at once, that supersedes id (which stays readable). As
// with Publish, a bundle that cannot be written returns the correction with the error.
func (s *Service) Correct(ctx context.Context, id int64, by, reason, note string) (*qiancun.Publication, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, qiancun.Refusef("更正须说明理由（--reason）")
	}
	var out *qiancun.Publication
	err := s.write(ctx, func(tx *store.PubTx) error {
		old, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := next(old.State, qiancun.MoveSupersede); !ok {
			return refuseMove(id, old.State, qiancun.MoveSupersede)
		}
		fi, per, err := checkForcePeriod(old.Force, old.Period)
		if err != nil {
			return err
		}
		p, err := s.freeze(ctx, tx, fi, per, by, note)
		if err != nil {
			return err
		}
		p.Corrects, p.Reason = id, reason
		if err := s.insertNew(ctx, tx, p, qiancun.MoveCorrect, by, reason); err != nil {
			return err
		}
		sup, err := s.event(id, old.State, qiancun.MoveSupersede, by, fmt.Sprintf("由更正 #%d 取代：%s", p.ID, reason))
		if err != nil {
			return err
		}
		if err := appendEvent(ctx, tx, id, old.Hash, sup); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.autoBundle(ctx, out.ID)
}

// Finalize makes publication id final (已发布). It is refused before the end of 公示
// (today < until), while an objection to it is open, and from any state but 公示.
func (s *Service) Finalize(ctx context.Context, id int64, by string) (*qiancun.Publication, error) {
	return s.move(ctx, id, qiancun.MoveFinalize, by, "", func(tx *store.PubTx, p *qiancun.Publication) error {
		if today := s.Today(); today < p.Until {
			return qiancun.Refusef("发布 #%d 的公示期至 %s，今天（%s）尚未届满，不能定稿", id, p.Until, today)
		}
		open, err := tx.Objections(ctx, store.ObjectionFilter{PublicationID: id, OpenOnly: true})
		if err != nil {
			return err
		}
		if len(open) > 0 {
			return qiancun.Refusef("发布 #%d 尚有 %d 条异议未答复（首条 #%d），请先答复（qiancun objection resolve）", id, len(open), open[0].ID)
		}
		return nil
	})
}

// Withdraw withdraws publication id (已撤回), with a reason. Only during 公示.
func (s *Service) Withdraw(ctx context.Context, id int64, by, reason string) (*qiancun.Publication, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, qiancun.Refusef("撤回须说明理由（--reason）")
	}
	return s.move(ctx, id, qiancun.MoveWithdraw, by, reason, nil)
}

// move applies a move to publication id when the state machine allows it and check (if
// any) passes, and returns the publication after it.
func (s *Service) move(ctx context.Context, id int64, m qiancun.Move, by, reason string, check func(*store.PubTx, *qiancun.Publication) error) (*qiancun.Publication, error) {
	err := s.write(ctx, func(tx *store.PubTx) error {
		p, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := next(p.State, m); !ok {
			return refuseMove(id, p.State, m)
		}
		if check != nil {
			if err := check(tx, p); err != nil {
				return err
			}
		}
		ev, err := s.event(id, p.State, m, by, reason)
		if err != nil {
			return err
		}
		return appendEvent(ctx, tx, id, p.Hash, ev)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// insertNew records p, just frozen, with its first move m (publish or correct): the
// state it enters, its seal (row hashes and hash) and the move in its log.
func (s *Service) insertNew(ctx context.Context, tx *store.PubTx, p *qiancun.Publication, m qiancun.Move, by, text string) error {
	ev, err := s.event(p.ID, "", m, by, text)
	if err != nil {
		return err
	}
	p.State = ev.To
	seal(p)
	if err := tx.Insert(ctx, p, ev, firstLink(p, ev)); err != nil {
		return err
	}
	p.Events = []qiancun.PublicationEvent{ev}
	return nil
}

// event makes the log row of move m from state from, refused when the table has no such
// move.
func (s *Service) event(id int64, from qiancun.PublicationState, m qiancun.Move, by, reason string) (qiancun.PublicationEvent, error) {
	to, ok := next(from, m)
	if !ok {
		return qiancun.PublicationEvent{}, refuseMove(id, from, m)
	}
	return qiancun.PublicationEvent{Move: m, From: from, To: to, At: s.now(), By: by, Reason: reason}, nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// freeze computes the live ranking of force over per on the transaction's snapshot and
// makes it a publication (without state, until, hash), with a new id.
func (s *Service) freeze(ctx context.Context, tx *store.PubTx, fi qiancun.ForceInfo, per qiancun.Period, by, note string) (*qiancun.Publication, error) {
	r, err := s.eng.RankOn(ctx, tx.Snapshot(), fi.Slug, per.String())
	if err != nil {
		return nil, err
	}
	if len(r.Members) == 0 {
		return nil, qiancun.Refusef("%s %s 没有任何已接收的数据，无可发布", fi.Name, per)
	}
	used, err := tx.UsedSubmissions(ctx, string(fi.Slug), per.MonthStrings())
	if err != nil {
		return nil, err
	}
	rulesText, err := qiancun.RulesText(s.eng.Rules(), fi.Slug)
	if err != nil {
		return nil, err
	}
	packSHA, err := s.eng.RankingPackSHA256(fi.Slug)
	if err != nil {
		return nil, err
	}
	id, err := tx.NextID(ctx)
	if err != nil {
		return nil, err
	}
	prev, err := tx.LastHash(ctx, fi.Slug)
	if err != nil {
		return nil, err
	}
	return &qiancun.Publication{
		ID: id, Force: fi.Slug, Period: per.String(), CreatedAt: s.now(), CreatedBy: by, Note: note,
		Program: s.opts.Program, RulesVersion: r.RulesVersion, RulesText: rulesText, RulesSHA256: SHA256Text(rulesText),
		PackSHA256: packSHA, KeyKind: r.KeyKind, QuotaScope: r.QuotaScope, Months: r.Months, Missing: nonNil(r.MissingMonths),
		Indicators: r.Indicators, Submissions: used, Members: r.Members, MemberCount: len(r.Members), PrevHash: prev,
	}, nil
}

// seal computes p's row hashes and hash.
func seal(p *qiancun.Publication) {
	p.RowHashes = make([]string, len(p.Members))
	for i := range p.Members {
		p.RowHashes[i] = RowHash(i+1, &p.Members[i])
	}
	p.Hash = Hash(p, p.RowHashes)
}

func checkForcePeriod(f qiancun.Force, period string) (qiancun.ForceInfo, qiancun.Period, error) {
	fi, ok := qiancun.LookupForce(string(f))
	if !ok {
		return fi, qiancun.Period{}, qiancun.Refusef("未知的力量 %q", f)
	}
	per, err := qiancun.ParsePeriod(period)
	if err != nil {
		return fi, per, qiancun.Refusef("考核期 %q 格式不对：应为 YYYY-MM、YYYY-Qn 或 YYYY", period)
	}
	return fi, per, nil
}

// ErrNotFound is returned for a publication or objection that does not exist.
var ErrNotFound = store.ErrNotFound

func (s *Service) get(ctx context.Context, tx *store.PubTx, id int64) (*qiancun.Publication, error) {
	p, err := tx.Publication(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("publication %d: %w", id, ErrNotFound)
	}
	return p, err
}

// Get returns publication id in full, or an error wrapping ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (*qiancun.Publication, error) {
	p, err := s.st.Publication(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("publication %d: %w", id, ErrNotFound)
	}
	return p, err
}

// List returns the publications f selects, newest first, without members.
func (s *Service) List(ctx context.Context, f store.PublicationFilter) ([]qiancun.Publication, error) {
	return s.st.Publications(ctx, f)
}

// Latest returns the latest publication of force and period that is not withdrawn, in
// full, or nil when there is none: what a leader sees instead of the live ranking.
func (s *Service) Latest(ctx context.Context, force qiancun.Force, period string) (*qiancun.Publication, error) {
	ps, err := s.st.Publications(ctx, store.PublicationFilter{Force: force, Period: period})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ps, func(p qiancun.Publication) bool { return p.State != qiancun.Withdrawn })
	if i < 0 {
		return nil, nil
	}
	return s.Get(ctx, ps[i].ID)
}

// AddObjection records an objection by by against the member with key (or its masked form,
// when only one member has it) in publication id, during its 公示 only.
func (s *Service) AddObjection(ctx context.Context, id int64, key, by, reason string) (*qiancun.Objection, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, qiancun.Refusef("异议须说明理由")
	}
	var out *qiancun.Objection
	err := s.write(ctx, func(tx *store.PubTx) error {
		p, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.State != qiancun.Notice {
			return qiancun.Refusef("发布 #%d 状态为%s，只有公示期内可以提出异议", id, p.State)
		}
		if today := s.Today(); today > p.Until {
			return qiancun.Refusef("发布 #%d 的公示期已于 %s 结束，不能再提出异议", id, p.Until)
		}
		i, err := memberByKey(p, key)
		if err != nil {
			return err
		}
		o := &qiancun.Objection{PublicationID: id, MemberKey: p.Members[i].Key, MemberName: p.Members[i].Name, RaisedBy: by,
			RaisedAt: s.now(), Reason: reason}
		if o.ID, err = tx.NextObjectionID(ctx); err != nil {
			return err
		}
		if err := addObjection(ctx, tx, p.Hash, o); err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, err
}

// memberByKey finds the member of p with key, or with key as its masked form (370112********123X,
// as every listing but an administrator's shows it) when only one member has that form.
func memberByKey(p *qiancun.Publication, key string) (int, error) {
	if i := slices.IndexFunc(p.Members, func(m qiancun.Member) bool { return m.Key == key }); i >= 0 {
		return i, nil
	}
	found := -1
	for i, m := range p.Members {
		if qiancun.MaskKey(p.KeyKind, m.Key) == key {
			if found >= 0 {
				return 0, qiancun.Refusef("发布 #%d 中有多名成员的证件号显示为 %s：请给出完整的证件号", p.ID, key)
			}
			found = i
		}
	}
	if found < 0 {
		return 0, qiancun.Refusef("发布 #%d 中没有证件号为 %s 的成员", p.ID, qiancun.MaskKey(p.KeyKind, key))
	}
	return found, nil
}

// Resolve answers objection id: 维持 or 更正, with a note. An objection is answered once.
func (s *Service) Resolve(ctx context.Context, id int64, res qiancun.Resolution, by, note string) (*qiancun.Objection, error) {
	if res != qiancun.Upheld && res != qiancun.Corrected {
		return nil, qiancun.Refusef("答复 %q 不对：应为 维持 或 更正", res)
	}
	if strings.TrimSpace(note) == "" {
		return nil, qiancun.Refusef("答复异议须附说明（--note）")
	}
	var out *qiancun.Objection
	err := s.write(ctx, func(tx *store.PubTx) error {
		all, err := tx.Objections(ctx, store.ObjectionFilter{})
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(o qiancun.Objection) bool { return o.ID == id })
		if i < 0 {
			return fmt.Errorf("objection %d: %w", id, ErrNotFound)
		}
		o := all[i]
		if !o.Open() {
			return qiancun.Refusef("异议 #%d 已于 %s 答复（%s），不能再次答复", id, o.ResolvedAt.In(s.opts.Location).Format(time.DateOnly), o.Resolution)
		}
		p, err := tx.PublicationHeader(ctx, o.PublicationID)
		if err != nil {
			return err
		}
		at := s.now()
		o.Resolution, o.ResolvedBy, o.ResolvedAt, o.Note = res, by, &at, note
		if err := resolve(ctx, tx, p.Hash, &o); err != nil {
			return err
		}
		out = &o
		return nil
	})
	return out, err
}

// Objections lists the objections f selects, oldest first.
func (s *Service) Objections(ctx context.Context, f store.ObjectionFilter) ([]qiancun.Objection, error) {
	return s.st.Objections(ctx, f)
}

// autoBundle writes publication id's bundle under Options.Bundles, when set.
func (s *Service) autoBundle(ctx context.Context, id int64) error {
	if s.opts.Bundles == "" {
		return nil
	}
	if _, err := s.WriteBundle(ctx, id, s.opts.Bundles); err != nil {
		return fmt.Errorf("publication %d is recorded, but its bundle was not written: %w", id, err)
	}
	return nil
}

// Header returns publication id with its state and log as they are now, without members,
// indicators or submissions; or an error wrapping ErrNotFound.
func (s *Service) Header(ctx context.Context, id int64) (*qiancun.Publication, error) {
	p, err := s.st.PublicationHeader(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("publication %d: %w", id, ErrNotFound)
	}
	return p, err
}

// LatestHeader is Latest without the members: the latest publication of force and period
// that is not withdrawn, or nil. It is cached until the next write, so that serving a
// ranking costs no query; the caller must not modify the result.
func (s *Service) LatestHeader(ctx context.Context, force qiancun.Force, period string) (*qiancun.Publication, error) {
	key := string(force) + "|" + period
	s.mu.Lock()
	gen := s.gen
	if s.at != gen || s.latest == nil {
		s.latest, s.at = map[string]latestEntry{}, gen
	}
	e, ok := s.latest[key]
	s.mu.Unlock()
	if ok {
		return e.p, nil
	}
	ps, err := s.st.Publications(ctx, store.PublicationFilter{Force: force, Period: period})
	if err != nil {
		return nil, err
	}
	var p *qiancun.Publication
	if i := slices.IndexFunc(ps, func(p qiancun.Publication) bool { return p.State != qiancun.Withdrawn }); i >= 0 {
		p = &ps[i]
	}
	s.mu.Lock()
	if s.at == gen && s.gen == gen && len(s.latest) < 1024 {
		s.latest[key] = latestEntry{p}
	}
	s.mu.Unlock()
	return p, nil
}

// Scorecard explains member key's appraisal in publication p (loaded with Get) as frozen:
// each indicator's value, the cohort's best, the weight and the points, and the cells of
// the publication's own submissions each value came from. It returns an error wrapping
// queries.ErrNoMember when key is not in the publication.
func (s *Service) Scorecard(ctx context.Context, p *qiancun.Publication, key string) (*qiancun.Scorecard, error) {
	i := slices.IndexFunc(p.Members, func(m qiancun.Member) bool { return m.Key == key })
	if i < 0 {
		return nil, fmt.Errorf("publication %d: %w", p.ID, queries.ErrNoMember)
	}
	m := p.Members[i]
	ids := make([]int64, len(p.Submissions))
	for j, u := range p.Submissions {
		ids[j] = u.ID
	}
	facts, err := s.st.FactSources(ctx, ids, key)
	if err != nil {
		return nil, err
	}
	sc := &qiancun.Scorecard{Force: p.Force, Period: p.Period, RulesVersion: p.RulesVersion, CohortSize: len(p.Members),
		MissingMonths: nonNil(p.Missing), Member: m}
	for j, in := range p.Indicators {
		line := qiancun.NewScoreLine(in, &m, j)
		for _, f := range facts {
			if f.Indicator == in.Name {
				line.Sources = append(line.Sources, f.Source)
			}
		}
		sc.Lines = append(sc.Lines, line)
	}
	return sc, nil
}

package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/qiancun/qiancun"
)

// The queries of publications and objections; each file says what it computes and its
// parameters.
//
//go:embed pubqueries/*.sql
var pubQueries embed.FS

func pubQuery(name string) string {
	b, err := pubQueries.ReadFile("pubqueries/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("store: embedded query %s: %v", name, err)) // a build error, not a runtime one
	}
	return string(b)
}

// querier is what the read helpers need: the database, or a transaction's connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// PubTx is one transaction of publication writes (see Store.InPublicationTx). Its reads see
// the transaction's snapshot; its writes only ever append rows.
type PubTx struct {
	conn *sql.Conn
}

// InPublicationTx runs fn inside one transaction on one connection, committed when fn
// returns nil. Publication writes are serialised: one at a time in the process, so that a
// chain link and a state move are decided on what the previous write left. Every read
// through tx (including a ranking computed on tx.Snapshot()) sees one snapshot of the data.
func (s *Store) InPublicationTx(ctx context.Context, fn func(tx *PubTx) error) error {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	return s.inTx(ctx, func(conn *sql.Conn) error {
		return fn(&PubTx{conn: conn})
	})
}

// Snapshot returns the transaction's connection, for queries (a ranking) that must read
// the same snapshot as the publication's list of submissions. Do not write through it.
func (t *PubTx) Snapshot() *sql.Conn { return t.conn }

// NextID reserves the id of a new publication.
func (t *PubTx) NextID(ctx context.Context) (int64, error) {
	var id int64
	err := t.conn.QueryRowContext(ctx, "SELECT nextval('publication_ids')").Scan(&id)
	return id, err
}

// LastHash returns the hash of force's latest publication, or "" when it has none.
func (t *PubTx) LastHash(ctx context.Context, force qiancun.Force) (string, error) {
	var h sql.NullString
	err := t.conn.QueryRowContext(ctx, "SELECT arg_max(hash, id) FROM publications WHERE force = ?", string(force)).Scan(&h)
	return h.String, err
}

// UsedSubmissions lists the submissions that count now for template in months, as the
// transaction's snapshot sees them: what a ranking computed on the same snapshot reads.
func (t *PubTx) UsedSubmissions(ctx context.Context, template string, months []string) ([]qiancun.UsedSubmission, error) {
	return usedSubmissions(ctx, t.conn, template, months)
}

// UsedSubmissions lists the submissions that count now for template in months.
func (s *Store) UsedSubmissions(ctx context.Context, template string, months []string) ([]qiancun.UsedSubmission, error) {
	return usedSubmissions(ctx, s.db, template, months)
}

func usedSubmissions(ctx context.Context, q querier, template string, months []string) ([]qiancun.UsedSubmission, error) {
	rows, err := q.QueryContext(ctx, pubQuery("used_submissions"), template, months)
	if err != nil {
		return nil, fmt.Errorf("list the submissions used: %w", err)
	}
	defer rows.Close()
	out := []qiancun.UsedSubmission{}
	for rows.Next() {
		var u qiancun.UsedSubmission
		if err := rows.Scan(&u.ID, &u.Template, &u.Month, &u.SHA256); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Insert writes a new publication: its header, indicators, members (with p.RowHashes),
// the submissions used and its first event, row 1 of its log chain with hash firstHash.
// p.State is the state it starts in.
func (t *PubTx) Insert(ctx context.Context, p *qiancun.Publication, first qiancun.PublicationEvent, firstHash string) error {
	var corrects any
	if p.Corrects != 0 {
		corrects = p.Corrects
	}
	c := t.conn
	if _, err := c.ExecContext(ctx, pubQuery("insert_publication"),
		p.ID, string(p.Force), p.Period, p.Until, p.CreatedAt, p.CreatedBy, p.Note, corrects, p.Reason, p.Program,
		p.RulesVersion, p.RulesText, p.RulesSHA256, p.PackSHA256, string(p.KeyKind), p.QuotaScope, nonNil(p.Months), nonNil(p.Missing),
		len(p.Members), p.PrevHash, p.Hash); err != nil {
		return fmt.Errorf("record publication: %w", err)
	}
	for i, in := range p.Indicators {
		if _, err := c.ExecContext(ctx, pubQuery("insert_indicator"),
			p.ID, i+1, in.Name, in.Weight, in.BenchmarkRule, in.BenchmarkMode, in.Benchmark, in.BenchmarkPosition,
			in.BenchmarkFallback, in.Best, in.Money, in.Missing); err != nil {
			return fmt.Errorf("record indicator: %w", err)
		}
	}
	if len(p.RowHashes) != len(p.Members) {
		return fmt.Errorf("publication %d: %d members but %d row hashes", p.ID, len(p.Members), len(p.RowHashes))
	}
	// One statement for every member row: lists of columns, unnested together.
	n := len(p.Members)
	cols := struct {
		pos, months, rank, drank                                            []int64
		key, name, dcode, dist, vals, points, total, grade, vr, miss, rhash []string
		vetoed                                                              []bool
	}{}
	for i := range p.Members {
		m := &p.Members[i]
		cols.pos = append(cols.pos, int64(i+1))
		cols.months = append(cols.months, int64(m.Months))
		cols.rank = append(cols.rank, int64(m.Rank))
		cols.drank = append(cols.drank, int64(m.DistrictRank))
		cols.key = append(cols.key, m.Key)
		cols.name = append(cols.name, m.Name)
		cols.dcode = append(cols.dcode, m.DistrictCode)
		cols.dist = append(cols.dist, m.District)
		cols.vals = append(cols.vals, hundredthsList(m.Values))
		cols.points = append(cols.points, hundredthsList(m.PointValues))
		cols.total = append(cols.total, qiancun.Hundredths(m.ScoreHundredths))
		cols.grade = append(cols.grade, m.Grade)
		cols.vr = append(cols.vr, m.VetoReason)
		cols.miss = append(cols.miss, textList(m.Missing))
		cols.rhash = append(cols.rhash, p.RowHashes[i])
		cols.vetoed = append(cols.vetoed, m.Vetoed)
	}
	if n > 0 {
		if _, err := c.ExecContext(ctx, pubQuery("insert_members"),
			p.ID, cols.pos, cols.key, cols.name, cols.dcode, cols.dist, cols.months, cols.vals, cols.points,
			cols.total, cols.rank, cols.drank, cols.grade, cols.vetoed, cols.vr, cols.miss, cols.rhash); err != nil {
			return fmt.Errorf("record members: %w", err)
		}
	}
	for _, u := range p.Submissions {
		if _, err := c.ExecContext(ctx, pubQuery("insert_used"),
			p.ID, u.ID, u.Template, u.Month, u.SHA256); err != nil {
			return fmt.Errorf("record submission used: %w", err)
		}
	}
	return t.AppendEvent(ctx, p.ID, first, Link{Seq: 1, Hash: firstHash})
}

// hundredthsList formats values × 100 as a DuckDB list literal of decimals, cast on insert.
func hundredthsList(vs []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(qiancun.Hundredths(v))
	}
	b.WriteByte(']')
	return b.String()
}

// textList writes names as a DuckDB list literal of strings, cast on insert. Indicator
// names are standard headers: no comma, bracket or quote in them.
func textList(names []string) string {
	return "[" + strings.Join(names, ",") + "]"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AppendEvent appends a move to publication id's state log, at link of its log chain.
func (t *PubTx) AppendEvent(ctx context.Context, id int64, ev qiancun.PublicationEvent, link Link) error {
	_, err := t.conn.ExecContext(ctx, pubQuery("append_event"),
		id, string(ev.Move), string(ev.From), string(ev.To), ev.At, ev.By, ev.Reason, link.Seq, link.Hash, id)
	if err != nil {
		return fmt.Errorf("record %s of publication %d: %w", ev.Move, id, err)
	}
	return nil
}

// PublicationFilter selects publications; empty fields match all.
type PublicationFilter struct {
	Force  qiancun.Force
	Period string
	State  qiancun.PublicationState
}

// Publications lists the publications f selects, newest first, without their members.
func (t *PubTx) Publications(ctx context.Context, f PublicationFilter) ([]qiancun.Publication, error) {
	return publications(ctx, t.conn, f, 0)
}

// Publications lists the publications f selects, newest first, without their members.
func (s *Store) Publications(ctx context.Context, f PublicationFilter) ([]qiancun.Publication, error) {
	return publications(ctx, s.db, f, 0)
}

func publications(ctx context.Context, q querier, f PublicationFilter, id int64) ([]qiancun.Publication, error) {
	rows, err := q.QueryContext(ctx, pubQuery("publications"), id, id, string(f.Force), string(f.Force), f.Period, f.Period, string(f.State), string(f.State))
	if err != nil {
		return nil, fmt.Errorf("list publications: %w", err)
	}
	defer rows.Close()
	out := []qiancun.Publication{}
	for rows.Next() {
		var p qiancun.Publication
		var force, kk, state string
		var months, missing []any
		if err := rows.Scan(&p.ID, &force, &p.Period, &p.Until, &p.CreatedAt, &p.CreatedBy, &p.Note, &p.Corrects,
			&p.Reason, &p.Program, &p.RulesVersion, &p.RulesText, &p.RulesSHA256, &p.PackSHA256, &kk, &p.QuotaScope, &months,
			&missing, &p.MemberCount, &p.PrevHash, &p.Hash, &state, &p.SupersededBy); err != nil {
			return nil, err
		}
		p.Force, p.KeyKind, p.State = qiancun.Force(force), qiancun.KeyKind(kk), qiancun.PublicationState(state)
		p.CreatedAt = p.CreatedAt.UTC()
		p.Months, p.Missing = strs(months), strs(missing)
		out = append(out, p)
	}
	return out, rows.Err()
}

func strs(xs []any) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprint(x)
	}
	return out
}

// Publication returns publication id in full: header, indicators, members in rank order
// with their row hashes, submissions used and state log; or ErrNotFound.
func (t *PubTx) Publication(ctx context.Context, id int64) (*qiancun.Publication, error) {
	return publication(ctx, t.conn, id)
}

// Publication returns publication id in full: header, indicators, members in rank order
// with their row hashes, submissions used and state log; or ErrNotFound.
func (s *Store) Publication(ctx context.Context, id int64) (*qiancun.Publication, error) {
	return publication(ctx, s.db, id)
}

func publication(ctx context.Context, q querier, id int64) (*qiancun.Publication, error) {
	ps, err := publications(ctx, q, PublicationFilter{}, id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, ErrNotFound
	}
	p := &ps[0]
	if err := readIndicators(ctx, q, p); err != nil {
		return nil, err
	}
	if err := readMembers(ctx, q, p); err != nil {
		return nil, err
	}
	if err := readUsed(ctx, q, p); err != nil {
		return nil, err
	}
	if err := readEvents(ctx, q, p); err != nil {
		return nil, err
	}
	return p, nil
}

func readIndicators(ctx context.Context, q querier, p *qiancun.Publication) error {
	rows, err := q.QueryContext(ctx, pubQuery("indicators"), p.ID)
	if err != nil {
		return fmt.Errorf("read indicators of publication %d: %w", p.ID, err)
	}
	defer rows.Close()
	p.Indicators = []qiancun.IndicatorInfo{}
	for rows.Next() {
		var in qiancun.IndicatorInfo
		if err := rows.Scan(&in.Name, &in.Weight, &in.BenchmarkRule, &in.BenchmarkMode, &in.Benchmark,
			&in.BenchmarkPosition, &in.BenchmarkFallback, &in.Best, &in.Money, &in.Missing); err != nil {
			return err
		}
		p.Indicators = append(p.Indicators, in)
	}
	return rows.Err()
}

func readMembers(ctx context.Context, q querier, p *qiancun.Publication) error {
	err := readMemberRows(ctx, q, pubQuery("members"), p, p.ID)
	if err != nil {
		return fmt.Errorf("read members of publication %d: %w", p.ID, err)
	}
	return nil
}

// readMemberRows reads member rows (the columns of readMembers, in that order) into p,
// named by p's indicators.
func readMemberRows(ctx context.Context, q querier, query string, p *qiancun.Publication, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	names := make([]string, len(p.Indicators))
	for i, in := range p.Indicators {
		names[i] = in.Name
	}
	p.Members, p.RowHashes = make([]qiancun.Member, 0, p.MemberCount), make([]string, 0, p.MemberCount)
	for rows.Next() {
		var m qiancun.Member
		var vals, points, missing []any
		var total, rh string
		if err := rows.Scan(&m.Key, &m.Name, &m.DistrictCode, &m.District, &m.Months, &vals, &points, &total,
			&m.Rank, &m.DistrictRank, &m.Grade, &m.Vetoed, &m.VetoReason, &missing, &rh); err != nil {
			return err
		}
		if len(missing) > 0 {
			m.Missing = strs(missing)
		}
		if m.Values, err = parseHundredthsList(vals); err != nil {
			return fmt.Errorf("member %d: %w", len(p.Members)+1, err)
		}
		if m.PointValues, err = parseHundredthsList(points); err != nil {
			return fmt.Errorf("member %d: %w", len(p.Members)+1, err)
		}
		if m.ScoreHundredths, err = parseHundredths(total); err != nil {
			return fmt.Errorf("member %d: %w", len(p.Members)+1, err)
		}
		m.Score, m.Names = qiancun.Hundredths(m.ScoreHundredths), names
		p.Members = append(p.Members, m)
		p.RowHashes = append(p.RowHashes, rh)
	}
	return rows.Err()
}

func parseHundredthsList(xs []any) ([]int64, error) {
	out := make([]int64, len(xs))
	for i, x := range xs {
		v, err := parseHundredths(fmt.Sprint(x))
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// parseHundredths reads a decimal with at most two places ("12.3", "-0.05") as hundredths.
func parseHundredths(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("decimal %q has more than two places", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("decimal %q: %w", s, err)
	}
	if neg {
		v = -v
	}
	return v, nil
}

func readUsed(ctx context.Context, q querier, p *qiancun.Publication) error {
	rows, err := q.QueryContext(ctx, pubQuery("used"), p.ID)
	if err != nil {
		return fmt.Errorf("read submissions of publication %d: %w", p.ID, err)
	}
	defer rows.Close()
	p.Submissions = []qiancun.UsedSubmission{}
	for rows.Next() {
		var u qiancun.UsedSubmission
		if err := rows.Scan(&u.ID, &u.Template, &u.Month, &u.SHA256); err != nil {
			return err
		}
		p.Submissions = append(p.Submissions, u)
	}
	return rows.Err()
}

func readEvents(ctx context.Context, q querier, p *qiancun.Publication) error {
	rows, err := q.QueryContext(ctx, pubQuery("events"), p.ID)
	if err != nil {
		return fmt.Errorf("read the log of publication %d: %w", p.ID, err)
	}
	defer rows.Close()
	p.Events = []qiancun.PublicationEvent{}
	for rows.Next() {
		var ev qiancun.PublicationEvent
		var move, from, to string
		if err := rows.Scan(&move, &from, &to, &ev.At, &ev.By, &ev.Reason); err != nil {
			return err
		}
		ev.Move, ev.From, ev.To, ev.At = qiancun.Move(move), qiancun.PublicationState(from), qiancun.PublicationState(to), ev.At.UTC()
		p.Events = append(p.Events, ev)
	}
	return rows.Err()
}

// AllPublicationIDs lists every publication's id, oldest first: what verify walks.
func (s *Store) AllPublicationIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM publications ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list publications: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ObjectionFilter selects objections; zero fields match all.
type ObjectionFilter struct {
	PublicationID int64
	OpenOnly      bool
}

// Objections lists the objections f selects with their answers, oldest first.
func (s *Store) Objections(ctx context.Context, f ObjectionFilter) ([]qiancun.Objection, error) {
	return objections(ctx, s.db, f)
}

// Objections lists the objections f selects with their answers, oldest first.
func (t *PubTx) Objections(ctx context.Context, f ObjectionFilter) ([]qiancun.Objection, error) {
	return objections(ctx, t.conn, f)
}

func objections(ctx context.Context, q querier, f ObjectionFilter) ([]qiancun.Objection, error) {
	rows, err := q.QueryContext(ctx, pubQuery("objections"), f.PublicationID, f.PublicationID, f.OpenOnly)
	if err != nil {
		return nil, fmt.Errorf("list objections: %w", err)
	}
	defer rows.Close()
	out := []qiancun.Objection{}
	for rows.Next() {
		var o qiancun.Objection
		var res string
		var at sql.NullTime
		if err := rows.Scan(&o.ID, &o.PublicationID, &o.MemberKey, &o.MemberName, &o.RaisedBy, &o.RaisedAt, &o.Reason,
			&res, &o.ResolvedBy, &at, &o.Note); err != nil {
			return nil, err
		}
		o.Resolution, o.RaisedAt = qiancun.Resolution(res), o.RaisedAt.UTC()
		if at.Valid {
			t := at.Time.UTC()
			o.ResolvedAt = &t
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// NextObjectionID draws the id of a new objection.
func (t *PubTx) NextObjectionID(ctx context.Context) (int64, error) {
	var id int64
	err := t.conn.QueryRowContext(ctx, "SELECT nextval('objection_ids')").Scan(&id)
	return id, err
}

// AddObjection records objection o (its id drawn by NextObjectionID) at link of its
// publication's log chain.
func (t *PubTx) AddObjection(ctx context.Context, o *qiancun.Objection, link Link) error {
	_, err := t.conn.ExecContext(ctx, pubQuery("insert_objection"),
		o.ID, o.PublicationID, o.MemberKey, o.MemberName, o.RaisedBy, o.RaisedAt, o.Reason, link.Seq, link.Hash)
	if err != nil {
		return fmt.Errorf("record objection: %w", err)
	}
	return nil
}

// Resolve records the answer to objection id at link of its publication's log chain.
func (t *PubTx) Resolve(ctx context.Context, id int64, res qiancun.Resolution, by string, at time.Time, note string, link Link) error {
	_, err := t.conn.ExecContext(ctx, pubQuery("insert_resolution"), id, string(res), by, at, note, link.Seq, link.Hash)
	if err != nil {
		return fmt.Errorf("record the answer to objection %d: %w", id, err)
	}
	return nil
}

// PublicationStats are the figures the metrics show of publications.
type PublicationStats struct {
	ByState        map[qiancun.Force]map[qiancun.PublicationState]int
	LatestFinal    map[qiancun.Force]time.Time // when the latest publication now final or corrected was made final
	OpenObjections int
}

// PublicationStats counts publications by force and state, finds each force's latest final
// publication, and counts the open objections.
func (s *Store) PublicationStats(ctx context.Context) (*PublicationStats, error) {
	st := &PublicationStats{ByState: map[qiancun.Force]map[qiancun.PublicationState]int{}, LatestFinal: map[qiancun.Force]time.Time{}}
	rows, err := s.db.QueryContext(ctx, pubQuery("stats_states"))
	if err != nil {
		return nil, fmt.Errorf("count publications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f, state string
		var n int
		if err := rows.Scan(&f, &state, &n); err != nil {
			return nil, err
		}
		if st.ByState[qiancun.Force(f)] == nil {
			st.ByState[qiancun.Force(f)] = map[qiancun.PublicationState]int{}
		}
		st.ByState[qiancun.Force(f)][qiancun.PublicationState(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, pubQuery("stats_latest_final"))
	if err != nil {
		return nil, fmt.Errorf("latest final publications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f string
		var at time.Time
		if err := rows.Scan(&f, &at); err != nil {
			return nil, err
		}
		st.LatestFinal[qiancun.Force(f)] = at.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = s.db.QueryRowContext(ctx, pubQuery("stats_open_objections")).Scan(&st.OpenObjections)
	return st, err
}

// WriteBundleFiles writes publication id's members, indicators and submissions used as
// Parquet files members.parquet, indicators.parquet and submissions.parquet in dir, with
// DuckDB's built-in parquet writer. dir must exist.
func (s *Store) WriteBundleFiles(ctx context.Context, id int64, dir string) ([]string, error) {
	files := []struct{ name, query string }{
		{"members.parquet", "bundle_members"},
		{"indicators.parquet", "bundle_indicators"},
		{"submissions.parquet", "bundle_submissions"},
	}
	var out []string
	for _, f := range files {
		path := dir + "/" + f.name
		// The path cannot be bound: it is quoted as a string literal.
		q := "COPY (" + strings.TrimRight(pubQuery(f.query), "\n") + ") TO " + quoteLiteral(path) + " (FORMAT parquet)"
		if _, err := s.db.ExecContext(ctx, q, id); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
		if err := os.Chmod(path, 0o600); err != nil { // full 身份证号: the owner's only
			return nil, err
		}
		out = append(out, f.name)
	}
	return out, nil
}

// ReadBundle reads a bundle's Parquet files back: members (keys as stored) with their row
// hashes, indicators and submissions used. Only these fields of the result are set.
func (s *Store) ReadBundle(ctx context.Context, dir string) (*qiancun.Publication, error) {
	p := &qiancun.Publication{}
	rows, err := s.db.QueryContext(ctx, pubQuery("read_bundle_indicators"), filepath.Join(dir, "indicators.parquet"))
	if err != nil {
		return nil, fmt.Errorf("read bundle indicators: %w", err)
	}
	for rows.Next() {
		var in qiancun.IndicatorInfo
		if err := rows.Scan(&in.Name, &in.Weight, &in.BenchmarkRule, &in.BenchmarkMode, &in.Benchmark,
			&in.BenchmarkPosition, &in.BenchmarkFallback, &in.Best, &in.Money, &in.Missing); err != nil {
			rows.Close()
			return nil, err
		}
		p.Indicators = append(p.Indicators, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, pubQuery("read_bundle_submissions"), filepath.Join(dir, "submissions.parquet"))
	if err != nil {
		return nil, fmt.Errorf("read bundle submissions: %w", err)
	}
	p.Submissions = []qiancun.UsedSubmission{}
	for rows.Next() {
		var u qiancun.UsedSubmission
		if err := rows.Scan(&u.ID, &u.Template, &u.Month, &u.SHA256); err != nil {
			rows.Close()
			return nil, err
		}
		p.Submissions = append(p.Submissions, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The same reader as the database's rows: a view over the file.
	if err := readMemberRows(ctx, s.db, pubQuery("read_bundle_members"), p, filepath.Join(dir, "members.parquet")); err != nil {
		return nil, fmt.Errorf("read bundle members: %w", err)
	}
	p.MemberCount = len(p.Members)
	return p, nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// PublicationHeader returns publication id with its state log but without its members,
// indicators or submissions, or ErrNotFound.
func (s *Store) PublicationHeader(ctx context.Context, id int64) (*qiancun.Publication, error) {
	return publicationHeader(ctx, s.db, id)
}

// PublicationHeader reads publication id's header and state log, without its rows.
func (t *PubTx) PublicationHeader(ctx context.Context, id int64) (*qiancun.Publication, error) {
	return publicationHeader(ctx, t.conn, id)
}

func publicationHeader(ctx context.Context, q querier, id int64) (*qiancun.Publication, error) {
	ps, err := publications(ctx, q, PublicationFilter{}, id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, ErrNotFound
	}
	if err := readEvents(ctx, q, &ps[0]); err != nil {
		return nil, err
	}
	return &ps[0], nil
}

// FactSource is one value of a member in a submission: where it came from.
type FactSource struct {
	Indicator string
	qiancun.Source
}

// FactSources lists member key's values in the given submissions (current or not: a
// publication's submissions keep their facts after a resubmission), by month and row.
func (s *Store) FactSources(ctx context.Context, submissions []int64, key string) ([]FactSource, error) {
	rows, err := s.db.QueryContext(ctx, pubQuery("fact_sources"), submissions, key)
	if err != nil {
		return nil, fmt.Errorf("member sources: %w", err)
	}
	defer rows.Close()
	var out []FactSource
	for rows.Next() {
		var f FactSource
		var row int64
		var v string
		if err := rows.Scan(&f.Period, &f.SubmissionID, &f.File, &f.Sheet, &row, &f.Indicator, &v); err != nil {
			return nil, err
		}
		h, err := parseHundredths(v)
		if err != nil {
			return nil, err
		}
		f.Row, f.Value = row, qiancun.Hundredths(h)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Link is a row's place in its publication's log chain: its number (1, 2, ... in the order
// written, across the state log, the objections and their answers) and its chain hash.
type Link struct {
	Seq  int
	Hash string
}

// The kinds of row in a log chain.
const (
	LogEvent      = "event"
	LogObjection  = "objection"
	LogResolution = "resolution"
)

// LogRow is one row of a publication's log chain as stored. Seq is 0 and Hash "" where the
// database has none (a row inserted by hand, or written before migration 021 and not yet
// sealed).
type LogRow struct {
	Seq       int
	Kind      string                   // LogEvent, LogObjection or LogResolution
	EventSeq  int                      // an event's number in the state log
	Event     qiancun.PublicationEvent // for LogEvent
	Objection qiancun.Objection        // for LogObjection: the objection; for LogResolution: ID and the answer's fields
	Hash      string
}

// LogRows reads publication id's log chain in chain order (rows with no number last).
func (s *Store) LogRows(ctx context.Context, id int64) ([]LogRow, error) {
	return logRows(ctx, s.db, id)
}

// LogRows reads publication id's log chain in chain order (rows with no number last).
func (t *PubTx) LogRows(ctx context.Context, id int64) ([]LogRow, error) {
	return logRows(ctx, t.conn, id)
}

func logRows(ctx context.Context, q querier, id int64) ([]LogRow, error) {
	rows, err := q.QueryContext(ctx, pubQuery("log_rows"), id, id, id)
	if err != nil {
		return nil, fmt.Errorf("read the log chain of publication %d: %w", id, err)
	}
	defer rows.Close()
	var out []LogRow
	for rows.Next() {
		var r LogRow
		var seq sql.NullInt64
		var what, from, to, by, text, key, name string
		var at time.Time
		var oid int64
		if err := rows.Scan(&seq, &r.Kind, &r.EventSeq, &what, &from, &to, &at, &by, &text, &oid, &key, &name, &r.Hash); err != nil {
			return nil, err
		}
		r.Seq, at = int(seq.Int64), at.UTC()
		switch r.Kind {
		case LogEvent:
			r.Event = qiancun.PublicationEvent{Move: qiancun.Move(what), From: qiancun.PublicationState(from), To: qiancun.PublicationState(to), At: at, By: by, Reason: text}
		case LogObjection:
			r.Objection = qiancun.Objection{ID: oid, PublicationID: id, MemberKey: key, MemberName: name, RaisedBy: by, RaisedAt: at, Reason: text}
		case LogResolution:
			r.Objection = qiancun.Objection{ID: oid, PublicationID: id, Resolution: qiancun.Resolution(what), ResolvedBy: by, ResolvedAt: &at, Note: text}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Seal sets the chain hash of log row r of publication id, written before migration 021
// with none; a row that has one is left as it is.
func (t *PubTx) Seal(ctx context.Context, id int64, r LogRow, hash string) error {
	var err error
	switch r.Kind {
	case LogEvent:
		_, err = t.conn.ExecContext(ctx, pubQuery("seal_event"), hash, id, r.Seq)
	case LogObjection:
		_, err = t.conn.ExecContext(ctx, pubQuery("seal_objection"), hash, r.Objection.ID)
	case LogResolution:
		_, err = t.conn.ExecContext(ctx, pubQuery("seal_resolution"), hash, r.Objection.ID)
	}
	if err != nil {
		return fmt.Errorf("seal log row %d of publication %d: %w", r.Seq, id, err)
	}
	return nil
}

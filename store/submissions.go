package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/qiancun/qiancun"
)

// registry is the set of assisted villages and their towns, for validation. Codes of
// digits only are kept as sorted numbers (8 bytes a village: a map of half a million
// strings took 70 MB); any other code, in a map.
type registry struct {
	villages, towns []uint64
	other           map[string]struct{} // villages and towns whose code is not all digits
	size            int
}

func (r *registry) Village(code string) bool { return r.has(r.villages, code, 12) }
func (r *registry) Town(code string) bool    { return r.has(r.towns, code, 9) }
func (r *registry) Size() int                { return r.size }

func (r *registry) has(sorted []uint64, code string, n int) bool {
	if v, ok := digits(code); ok && len(code) == n {
		_, found := slices.BinarySearch(sorted, v)
		return found
	}
	_, ok := r.other[code]
	return ok
}

// digits reads a code of 1 to 19 decimal digits as a number.
func digits[T ~string | ~[]byte](s T) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// Registry returns the current village registry. It is read once and kept until a new
// registry is submitted.
func (s *Store) Registry(ctx context.Context) (qiancun.Registry, error) {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	if s.reg != nil {
		return s.reg, nil
	}
	// Each code is read as the driver's bytes, and a 12-digit one kept as its number: a
	// province's registry (half a million villages) is read without a string per village.
	r := &registry{other: map[string]struct{}{}}
	rows, err := s.db.QueryContext(ctx, "SELECT code FROM villages")
	if err != nil {
		return nil, fmt.Errorf("read village registry: %w", err)
	}
	defer rows.Close()
	var code sql.RawBytes // valid until the next row
	for rows.Next() {
		if err := rows.Scan(&code); err != nil {
			return nil, fmt.Errorf("read village registry: %w", err)
		}
		if v, ok := digits(code); ok && len(code) == 12 {
			r.addVillage(v)
		} else {
			r.addCode(string(code))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read village registry: %w", err)
	}
	s.reg = r.done()
	return s.reg, nil
}

// addVillage adds the 12-digit village code v to a registry being made, and its town (its
// first 9 digits), unless that town came just before: villages come in their registry's
// order, mostly town by town.
func (r *registry) addVillage(v uint64) {
	r.villages = append(r.villages, v)
	if t := v / 1000; len(r.towns) == 0 || r.towns[len(r.towns)-1] != t {
		r.towns = append(r.towns, t)
	}
}

// addCode adds a village code to a registry being made: a 12-digit one as addVillage does,
// any other to other (and its first 9 bytes, as a town: to towns when they are digits).
func (r *registry) addCode(code string) {
	if v, ok := digits(code); ok && len(code) == 12 {
		r.addVillage(v)
		return
	}
	if _, seen := r.other[code]; !seen {
		r.other[code] = struct{}{}
		r.size++
	}
	town := code[:min(9, len(code))]
	if v, ok := digits(town); ok && len(town) == 9 {
		r.towns = append(r.towns, v)
		return
	}
	r.other[town] = struct{}{}
}

// done sorts the lists of a registry made with addCode, and counts its villages.
func (r *registry) done() *registry {
	slices.Sort(r.villages)
	r.villages = slices.Compact(r.villages)
	slices.Sort(r.towns)
	r.towns = slices.Compact(r.towns)
	r.size += len(r.villages)
	return r
}

// Current returns the receipt of the submission that counts now for (template, period),
// or else of the latest rejected one, when it came from the file with this SHA-256.
func (s *Store) Current(ctx context.Context, template, period, sha string) (*qiancun.Receipt, bool, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `
		SELECT id FROM submissions
		WHERE template = ? AND period = ? AND sha256 = ?
		  AND (current OR (status = 'rejected' AND id > coalesce(
		        (SELECT max(id) FROM submissions WHERE template = ? AND period = ? AND current), 0)))
		ORDER BY id DESC LIMIT 1`, template, period, sha, template, period).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up earlier submission: %w", err)
	}
	rc, err := s.Receipt(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return rc, true, nil
}

// tx is a submission being written, on one connection. See qiancun.Tx.
//
// Its rows are committed in pieces as they come (stagedRows at a time), under its
// submission id, which staged_submissions lists and no submissions row has yet: every
// reader of fact_rows joins submissions, so the rows count for nothing until Commit
// records the submission, in one transaction with its file, receipt and replacement. A
// rolled-back submission deletes its rows; Open deletes those of a process that died.
// Holding the rows in one open transaction instead made DuckDB keep the whole file's rows
// in memory and copy them again as it committed (README, Benchmarks).
type tx struct {
	s       *Store
	conn    *sql.Conn
	id      int64
	inds    []string // the template's indicators, in Fact.Values order
	added   int
	pending int    // rows added in the open piece's transaction
	open    bool   // a transaction is open on conn
	began   uint64 // Store.committed when it began
	// stagedFile names the file in the raw file directory until it takes its SHA-256
	stagedFile string
	done       bool
	app        *duckdb.Appender // the open piece's appender (factAppender), until flush
	appRows    int              // rows in app not yet flushed to fact_rows
}

// flushRows is how many rows the appender gathers before it runs its INSERT: each run
// has a cost of its own (a query planned and started).
const flushRows = 16384

// stagedRows is how many rows a piece commits at once: one DuckDB row group, which DuckDB
// writes straight to the database file, compressed, when a transaction appends it whole,
// rather than through the write-ahead log and a checkpoint later. Measured against pieces of
// 16,384 rows: the same peak memory, 15-20% less CPU for `qiancun ingest` (BenchmarkIngestRSS).
const stagedRows = 122880

// Begin starts a submission of template t (nil for a file whose template is unknown); it
// satisfies ingest.Sink's Begin. It holds one connection until Commit or Rollback.
func (s *Store) Begin(ctx context.Context, t *qiancun.Template) (qiancun.Tx, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	x := &tx{s: s, conn: conn}
	if t != nil {
		x.inds = t.Indicators()
	}
	s.commitMu.Lock()
	x.began = s.committed
	s.commitMu.Unlock()
	if err := conn.QueryRowContext(ctx, "SELECT nextval('submission_ids')").Scan(&x.id); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin submission: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO staged_submissions (id, started_at) VALUES (?, now())", x.id); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin submission: %w", err)
	}
	return x, nil
}

// Add appends valid rows to fact_rows through DuckDB's appender, each row with its values as
// one list (vals, in the order of the template's indicators, which Commit records with the
// submission). The view fact_values unnests them into a row per value. (A fact_values
// table of a row per value held 1.4 million rows for a 200,000-row file; README,
// Benchmarks.) The rows are committed stagedRows at a time.
func (x *tx) Add(facts []qiancun.Fact) error {
	if x.done {
		return errors.New("submission already finished")
	}
	if !x.open {
		if _, err := x.conn.ExecContext(context.Background(), "BEGIN TRANSACTION"); err != nil {
			return fmt.Errorf("stage rows: %w", err)
		}
		x.open = true
	}
	if err := x.writeFacts(facts); err != nil {
		return err
	}
	x.added += len(facts)
	if x.pending += len(facts); x.pending >= stagedRows {
		return x.flush(context.Background())
	}
	return nil
}

// flush commits the rows added since the last piece.
func (x *tx) flush(ctx context.Context) error {
	if !x.open {
		return nil
	}
	if err := x.closeAppender(true); err != nil {
		return err
	}
	// A piece of a whole row group DuckDB writes to the database file as it commits; a
	// smaller one, the last of a submission, goes to the write-ahead log and stays in
	// memory until a checkpoint writes it.
	written := x.pending >= stagedRows
	x.open, x.pending = false, 0
	if x.s.sheds() {
		// Shedding: the commit writes a row group, or checkpoints; give the Go heap's free
		// pages back first, so that the two do not add up.
		debug.FreeOSMemory()
	}
	if _, err := x.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	if !written {
		// Shed now, DuckDB would spill the rows it holds for the checkpoint to its temporary
		// file, compressed, only for the checkpoint to read them back (0.05 s of CPU for the
		// national file's last 77,120 rows, for 7 MB less at the peak).
		return nil
	}
	return x.s.shedBuffers(ctx, x.conn)
}

// Rollback drops the submission and deletes its rows; after Commit it does nothing.
func (x *tx) Rollback() error {
	if x.done {
		return nil
	}
	x.done = true
	defer x.conn.Close()
	// A fresh context: the caller's may be why we are rolling back.
	ctx := context.Background()
	err := x.closeAppender(false)
	if x.open {
		x.open = false
		if _, rerr := x.conn.ExecContext(ctx, "ROLLBACK"); err == nil {
			err = rerr
		}
	}
	if derr := dropStaged(ctx, x.conn, x.id); err == nil {
		err = derr
	}
	if x.stagedFile != "" {
		os.Remove(filepath.Join(x.s.rawDir, x.stagedFile))
	}
	return err
}

// placeRaw gives the file staged for this submission its own name, the commit that keeps it
// being about to happen: should the commit fail, Open deletes the file no row names. A
// file kept meanwhile by another submission drops the copy staged.
func (x *tx) placeRaw(sha string, kept bool) error {
	if x.stagedFile == "" {
		return nil
	}
	staged := filepath.Join(x.s.rawDir, x.stagedFile)
	x.stagedFile = ""
	if kept {
		return os.Remove(staged)
	}
	if err := os.Rename(staged, x.s.rawPath(sha)); err != nil {
		return fmt.Errorf("keep raw file: %w", err)
	}
	return nil
}

// dropStaged deletes the staged rows of submission id, and id from staged_submissions.
func dropStaged(ctx context.Context, conn *sql.Conn, id int64) error {
	if _, err := conn.ExecContext(ctx, "DELETE FROM fact_rows WHERE submission_id = ?", id); err != nil {
		return fmt.Errorf("delete the rows of submission %d: %w", id, err)
	}
	if _, err := conn.ExecContext(ctx, "DELETE FROM staged_submissions WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete staged submission %d: %w", id, err)
	}
	return nil
}

// Commit stores the raw file, the submission, its issues and quarantined rows, supersedes
// the submission it replaces when it counts, and commits; see qiancun.Tx.
func (x *tx) Commit(ctx context.Context, sub *qiancun.Submission) error {
	if x.done {
		return errors.New("submission already finished")
	}
	rc := sub.Receipt
	counts := rc.Status == qiancun.Accepted || rc.Status == qiancun.Partial
	tmpl, kind := "", qiancun.TemplateKind("")
	if sub.Template != nil {
		tmpl, kind = sub.Template.Slug, sub.Template.Kind
	}
	// Commits of one (template, period) take turns. One that lost the race (it began before
	// another of its (template, period) committed: its file was checked against what counted
	// then, for instance whether it is the same file again) is rolled back, to be read
	// again after the winner; see qiancun.ErrConflict. The database's key on
	// current_submission is what keeps a second process from counting twice.
	key := tmpl + "\x00" + rc.Period
	unlock := x.s.lockCommit(key)
	defer unlock()
	defer x.Rollback() // does nothing once committed; before unlock
	x.s.commitMu.Lock()
	lost := x.s.lastCommit[key] > x.began
	x.s.commitMu.Unlock()
	if lost {
		return fmt.Errorf("%w: another submission of %s %s committed since this one began", qiancun.ErrConflict, tmpl, rc.Period)
	}
	conn, id := x.conn, x.id
	if err := x.flush(ctx); err != nil {
		return err
	}
	// The file is written beside the database first, under a name of this submission's
	// (rawfiles.go), and takes its own name as the submission commits (placeRaw).
	kept, err := x.s.rawKept(ctx, conn, rc.SHA256)
	if err != nil {
		return err
	}
	if !kept {
		x.stagedFile = fmt.Sprintf("%s.%d", rc.SHA256, id)
		if err := x.s.stageRaw(sub.File, rc.SHA256, x.stagedFile); err != nil {
			x.stagedFile = ""
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("begin submission: %w", err)
	}
	x.open = true
	if !counts && x.added > 0 {
		// A rejected file reaches no KPI: drop the rows added while it was read.
		if _, err := conn.ExecContext(ctx, "DELETE FROM fact_rows WHERE submission_id = ?", id); err != nil {
			return fmt.Errorf("drop the rows of a rejected file: %w", err)
		}
	}
	// The file is kept once: its key is looked up again, in this transaction, rather than
	// inserted with ON CONFLICT DO NOTHING (DuckDB's conflict check copies the row).
	if kept, err = x.s.rawKept(ctx, conn, rc.SHA256); err != nil {
		return err
	}
	if !kept {
		if x.stagedFile == "" { // kept when looked up before, and since? raw files are never deleted
			return fmt.Errorf("keep raw file %s: it was kept, and no longer is", rc.SHA256)
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO raw_files (sha256, size, first_name, received_at) VALUES (?, ?, ?, ?)`,
			rc.SHA256, sub.File.Size(), rc.File, rc.ReceivedAt); err != nil {
			// The same file, committed meanwhile by another submission: conflict, start again.
			return conflict(fmt.Errorf("keep raw file: %w", err))
		}
	}
	if err := x.placeRaw(rc.SHA256, kept); err != nil {
		return err
	}
	var replaces sql.NullInt64
	if counts {
		if err := x.makeCurrent(ctx, tmpl, rc.Period, &replaces); err != nil {
			return conflict(err)
		}
	}
	warnings := rc.Warnings()
	if _, err := conn.ExecContext(ctx, `INSERT INTO submissions (id, template, period, file_name, sha256, sheet, status,
		rows_found, rows_accepted, rows_quarantined, errors, warnings, uploader, received_at, replaces, current, kind, indicators)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::VARCHAR[])`,
		id, tmpl, rc.Period, rc.File, rc.SHA256, rc.Sheet, string(rc.Status), rc.Rows, rc.Accepted, rc.Quarantined,
		rc.Errors(), warnings, sub.Uploader, rc.ReceivedAt, replaces, counts, string(kind), x.indicators()); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	if err := writeIssues(conn, id, rc.Issues); err != nil {
		return err
	}
	for _, o := range rc.Omitted {
		if _, err := conn.ExecContext(ctx, "INSERT INTO receipt_omitted VALUES (?, ?, ?, ?)",
			id, string(o.Rule), string(o.Severity), o.Count); err != nil {
			return fmt.Errorf("record omitted issues: %w", err)
		}
	}
	if err := writeQuarantine(conn, id, sub.Quarantined); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "DELETE FROM staged_submissions WHERE id = ?", id); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return conflict(fmt.Errorf("commit submission of %s: %w", rc.File, err))
	}
	x.done, x.open = true, false
	x.conn.Close()
	if counts {
		x.s.commitMu.Lock()
		x.s.committed++
		if x.s.lastCommit == nil {
			x.s.lastCommit = map[string]uint64{}
		}
		x.s.lastCommit[key] = x.s.committed
		x.s.commitMu.Unlock()
	}
	rc.SubmissionID = id
	rc.Replaces = replaces.Int64
	if counts {
		x.s.version.Add(1)
		if kind == qiancun.KindRegistry {
			x.s.regMu.Lock()
			x.s.reg = nil
			x.s.regMu.Unlock()
		}
	}
	return nil
}

// lockCommit takes the commit turn of key and returns its release.
func (s *Store) lockCommit(key string) func() {
	s.commitMu.Lock()
	m := s.commits[key]
	if m == nil {
		if s.commits == nil {
			s.commits = map[string]*sync.Mutex{}
		}
		m = &sync.Mutex{}
		s.commits[key] = m
	}
	s.commitMu.Unlock()
	m.Lock()
	return m.Unlock
}

// makeCurrent makes the submission the current one of (template, period) in
// current_submission, whose primary key lets only one of two concurrent submissions of the
// same (template, period) commit, and supersedes the one it replaces.
func (x *tx) makeCurrent(ctx context.Context, template, period string, replaces *sql.NullInt64) error {
	conn := x.conn
	err := conn.QueryRowContext(ctx, "SELECT submission_id FROM current_submission WHERE template = ? AND period = ?",
		template, period).Scan(replaces)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := conn.ExecContext(ctx, "INSERT INTO current_submission (template, period, submission_id) VALUES (?, ?, ?)",
			template, period, x.id); err != nil {
			return fmt.Errorf("make submission %d current: %w", x.id, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("look up the current submission: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "UPDATE current_submission SET submission_id = ? WHERE template = ? AND period = ?",
		x.id, template, period); err != nil {
		return fmt.Errorf("make submission %d current: %w", x.id, err)
	}
	if _, err := conn.ExecContext(ctx, "UPDATE submissions SET current = false WHERE id = ?", replaces.Int64); err != nil {
		return fmt.Errorf("supersede submission %d: %w", replaces.Int64, err)
	}
	return nil
}

// conflict marks err as qiancun.ErrConflict when DuckDB refused it because a concurrent
// transaction wrote the same rows (a write-write conflict, or the primary key of
// current_submission taken by a submission committed since this one began).
func conflict(err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) && (de.Type == duckdb.ErrorTypeTransaction || de.Type == duckdb.ErrorTypeConstraint) {
		return fmt.Errorf("%w: %w", qiancun.ErrConflict, err)
	}
	return err
}

func writeIssues(conn *sql.Conn, id int64, issues []qiancun.Issue) error {
	i := 0
	return appendRows(conn, "receipt_issues", func(row []driver.Value) bool {
		if i >= len(issues) {
			return false
		}
		is := issues[i]
		row[0], row[1], row[2], row[3], row[4] = id, int32(i+1), is.Sheet, is.Cell, is.Column
		row[5], row[6], row[7], row[8] = is.Value, string(is.Rule), string(is.Severity), is.Message
		i++
		return true
	}, 9)
}

// indicators is the submission's indicators for its row, NULL when it has none.
func (x *tx) indicators() any {
	if len(x.inds) == 0 {
		return nil
	}
	return x.inds
}

// villageSep joins a row's village codes into the one string factAppender splits.
const villageSep = '\x1f'

// factAppender appends rows to fact_rows of submission id through DuckDB's query appender:
// each row goes in as flat values (its villages joined by villageSep, each of its nvals
// values a DECIMAL column of its own), and DuckDB makes the lists, a chunk at a time. The
// plain appender, given the lists, cost a cgo call per list per row and more (half the
// CPU of storing a row; BenchmarkStoreFacts).
func factAppender(dc driver.Conn, id int64, nvals int) (*duckdb.Appender, error) {
	text, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	integer, _ := duckdb.NewTypeInfo(duckdb.TYPE_INTEGER)
	dec, err := duckdb.NewDecimalInfo(18, 2)
	if err != nil {
		return nil, err
	}
	types := []duckdb.TypeInfo{integer, text, text, text, text, text}
	names := []string{"row_no", "member_key", "name", "villages", "town", "attrs"}
	vals := "NULL"
	if nvals > 0 {
		cols := make([]string, nvals)
		for k := range cols {
			cols[k] = "v" + strconv.Itoa(k)
			types, names = append(types, dec), append(names, cols[k])
		}
		vals = "[" + strings.Join(cols, ", ") + "]"
	}
	q := `INSERT INTO fact_rows SELECT ` + strconv.FormatInt(id, 10) + `, row_no, member_key, name,
		CASE WHEN villages = '' THEN []::VARCHAR[] ELSE string_split(villages, chr(31)) END, town, attrs, ` + vals + `
		FROM appended_data`
	a, err := duckdb.NewQueryAppender(dc, q, "appended_data", types, names)
	if err != nil {
		return nil, fmt.Errorf("appender fact_rows: %w", err)
	}
	return a, nil
}

// writeFacts appends facts to the open piece, through its appender (made on first use):
// each row's Values in hundredths (the appender takes an int64 as a DECIMAL's unscaled
// value); Attrs, JSON already, as its text. They reach fact_rows flushRows at a time, and
// all of them before the piece commits.
func (x *tx) writeFacts(facts []qiancun.Fact) error {
	nvals := len(x.inds)
	return x.conn.Raw(func(dc any) error {
		if x.app == nil {
			// Kept until the piece is flushed, and used only here, under conn's lock: the
			// driver connection of a *sql.Conn is the same at every Raw.
			a, err := factAppender(dc.(driver.Conn), x.id, nvals)
			if err != nil {
				return err
			}
			x.app = a
		}
		row := make([]driver.Value, 6+nvals)
		var noAttrs driver.Value = []byte("{}") // boxed once, not per row
		var joined []byte
		for i := range facts {
			f := &facts[i]
			if len(f.Values) != nvals {
				return fmt.Errorf("append fact_rows: row %d has %d values, the template %d indicators", f.Row, len(f.Values), nvals)
			}
			attrs := noAttrs
			if f.Attrs != nil {
				attrs = []byte(f.Attrs) // the JSON text, as VARCHAR (migration 053), not re-encoded
			}
			var villages string
			for k, v := range f.Villages {
				if v == "" || strings.IndexByte(v, villageSep) >= 0 {
					// Joined, it would not split back into the same codes.
					return fmt.Errorf("append fact_rows: row %d: village code %q is empty or holds a control character", f.Row, v)
				}
				switch {
				case len(f.Villages) == 1:
					villages = v
				case k == 0:
					joined = append(joined[:0], v...)
				default:
					joined = append(append(joined, villageSep), v...)
				}
			}
			if len(f.Villages) > 1 {
				villages = string(joined)
			}
			row[0], row[1], row[2], row[3], row[4], row[5] = int32(f.Row), f.Key, f.Name, villages, f.Town, attrs
			for k, v := range f.Values {
				row[6+k] = v
			}
			if err := x.app.AppendRow(row...); err != nil {
				return fmt.Errorf("append fact_rows: %w", err)
			}
		}
		if x.appRows += len(facts); x.appRows >= flushRows {
			x.appRows = 0
			if err := x.app.Flush(); err != nil {
				return fmt.Errorf("append fact_rows: %w", err)
			}
		}
		return nil
	})
}

// closeAppender closes the open piece's appender, if any: keep flushes the rows it still
// holds to fact_rows first, else they are dropped (a submission rolled back).
func (x *tx) closeAppender(keep bool) error {
	if x.app == nil {
		return nil
	}
	return x.conn.Raw(func(any) error {
		a := x.app
		x.app, x.appRows = nil, 0
		if !keep {
			if err := a.Clear(); err != nil {
				_ = a.Close()
				return fmt.Errorf("append fact_rows: %w", err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("append fact_rows: %w", err)
		}
		return nil
	})
}

func writeQuarantine(conn *sql.Conn, id int64, q []qiancun.Quarantined) error {
	i := 0
	return appendRows(conn, "quarantine", func(row []driver.Value) bool {
		if i >= len(q) {
			return false
		}
		row[0], row[1], row[2] = id, int32(q[i].Row), q[i].Cells
		i++
		return true
	}, 3)
}

// Receipt returns the receipt of submission id as it was made, or ErrNotFound.
func (s *Store) Receipt(ctx context.Context, id int64) (*qiancun.Receipt, error) {
	rc := &qiancun.Receipt{SubmissionID: id, Issues: []qiancun.Issue{}}
	var status string
	var replaces sql.NullInt64
	var received time.Time
	err := s.db.QueryRowContext(ctx, `SELECT file_name, sha256, template, period, status, rows_found, rows_accepted,
		rows_quarantined, replaces, sheet, received_at FROM submissions WHERE id = ?`, id).
		Scan(&rc.File, &rc.SHA256, &rc.Template, &rc.Period, &status, &rc.Rows, &rc.Accepted, &rc.Quarantined,
			&replaces, &rc.Sheet, &received)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read submission %d: %w", id, err)
	}
	rc.Status, rc.Replaces, rc.ReceivedAt = qiancun.Status(status), replaces.Int64, received.UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT sheet, cell, column_name, value, rule, severity, message
		FROM receipt_issues WHERE submission_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var is qiancun.Issue
		var rule, sev string
		if err := rows.Scan(&is.Sheet, &is.Cell, &is.Column, &is.Value, &rule, &sev, &is.Message); err != nil {
			return nil, err
		}
		is.Rule, is.Severity = qiancun.Rule(rule), qiancun.Severity(sev)
		rc.Issues = append(rc.Issues, is)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if rc.Omitted, err = s.omitted(ctx, id); err != nil {
		return nil, err
	}
	return rc, nil
}

// omitted reads the issues a receipt counted without listing.
func (s *Store) omitted(ctx context.Context, id int64) ([]qiancun.Omitted, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rule, severity, count FROM receipt_omitted
		WHERE submission_id = ? ORDER BY rule, severity`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []qiancun.Omitted
	for rows.Next() {
		var rule, sev string
		var n int
		if err := rows.Scan(&rule, &sev, &n); err != nil {
			return nil, err
		}
		out = append(out, qiancun.Omitted{Rule: qiancun.Rule(rule), Severity: qiancun.Severity(sev), Count: n})
	}
	return out, rows.Err()
}

// RejectedBytes is the size of the distinct raw files of uploader's rejected submissions:
// what the uploader's quota of stored junk counts.
func (s *Store) RejectedBytes(ctx context.Context, uploader string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(size), 0)::BIGINT FROM raw_files WHERE sha256 IN (
		SELECT sha256 FROM submissions WHERE uploader = ? AND status = 'rejected')`, uploader).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("rejected bytes of %s: %w", uploader, err)
	}
	return n, nil
}

// ErrNotFound is returned when a submission or file does not exist.
var ErrNotFound = errors.New("not found")

// SubmissionFilter selects submissions from the history; empty fields match all.
type SubmissionFilter struct {
	Templates []string // any of these templates; nil for all
	Period    string
	Status    string
	Limit     int
	Offset    int
}

// Submission is one row of the history.
type Submission struct {
	ID          int64     `json:"id"`
	Template    string    `json:"template"`
	Period      string    `json:"period"`
	File        string    `json:"file"`
	SHA256      string    `json:"sha256"`
	Sheet       string    `json:"sheet"`
	Status      string    `json:"status"`
	Rows        int       `json:"rows"`
	Accepted    int       `json:"accepted"`
	Quarantined int       `json:"quarantined"`
	Errors      int       `json:"errors"`
	Warnings    int       `json:"warnings"`
	Uploader    string    `json:"uploader"`
	ReceivedAt  time.Time `json:"received_at"`
	Replaces    *int64    `json:"replaces"`
	Current     bool      `json:"current"`
}

// Submissions lists the history, newest first, and the total that matched.
func (s *Store) Submissions(ctx context.Context, f SubmissionFilter) ([]Submission, int, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	tmpls := f.Templates
	if tmpls == nil {
		tmpls = []string{}
	}
	where := `WHERE (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], template))
		AND (? = '' OR period = ?) AND (? = '' OR status = ?)`
	args := []any{tmpls, tmpls, f.Period, f.Period, f.Status, f.Status}
	var total int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM submissions "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count submissions: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, template, period, file_name, sha256, sheet, status, rows_found,
		rows_accepted, rows_quarantined, errors, warnings, uploader, received_at, replaces, current
		FROM submissions `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list submissions: %w", err)
	}
	defer rows.Close()
	out := []Submission{}
	for rows.Next() {
		var x Submission
		var rep sql.NullInt64
		if err := rows.Scan(&x.ID, &x.Template, &x.Period, &x.File, &x.SHA256, &x.Sheet, &x.Status, &x.Rows,
			&x.Accepted, &x.Quarantined, &x.Errors, &x.Warnings, &x.Uploader, &x.ReceivedAt, &rep, &x.Current); err != nil {
			return nil, 0, err
		}
		if rep.Valid {
			x.Replaces = &rep.Int64
		}
		x.ReceivedAt = x.ReceivedAt.UTC()
		out = append(out, x)
	}
	return out, total, rows.Err()
}

// filePart is the size of the parts a kept file is stored in (raw_file_parts).
const filePart = 1 << 20

// Package store owns the DuckDB database: its embedded, numbered migrations, submissions
// with their history, receipts, facts, members and the village registry, and the
// append-only tables of publications and objections (publications.go); and, beside the
// database, the raw files as received (rawfiles.go). It is
// the only package that imports the DuckDB driver; it satisfies ingest.Sink (with the domain
// package's Template, Fact and Submission; it never imports ingest), and gives the
// query engine a database/sql handle to run its packs on.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a DuckDB database holding everything the service knows. It is safe for
// concurrent use.
type Store struct {
	db   *sql.DB
	conn *duckdb.Connector
	path string
	// memoryLimit is DuckDB's memory limit as it reads it, to restore after shedding its
	// buffers; empty: never shed (Options.ShedBuffers)
	memoryLimit string

	// version counts the writes that changed what a KPI may read; caches key on it.
	version atomic.Uint64

	pubMu sync.Mutex // one publication write at a time (InPublicationTx)

	regMu sync.Mutex
	reg   *registry // nil until first asked for, and after the registry changes

	// commits holds one lock per (template, period) that a submission committed; see
	// tx.Commit. A few hundred keys at most: nine templates times the months.
	commitMu sync.Mutex
	commits  map[string]*sync.Mutex
	// committed counts the submissions committed that count; lastCommit holds, per
	// (template, period), the count when one of it last committed. A submission begun
	// before that lost the race.
	committed  uint64
	lastCommit map[string]uint64

	// the raw files (rawfiles.go): rawDir holds them, a temporary directory when rawTemp;
	// rawExport, when set, is the export whose raw files a replica's store reads instead
	rawDir    string
	rawTemp   bool
	rawExport string
}

// ErrLocked is returned by Open when another process holds the database file.
var ErrLocked = errors.New("database file is in use by another process")

// LockedError says which process holds a database file.
type LockedError struct {
	Path string
	PID  int // 0 when DuckDB did not say
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "process " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("database %s is held by %s, probably a running `qiancun serve`: stop it, or use its HTTP API (POST /api/v1/submissions, GET /api/v1/rankings/...) instead", e.Path, who)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

var lockPID = regexp.MustCompile(`\(PID (\d+)\)`)

// Options tune a store to the process that opens it.
type Options struct {
	// Threads bounds DuckDB's worker threads; 0 leaves DuckDB's default, one per core. A
	// process that only ingests wants 1: DuckDB's work there is appending rows and
	// checkpointing them, and each thread checkpointing a row group holds a copy of it
	// (about 10 MB each for a first-secretary file; BenchmarkIngestRSS).
	Threads int
	// MemoryLimit bounds the memory DuckDB manages, in bytes (its buffers: table data, the
	// rows a transaction holds); past it, DuckDB writes them to <db>.tmp. 0 leaves DuckDB's
	// default, 80% of the machine's memory. Too small a limit fails a checkpoint (DuckDB
	// needs a row group's columns at once), so keep it at tens of MB at least.
	MemoryLimit int64
	// ShedBuffers makes DuckDB drop the buffers it keeps after each piece of a submission's
	// rows that it wrote to the file commits (see tx; not the last, partial piece, which it
	// holds for the checkpoint): the blocks it wrote and cached, which it frees only under the
	// pressure of its memory limit, and which otherwise grow with the rows written (about
	// 90 MB for 400,000 rows, under a 64 MiB limit, measured on the store alone). The
	// limit is lowered for a moment and restored, which would starve queries running at
	// the same time: for a process that only writes, such as `qiancun ingest`.
	ShedBuffers bool
	// NoVacuum keeps checkpoints from merging row groups (DuckDB's max_vacuum_tasks 0). A
	// submission whose rows end in a partial row group (all but a multiple of 122,880
	// rows) has DuckDB's checkpoint rewrite that row group together with the ones before
	// it, whose rows it already wrote: 0.29 s of the 1.5 s of `qiancun ingest` for the
	// national first-secretary file, against 0.09 s without (its close checkpoint). The
	// partial row groups stay until a process that vacuums checkpoints the table.
	NoVacuum bool
}

// IngestMemory is the memory limit `qiancun ingest` gives DuckDB by default: enough for a
// row group of long rows to be checkpointed (300,000 rows of 2.4 KB each ingest at 32 MiB;
// 30 MiB once failed a checkpoint), small enough that the national first-secretary file
// ingests under 150 MB (64 MiB: about 160 MB; README, Benchmarks).
const IngestMemory = 40 << 20

// IngestOptions are the options of a process that only ingests (`qiancun ingest`): one
// thread, DuckDB's buffers bounded by memoryLimit bytes and shed as pieces commit.
func IngestOptions(memoryLimit int64) Options {
	return Options{Threads: 1, MemoryLimit: memoryLimit, ShedBuffers: true, NoVacuum: true}
}

// Open opens (creating if need be) the database at path, or an in-memory one when path is
// empty, and brings its schema up to date. No extension is ever installed or downloaded.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opt Options) (*Store, error) {
	dsn := path + "?autoinstall_known_extensions=false&autoload_known_extensions=false"
	if opt.Threads > 0 {
		dsn += "&threads=" + strconv.Itoa(opt.Threads)
	}
	if opt.MemoryLimit > 0 {
		dsn += "&memory_limit=" + strconv.FormatInt(opt.MemoryLimit>>10, 10) + "KiB"
	}
	if opt.NoVacuum {
		dsn += "&max_vacuum_tasks=0"
	}
	c, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		if strings.Contains(err.Error(), "Could not set lock") || strings.Contains(err.Error(), "Conflicting lock") {
			le := &LockedError{Path: path}
			if m := lockPID.FindStringSubmatch(err.Error()); m != nil {
				le.PID, _ = strconv.Atoi(m[1])
			}
			return nil, le
		}
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	s := &Store{db: sql.OpenDB(c), conn: c, path: path}
	if opt.ShedBuffers {
		if err := s.db.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&s.memoryLimit); err != nil {
			s.Close()
			return nil, fmt.Errorf("open database %q: %w", path, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.sweepStaged(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.openRawDir(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if fi, err := os.Stat(path); path != "" && err == nil && fi.Mode().Perm()&0o077 != 0 {
		// The database holds full 身份证号 (rows and raw files): the owner's only. DuckDB
		// creates it with the umask's mode; its write-ahead log is covered by the binary's
		// umask (cmd/qiancun).
		if err := os.Chmod(path, 0o600); err != nil {
			s.Close()
			return nil, fmt.Errorf("database %q: %w", path, err)
		}
	}
	return s, nil
}

// sweepStaged deletes the rows that submissions still being written had committed when
// their process died (staged_submissions; see tx). The database's lock makes this process
// its only writer, so none is being written now.
func (s *Store) sweepStaged(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM staged_submissions").Scan(&n); err != nil {
		return fmt.Errorf("unfinished submissions: %w", err)
	}
	if n == 0 {
		return nil // the common case: no scan of fact_rows at every start
	}
	return s.inTx(ctx, func(conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, "DELETE FROM fact_rows WHERE submission_id IN (SELECT id FROM staged_submissions)"); err != nil {
			return fmt.Errorf("delete the rows of unfinished submissions: %w", err)
		}
		_, err := conn.ExecContext(ctx, "DELETE FROM staged_submissions")
		return err
	})
}

// sheds reports whether the store sheds its buffers (Options.ShedBuffers): a process that
// only writes.
func (s *Store) sheds() bool { return s.memoryLimit != "" }

// shedBuffers makes DuckDB free the buffers it holds beyond what it needs (Options.ShedBuffers):
// its memory limit lowered to 4 MiB, which evicts them, and restored. DuckDB may refuse the
// low limit, having evicted what it could; only the restore must succeed.
func (s *Store) shedBuffers(ctx context.Context, conn *sql.Conn) error {
	if !s.sheds() {
		return nil
	}
	_, _ = conn.ExecContext(ctx, "SET memory_limit = '4MiB'")
	if _, err := conn.ExecContext(ctx, "SET memory_limit = "+quoteString(s.memoryLimit)); err != nil {
		return fmt.Errorf("restore the memory limit: %w", err)
	}
	return nil
}

// Close closes the database cleanly, checkpointing its write-ahead log.
func (s *Store) Close() error {
	if s.path != "" {
		if s.sheds() {
			// The checkpoint costs memory (DuckDB compresses what the write-ahead log
			// holds): first give the Go heap's free pages back, so that the peaks of a
			// long write and of its checkpoint do not add up.
			debug.FreeOSMemory()
		}
		_, _ = s.db.Exec("CHECKPOINT")
	}
	err := s.db.Close()
	if cerr := s.conn.Close(); err == nil {
		err = cerr
	}
	if s.rawTemp {
		os.RemoveAll(s.rawDir)
	}
	return err
}

// DB returns the database handle for read-only queries (the query packs).
func (s *Store) DB() *sql.DB { return s.db }

// Version changes whenever a submission changes what a KPI may read. Caches of query
// results key on it.
func (s *Store) Version() uint64 { return s.version.Load() }

// IsFatal reports whether err is DuckDB's fatal error: after a write that failed for want
// of disk space during a checkpoint, say, the database is invalidated and refuses every
// statement until it is opened again, even once the space is back. The service then exits,
// so that its supervisor starts it again on the intact file (see serve); the data committed
// before the failure is kept.
func IsFatal(err error) bool {
	var de *duckdb.Error
	if errors.As(err, &de) {
		return de.Type == duckdb.ErrorTypeFatal
	}
	return err != nil && strings.Contains(err.Error(), "database has been invalidated")
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

var migrationName = regexp.MustCompile(`^(\d+)_[a-z0-9_]+\.sql$`)

// migrate runs every embedded migration not yet applied, in number order, each in its own
// transaction, and records it in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	type mig struct {
		n    int
		name string
	}
	var ms []mig
	for _, name := range names {
		base := path.Base(name)
		m := migrationName.FindStringSubmatch(base)
		if m == nil {
			return fmt.Errorf("migration %s: name must be NNN_words.sql", base)
		}
		n, _ := strconv.Atoi(m[1])
		ms = append(ms, mig{n, base})
	}
	slices.SortFunc(ms, func(a, b mig) int { return a.n - b.n })
	for _, m := range ms {
		var done int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.n).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + m.name)
		if err != nil {
			return err
		}
		if err := s.inTx(ctx, func(conn *sql.Conn) error {
			if _, err := conn.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := conn.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.n, m.name)
			return err
		}); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// inTx runs fn on one connection inside one transaction, committed when fn returns nil and
// rolled back otherwise. Like a submission's tx, it uses BEGIN/COMMIT on a *sql.Conn rather
// than a *sql.Tx, whose raw driver connection DuckDB's appender could not reach.
func (s *Store) inTx(ctx context.Context, fn func(conn *sql.Conn) error) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			// A fresh context: the caller's may be the reason we are rolling back.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := fn(conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	committed = true
	return nil
}

// appendRows appends rows to table through DuckDB's appender on conn, inside conn's
// transaction. next is called until it returns false; it fills the row it is given.
func appendRows(conn *sql.Conn, table string, next func(row []driver.Value) bool, width int) error {
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return fmt.Errorf("appender %s: %w", table, err)
		}
		row := make([]driver.Value, width)
		for next(row) {
			if err := a.AppendRow(row...); err != nil {
				_ = a.Close()
				return fmt.Errorf("append %s: %w", table, err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("append %s: %w", table, err)
		}
		return nil
	})
}

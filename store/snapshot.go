package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SchemaVersion is the highest migration this build embeds: the store version a snapshot
// must have for this build to load it.
func SchemaVersion() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	v := 0
	for _, name := range names {
		if m := migrationName.FindStringSubmatch(path.Base(name)); m != nil {
			n, _ := strconv.Atoi(m[1])
			v = max(v, n)
		}
	}
	return v
}

// AppliedVersion is the highest migration the database has applied.
func (s *Store) AppliedVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, apiQuery("schema_version")).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// Export writes a consistent copy of the whole database into dir, which must not exist yet:
// DuckDB's EXPORT DATABASE in Parquet (one file per table, with DuckDB's schema.sql and
// load.sql beside them), and the raw files raw_files lists (raw-<sha256>, hard links where
// the file system allows), inside one transaction, so that every table is read as of the same
// moment while writers carry on. It returns the schema version the copy has.
//
// It runs on the store's own connection: the process that holds a database file is the only
// one that may read it, so a serving primary exports itself.
func (s *Store) Export(ctx context.Context, dir string) (version int, err error) {
	if _, err := os.Stat(dir); err == nil {
		return 0, fmt.Errorf("export to %s: it exists already", dir)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return 0, err
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") }()
	if err := conn.QueryRowContext(ctx, apiQuery("schema_version")).Scan(&version); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	// EXPORT takes no bound parameters: the path is quoted as a string literal.
	if _, err := conn.ExecContext(ctx, "EXPORT DATABASE "+quoteString(dir)+" (FORMAT parquet)"); err != nil {
		return 0, fmt.Errorf("export database: %w", err)
	}
	if err := s.exportRaw(ctx, conn, dir); err != nil {
		return 0, err
	}
	return version, nil
}

// LoadExport fills a store freshly opened by this build (empty tables, its own migrations
// applied) with an export made by Export from a database of the same schema version: every
// table from its Parquet file, in one transaction. dir must hold exactly one Parquet file
// per table. The store then reads the raw files from the export (raw-<sha256>), in place.
//
// DuckDB's own IMPORT DATABASE is not used: its schema.sql creates the table macros before
// the views they read, which fails, and its load.sql names the files by the path they were
// exported to, which the atomic rename of a snapshot changes. The schema comes instead from
// this build's migrations, which the caller has checked are the snapshot's.
func (s *Store) LoadExport(ctx context.Context, dir string) error {
	tables, err := s.snapshotTables(ctx)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil {
		return err
	}
	var have []string
	for _, f := range files {
		have = append(have, strings.TrimSuffix(filepath.Base(f), ".parquet"))
	}
	want := append(slices.Clone(tables), "schema_migrations")
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(have, want) {
		return fmt.Errorf("load export %s: it has tables %v, this build has %v", dir, have, want)
	}
	err = s.inTx(ctx, func(conn *sql.Conn) error {
		for _, t := range tables {
			if _, err := conn.ExecContext(ctx, "DELETE FROM "+quoteIdent(t)); err != nil {
				return fmt.Errorf("empty %s: %w", t, err)
			}
			f := filepath.Join(dir, t+".parquet")
			if _, err := conn.ExecContext(ctx, "COPY "+quoteIdent(t)+" FROM "+quoteString(f)+" (FORMAT parquet)"); err != nil {
				return fmt.Errorf("load %s: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load export %s: %w", dir, err)
	}
	s.rawExport = dir // the export's raw files, read in place
	s.version.Add(1)
	s.regMu.Lock()
	s.reg = nil
	s.regMu.Unlock()
	return nil
}

// snapshotTables lists the tables a snapshot carries.
func (s *Store) snapshotTables(ctx context.Context) ([]string, error) {
	out, err := queryStrings(ctx, s.db, apiQuery("snapshot_tables"))
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("list tables: none")
	}
	return out, nil
}

// quoteString is s as an SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent is s as an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

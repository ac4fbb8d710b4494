package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/qiancun/qiancun"
)

// Raw files, the files as received, are kept beside the database rather than in it: a
// directory of files named by their SHA-256 (<db>.files/<sha256>, the owner's only), with
// what is known of each (size, first name, when it came) in raw_files. In DuckDB, an 18 MB
// file as a BLOB cost about 55 MB more memory as it was inserted, and as much again when it
// was checkpointed, whether whole, in parts or read by DuckDB itself with read_blob
// (README, Benchmarks); a file on disk costs a copy's buffer.
//
// A submission writes its file first, under a name of its own (<sha256>.<submission id>),
// hashing it as it is copied (so a file that changed since it was read is refused), and
// renames it to <sha256> in its final transaction, just before the commit that adds its
// raw_files row (the same bytes under the same name, should another submission of the same
// file do so too). Open finishes or deletes what a process that died left: a staged file
// whose raw_files row committed takes its name, any other is deleted, and so is a file no
// row names (a commit that failed after the rename).
//
// An in-memory store keeps its raw files in a temporary directory, removed by Close. A
// replica's store reads those of the snapshot it loaded (raw-<sha256> files beside the
// Parquet ones, which the manifest hashes like them).

// rawPath is where the kept file with SHA-256 sha is.
func (s *Store) rawPath(sha string) string {
	if s.rawExport != "" {
		return filepath.Join(s.rawExport, rawExportPrefix+sha)
	}
	return filepath.Join(s.rawDir, sha)
}

// rawExportPrefix starts the name of a raw file in an export.
const rawExportPrefix = "raw-"

// openRawDir makes the store's raw file directory: <path>.files, or a temporary one for an
// in-memory store. For a database file it then tidies what a process that died left there.
func (s *Store) openRawDir(ctx context.Context) error {
	if s.path == "" {
		dir, err := os.MkdirTemp("", "qiancun-files-")
		if err != nil {
			return fmt.Errorf("raw file directory: %w", err)
		}
		s.rawDir, s.rawTemp = dir, true
		return nil
	}
	s.rawDir = s.path + ".files"
	if err := os.MkdirAll(s.rawDir, 0o700); err != nil {
		return fmt.Errorf("raw file directory: %w", err)
	}
	if err := s.moveRawParts(ctx); err != nil {
		return err
	}
	return s.sweepRaw(ctx)
}

// sweepRaw finishes or deletes the files that submissions being written left when their
// process died: a staged file (<sha>.<id>) whose raw_files row committed takes its name;
// other staged files, and files no raw_files row names, are deleted.
func (s *Store) sweepRaw(ctx context.Context) error {
	entries, err := os.ReadDir(s.rawDir)
	if err != nil {
		return fmt.Errorf("raw file directory: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	shas, err := queryStrings(ctx, s.db, "SELECT sha256 FROM raw_files")
	if err != nil {
		return fmt.Errorf("raw files: %w", err)
	}
	rows := make(map[string]bool, len(shas))
	for _, sha := range shas {
		rows[sha] = true
	}
	for _, e := range entries {
		name := e.Name()
		sha, _, staged := strings.Cut(name, ".")
		kept := rows[sha]
		p := filepath.Join(s.rawDir, name)
		switch {
		case staged && kept:
			if _, err := os.Stat(s.rawPath(sha)); err == nil {
				err = os.Remove(p)
			} else {
				err = os.Rename(p, s.rawPath(sha))
			}
			if err != nil {
				return fmt.Errorf("raw file directory: %w", err)
			}
		case staged || !kept:
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("raw file directory: %w", err)
			}
		}
	}
	return nil
}

// rawKept reports whether raw_files has the file with SHA-256 sha, as q sees it.
func (s *Store) rawKept(ctx context.Context, q querier, sha string) (bool, error) {
	var kept bool
	if err := q.QueryRowContext(ctx, "SELECT count(*) > 0 FROM raw_files WHERE sha256 = ?", sha).Scan(&kept); err != nil {
		return false, fmt.Errorf("look up raw file: %w", err)
	}
	return kept, nil
}

// stageRaw copies src into the raw file directory under the name staged, synced, and checks
// as it copies that its SHA-256 is sha.
func (s *Store) stageRaw(src qiancun.Upload, sha, staged string) error {
	p := filepath.Join(s.rawDir, staged)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("keep raw file: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), io.NewSectionReader(src, 0, src.Size()))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && hex.EncodeToString(h.Sum(nil)) != sha {
		err = errors.New("the file changed while it was read: its SHA-256 is no longer the one checked")
	}
	if err != nil {
		os.Remove(p)
		return fmt.Errorf("keep raw file: %w", err)
	}
	return nil
}

// RawFile returns a kept file as it was received, checked against the size and SHA-256
// recorded with it.
func (s *Store) RawFile(ctx context.Context, sha string) ([]byte, error) {
	var size int64
	err := s.db.QueryRowContext(ctx, "SELECT size FROM raw_files WHERE sha256 = ?", sha).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.rawPath(sha))
	if err != nil {
		return nil, fmt.Errorf("raw file %s: %w", sha, err)
	}
	if sum := sha256.Sum256(b); int64(len(b)) != size || hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("raw file %s: %d bytes kept with another SHA-256, or not the %d recorded", sha, len(b), size)
	}
	return b, nil
}

// moveRawParts moves the files a database kept in raw_file_parts (those of raw_files before
// migration 051, which moved them there) into the raw file directory, each checked against
// its SHA-256, then deletes their parts.
func (s *Store) moveRawParts(ctx context.Context) error {
	shas, err := queryStrings(ctx, s.db, "SELECT DISTINCT sha256 FROM raw_file_parts")
	if err != nil {
		return fmt.Errorf("raw file parts: %w", err)
	}
	for _, sha := range shas {
		var b []byte
		parts, err := s.db.QueryContext(ctx, "SELECT content FROM raw_file_parts WHERE sha256 = ? ORDER BY part", sha)
		if err != nil {
			return err
		}
		for parts.Next() {
			var part []byte
			if err := parts.Scan(&part); err != nil {
				parts.Close()
				return err
			}
			b = append(b, part...)
		}
		parts.Close()
		if err := parts.Err(); err != nil {
			return err
		}
		staged := sha + ".move"
		if err := s.stageRaw(bytesUpload(b), sha, staged); err != nil {
			return fmt.Errorf("move raw file %s out of the database: %w", sha, err)
		}
		if err := os.Rename(filepath.Join(s.rawDir, staged), s.rawPath(sha)); err != nil {
			return err
		}
		if _, err := s.db.ExecContext(ctx, "DELETE FROM raw_file_parts WHERE sha256 = ?", sha); err != nil {
			return err
		}
	}
	return nil
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// bytesUpload is an Upload of bytes in memory.
type bytesUpload []byte

func (b bytesUpload) Size() int64 { return int64(len(b)) }

func (b bytesUpload) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// exportRaw puts the kept files that raw_files lists, as conn's transaction sees it, into
// the export dir as raw-<sha256>: hard links where the file system allows, else copies.
func (s *Store) exportRaw(ctx context.Context, conn *sql.Conn, dir string) error {
	shas, err := queryStrings(ctx, conn, "SELECT sha256 FROM raw_files ORDER BY sha256")
	if err != nil {
		return fmt.Errorf("export raw files: %w", err)
	}
	for _, sha := range shas {
		dst := filepath.Join(dir, rawExportPrefix+sha)
		if err := os.Link(s.rawPath(sha), dst); err == nil {
			continue
		}
		if err := copyFile(s.rawPath(sha), dst); err != nil {
			return fmt.Errorf("export raw file %s: %w", sha, err)
		}
	}
	return nil
}

// copyFile copies the file src to the new file dst, synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

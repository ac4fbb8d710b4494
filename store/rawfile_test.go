package store_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// keep commits a submission of file under its SHA-256 name sha, and returns it read back.
func keep(t *testing.T, st *store.Store, sha string, file []byte) []byte {
	t.Helper()
	ctx := context.Background()
	tx, err := st.Begin(ctx, twoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	rc := &qiancun.Receipt{File: sha + ".xlsx", SHA256: sha, Template: twoTemplate.Slug, Period: "2024-05",
		Status: qiancun.Rejected, ReceivedAt: time.Unix(0, 0).UTC()}
	if err := tx.Commit(ctx, &qiancun.Submission{Receipt: rc, Template: twoTemplate, File: bytes.NewReader(file)}); err != nil {
		t.Fatal(err)
	}
	got, err := st.RawFile(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRawFileParts: a kept file is stored in parts of 1 MiB and read back whole, whatever
// its size against the part (empty, one byte, a part exactly, a part and a byte).
func TestRawFileParts(t *testing.T) {
	t.Parallel()
	st := openMem(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		size, parts int
	}{{0, 0}, {1, 1}, {1 << 20, 1}, {1<<20 + 1, 2}, {5<<19 + 7, 3}} {
		file := make([]byte, c.size)
		for i := range file {
			file[i] = byte(r.Uint32())
		}
		sha := fmt.Sprintf("f%d", c.size)
		if got := keep(t, st, sha, file); !bytes.Equal(got, file) {
			t.Errorf("%d bytes: read back %d bytes, not the same", c.size, len(got))
		}
		var parts int
		if err := st.DB().QueryRow("SELECT count(*) FROM raw_file_parts WHERE sha256 = ?", sha).Scan(&parts); err != nil || parts != c.parts {
			t.Errorf("%d bytes: %d parts (%v), want %d", c.size, parts, err, c.parts)
		}
	}
	if _, err := st.RawFile(context.Background(), "none"); err != store.ErrNotFound {
		t.Errorf("unknown file: %v, want ErrNotFound", err)
	}
	// A part lost is an error, never a shorter file.
	if _, err := st.DB().Exec("DELETE FROM raw_file_parts WHERE sha256 = ? AND part = 1", "f1048577"); err != nil {
		t.Fatal(err)
	}
	if b, err := st.RawFile(context.Background(), "f1048577"); err == nil {
		t.Errorf("a part missing: read %d bytes without error", len(b))
	}
}

// TestMigrationRawFileParts: a file kept as one BLOB before 051 reads back the same after.
func TestMigrationRawFileParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	file := bytes.Repeat([]byte("PK\x03\x04 第一书记"), 300_000) // 4.5 MB: one BLOB before, five parts after
	keep(t, st, "old", file)
	// The state before 051: the content in raw_files, no parts.
	for _, q := range []string{
		"ALTER TABLE raw_files ADD COLUMN content BLOB",
		"UPDATE raw_files SET content = ? WHERE sha256 = 'old'",
		"DROP TABLE raw_file_parts",
		"DELETE FROM schema_migrations WHERE version = 51",
	} {
		var args []any
		if bytes.Contains([]byte(q), []byte("?")) {
			args = append(args, file)
		}
		if _, err := st.DB().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()
	if st, err = store.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.RawFile(ctx, "old")
	if err != nil || !bytes.Equal(got, file) {
		t.Errorf("after 051: %d bytes (%v), want the %d bytes kept before", len(got), err, len(file))
	}
	if got := keep(t, st, "new", file[:3<<20]); !bytes.Equal(got, file[:3<<20]) {
		t.Errorf("a file kept after 051: %d bytes, not the same", len(got))
	}
}

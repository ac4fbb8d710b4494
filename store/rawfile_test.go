package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// shaOf is the SHA-256 of b in hex.
func shaOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// keepAs commits a rejected submission whose receipt says the file's SHA-256 is sha, and
// whose file reads as file.
func keepAs(st *store.Store, sha string, file []byte) error {
	ctx := context.Background()
	tx, err := st.Begin(ctx, twoTemplate)
	if err != nil {
		return err
	}
	rc := &qiancun.Receipt{File: "a.xlsx", SHA256: sha, Template: twoTemplate.Slug, Period: "2024-05",
		Status: qiancun.Rejected, ReceivedAt: time.Unix(0, 0).UTC()}
	return tx.Commit(ctx, &qiancun.Submission{Receipt: rc, Template: twoTemplate, File: bytes.NewReader(file)})
}

// keep commits a submission of file and returns its SHA-256.
func keep(t *testing.T, st *store.Store, file []byte) string {
	t.Helper()
	sha := shaOf(file)
	if err := keepAs(st, sha, file); err != nil {
		t.Fatal(err)
	}
	return sha
}

// TestRawFiles: a kept file is read back as it was received, whatever its size; a file
// that changed since it was checked is refused and nothing of its submission is stored; a
// file altered where it is kept is an error, never other bytes.
func TestRawFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openFile(t)
	defer st.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 1 << 20, 5<<20 + 7} {
		file := make([]byte, size)
		for i := range file {
			file[i] = byte(r.Uint32())
		}
		sha := keep(t, st, file)
		got, err := st.RawFile(ctx, sha)
		if err != nil || !bytes.Equal(got, file) {
			t.Errorf("%d bytes: read back %d bytes (%v), not the same", size, len(got), err)
		}
		if fi, err := os.Stat(filepath.Join(path+".files", sha)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%d bytes: kept as %v (%v), want a file of mode 0600 beside the database", size, fi, err)
		}
	}
	if _, err := st.RawFile(ctx, "none"); err != store.ErrNotFound {
		t.Errorf("unknown file: %v, want ErrNotFound", err)
	}
	// The same file twice: kept once.
	twice := keep(t, st, []byte("twice"))
	keep(t, st, []byte("twice"))
	if n := count(t, st, "SELECT count(*) FROM raw_files WHERE sha256 = '"+twice+"'"); n != 1 {
		t.Errorf("the same file twice: %d raw_files rows", n)
	}

	// Changed since it was checked: the commit fails, nothing is kept.
	before := count(t, st, "SELECT count(*) FROM submissions")
	if err := keepAs(st, shaOf([]byte("as checked")), []byte("as changed")); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("a file changed since it was checked: %v, want an error saying so", err)
	}
	if n := count(t, st, "SELECT count(*) FROM submissions"); n != before {
		t.Errorf("a file changed since it was checked: %d submissions, want %d", n, before)
	}
	if _, err := os.Stat(filepath.Join(path+".files", shaOf([]byte("as checked")))); err == nil {
		t.Error("a file changed since it was checked was kept")
	}

	// Altered where it is kept.
	sha := keep(t, st, []byte("evidence"))
	if err := os.WriteFile(filepath.Join(path+".files", sha), []byte("evidenZe"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := st.RawFile(ctx, sha); err == nil {
		t.Errorf("a kept file altered: read %q without error", b)
	}
}

// TestRawFilesSwept: what a process that died left beside the database is finished or
// deleted when the database is next opened: a file staged for a submission that committed
// takes its name; one staged for a submission that did not, and one no raw_files row names,
// are deleted.
func TestRawFilesSwept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openFile(t)
	kept := keep(t, st, []byte("kept"))
	committed := shaOf([]byte("committed"))
	execAll(t, st, []any{committed}, "INSERT INTO raw_files VALUES (?, 9, 'c.xlsx', now())")
	st.Close()
	dir := path + ".files"
	for name, content := range map[string]string{
		committed + ".7":             "committed", // its row committed, the rename did not happen
		shaOf([]byte("died")) + ".8": "died",      // staged, never committed
		shaOf([]byte("orphan")):      "orphan",    // placed, its commit failed
		kept + ".9":                  "kept",      // a second copy of a file kept
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{committed, kept}
	if strings.Compare(want[0], want[1]) > 0 {
		want[0], want[1] = want[1], want[0]
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("after Open: %v, want %v", names, want)
	}
	if b, err := st.RawFile(ctx, committed); err != nil || string(b) != "committed" {
		t.Errorf("the file whose row committed: %q %v", b, err)
	}
}

// TestMigrationRawFileParts: a file kept in the database before 051 is moved beside it, and
// reads back the same.
func TestMigrationRawFileParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openFile(t)
	file := bytes.Repeat([]byte("PK\x03\x04 第一书记"), 300_000) // 4.5 MB
	sha := keep(t, st, file)
	// The state before 051: the content in raw_files, no parts, no file beside.
	execAll(t, st, []any{file, sha},
		"ALTER TABLE raw_files ADD COLUMN content BLOB",
		"UPDATE raw_files SET content = ? WHERE sha256 = ?",
		"DROP TABLE raw_file_parts",
		"DELETE FROM schema_migrations WHERE version = 51")
	if err := os.Remove(filepath.Join(path+".files", sha)); err != nil {
		t.Fatal(err)
	}
	st = reopen(t, st, path)
	defer st.Close()
	got, err := st.RawFile(ctx, sha)
	if err != nil || !bytes.Equal(got, file) {
		t.Errorf("after 051: %d bytes (%v), want the %d bytes kept before", len(got), err, len(file))
	}
	if n := count(t, st, "SELECT count(*) FROM raw_file_parts"); n != 0 {
		t.Errorf("after 051: %d parts left in the database", n)
	}
}

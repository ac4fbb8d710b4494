package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/qiancun/qiancun/store"
)

// TestDatabaseIsPrivate: the database holds full 身份证号, so it is the owner's only (0600),
// also when an older one was left readable by others.
func TestDatabaseIsPrivate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "q.db")
	for _, step := range []string{"created", "reopened after a chmod 0644"} {
		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %o, want 600", step, got)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

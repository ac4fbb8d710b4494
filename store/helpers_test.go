package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/qiancun/qiancun/store"
)

// openFile opens a store in a new database file, and returns it with the file's path.
func openFile(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st, path
}

// reopen closes st and opens the database at path again, as the next process would.
func reopen(t *testing.T, st *store.Store, path string) *store.Store {
	t.Helper()
	st.Close()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// execAll runs each statement on st, with args for the statements that have a ?.
func execAll(t *testing.T, st *store.Store, args []any, qs ...string) {
	t.Helper()
	for _, q := range qs {
		var a []any
		for _, c := range q {
			if c == '?' {
				a = args
				break
			}
		}
		if _, err := st.DB().Exec(q, a...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

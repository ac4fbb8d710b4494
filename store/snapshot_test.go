package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun/store"
)

// TestExportLoad round-trips a database through Export and LoadExport: every table comes
// back with the same rows, the views read them, and a missing table file is refused.
func TestExportLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, err := store.Open(ctx, filepath.Join(t.TempDir(), "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, q := range []string{
		`INSERT INTO submissions (id, template, period, file_name, sha256, sheet, status, rows_found, rows_accepted,
		        rows_quarantined, errors, warnings, uploader, received_at, replaces, current) VALUES (101, 'first_secretary', '2024-05', 'a.xlsx', 'aa', 'S', 'accepted', 2, 2, 0, 0, 0, 'u', now(), NULL, true),
		                                (102, 'first_secretary', '2024-04', 'b.xlsx', 'bb', 'S', 'accepted', 1, 1, 0, 0, 0, 'u', now(), NULL, false)`,
		`INSERT INTO fact_rows (submission_id, row_no, member_key, name, villages, town, attrs) VALUES (101, 1, 'k1', '张三', ['370112001001'], '', '{}'), (101, 2, 'k2', '李四', [], '', '{}'), (102, 1, 'k1', '张三', [], '', '{}')`,
	} {
		if _, err := src.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	abc := keep(t, src, []byte("abc"))
	dir := filepath.Join(t.TempDir(), "exp")
	v, err := src.Export(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v != store.SchemaVersion() {
		t.Errorf("export version %d, build's %d", v, store.SchemaVersion())
	}
	if _, err := src.Export(ctx, dir); err == nil {
		t.Error("export into an existing directory: no error")
	}

	dst, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.LoadExport(ctx, dir); err != nil {
		t.Fatal(err)
	}
	count := func(st *store.Store, q string) int {
		t.Helper()
		var n int
		if err := st.DB().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, q := range []string{
		"SELECT count(*) FROM submissions", "SELECT count(*) FROM fact_rows", "SELECT count(*) FROM current_rows",
		"SELECT count(*) FROM raw_files", "SELECT count(*) FROM schema_migrations",
	} {
		if got, want := count(dst, q), count(src, q); got != want {
			t.Errorf("%s: %d after the round trip, %d before", q, got, want)
		}
	}
	if got := count(dst, "SELECT count(*) FROM current_rows"); got != 2 {
		t.Errorf("current rows: %d, want 2", got)
	}
	raw, err := dst.RawFile(ctx, abc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("abc", string(raw)); diff != "" {
		t.Errorf("raw file (-want +got):\n%s", diff)
	}

	// A snapshot without one of its tables is refused, and nothing is loaded.
	if err := os.Remove(filepath.Join(dir, "fact_rows.parquet")); err != nil {
		t.Fatal(err)
	}
	empty, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	err = empty.LoadExport(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "tables") {
		t.Errorf("load without fact_rows: %v, want an error naming the tables", err)
	}
	if got := count(empty, "SELECT count(*) FROM submissions"); got != 0 {
		t.Errorf("a refused load left %d submissions", got)
	}
}

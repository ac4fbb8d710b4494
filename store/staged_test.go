package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// addMany adds n rows of twoTemplate to tx, in batches of 2,048 as ingest does.
func addMany(t *testing.T, tx qiancun.Tx, n int) {
	t.Helper()
	fs := make([]qiancun.Fact, n)
	for i := range fs {
		fs[i] = qiancun.Fact{Row: i + 2, Key: fmt.Sprintf("k%d", i), Values: []int64{1, 100}}
	}
	addBatches(t, tx, fs)
}

// addBatches adds facts to tx in batches of 2,048, as ingest does.
func addBatches(tb testing.TB, tx qiancun.Tx, facts []qiancun.Fact) {
	tb.Helper()
	for k := 0; k < len(facts); k += 2048 {
		if err := tx.Add(facts[k:min(k+2048, len(facts))]); err != nil {
			tb.Fatal(err)
		}
	}
}

// count is the answer of a count(*) query.
func count(t *testing.T, st *store.Store, q string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestStagedRows: a submission's rows are committed in pieces while it is written, yet count
// for nothing until it commits; a submission rolled back leaves none behind, and neither
// does a process that dies while writing one (the next Open deletes them).
func TestStagedRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openFile(t)
	n := store.PieceRows + 20_000 // a piece committed, the rest in the open one
	visible := func(when string, want int) {
		t.Helper()
		if got := count(t, st, "SELECT count(*) FROM current_rows"); got != want {
			t.Errorf("%s: %d current rows, want %d", when, got, want)
		}
		if got := count(t, st, "SELECT count(*) FROM fact_values"); got != 2*want {
			t.Errorf("%s: %d values, want %d", when, got, 2*want)
		}
	}

	// Rolled back.
	tx, err := st.Begin(ctx, twoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	addMany(t, tx, n)
	if got := count(t, st, "SELECT count(*) FROM fact_rows"); got < store.PieceRows || got >= n {
		t.Errorf("while written: %d rows committed, want the pieces (at least %d, fewer than %d)", got, store.PieceRows, n)
	}
	visible("while written", 0)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, st, "SELECT count(*) FROM fact_rows") + count(t, st, "SELECT count(*) FROM staged_submissions"); got != 0 {
		t.Errorf("rolled back: %d rows left", got)
	}

	// Committed.
	tx, err = st.Begin(ctx, twoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	addMany(t, tx, n)
	commitAccepted(t, tx, twoTemplate, "2024-05", "a", n)
	visible("committed", n)
	if got := count(t, st, "SELECT count(*) FROM staged_submissions"); got != 0 {
		t.Errorf("committed: %d staged submissions left", got)
	}

	// A process died while writing another: pieces of it committed, listed as staged (the
	// kill test of ingest does this with a real process).
	execAll(t, st, nil,
		"INSERT INTO staged_submissions VALUES (99, now())",
		"INSERT INTO fact_rows (submission_id, row_no, member_key, name, villages, town, attrs) SELECT 99, i, 'k' || i, '', [], '', '{}' FROM range(2, 1000) t(i)")
	st = reopen(t, st, path)
	defer st.Close()
	visible("reopened", n)
	if got := count(t, st, "SELECT count(*) FROM fact_rows"); got != n {
		t.Errorf("reopened: %d rows, want the %d of the committed submission", got, n)
	}
	if got := count(t, st, "SELECT count(*) FROM staged_submissions"); got != 0 {
		t.Errorf("reopened: %d staged submissions left", got)
	}
	if b, err := st.RawFile(ctx, shaOf([]byte("a"))); err != nil || string(b) != "a" {
		t.Errorf("the file kept: %q %v", b, err)
	}
}

// TestShedBuffers: a store that sheds its buffers as pieces commit keeps its memory limit
// afterwards, and every row.
func TestShedBuffers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := t.TempDir() + "/q.db"
	st, err := store.OpenWith(ctx, path, store.Options{Threads: 1, MemoryLimit: 48 << 20, ShedBuffers: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tx, err := st.Begin(ctx, twoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	n := store.PieceRows + 20_000 // a piece committed and shed
	addMany(t, tx, n)
	var limit string
	if err := st.DB().QueryRow("SELECT current_setting('memory_limit')").Scan(&limit); err != nil || limit != "48.0 MiB" {
		t.Errorf("memory_limit after shedding = %q (%v), want 48.0 MiB", limit, err)
	}
	commitAccepted(t, tx, twoTemplate, "2024-05", "a", n)
	if got := count(t, st, "SELECT count(*) FROM current_rows"); got != n {
		t.Errorf("%d rows, want %d", got, n)
	}
}

// TestNoVacuum: a store opened with NoVacuum leaves each submission's partial row group as
// it is at a checkpoint, rather than rewriting it with its neighbours.
func TestNoVacuum(t *testing.T) {
	t.Parallel()
	for _, noVacuum := range []bool{false, true} {
		ctx := context.Background()
		path := t.TempDir() + "/q.db"
		st, err := store.OpenWith(ctx, path, store.Options{Threads: 1, NoVacuum: noVacuum})
		if err != nil {
			t.Fatal(err)
		}
		n := store.PieceRows + 1000 // a row group, and a partial one
		for _, period := range []string{"2024-05", "2024-06"} {
			tx, err := st.Begin(ctx, twoTemplate)
			if err != nil {
				t.Fatal(err)
			}
			addMany(t, tx, n)
			commitAccepted(t, tx, twoTemplate, period, period, n)
		}
		st = reopen(t, st, path) // closed with a checkpoint
		// Vacuumed, the two partial row groups and the full one between them become two.
		want := map[bool]int{false: 3, true: 4}[noVacuum]
		if got := count(t, st, "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('fact_rows')"); got != want {
			t.Errorf("NoVacuum %v: %d row groups, want %d", noVacuum, got, want)
		}
		if got := count(t, st, "SELECT count(*) FROM current_rows"); got != 2*n {
			t.Errorf("NoVacuum %v: %d rows, want %d", noVacuum, got, 2*n)
		}
		st.Close()
	}
}

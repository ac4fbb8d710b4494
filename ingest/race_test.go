package ingest_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
)

// barrier holds the first n callers of wait until all n have arrived; later callers pass.
// It gives up after a minute, so that a broken ingest cannot hang the test.
type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait(t *testing.T) {
	b.mu.Lock()
	b.arrived++
	if b.arrived > b.n {
		b.mu.Unlock()
		return
	}
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(time.Minute):
		t.Errorf("barrier: only %d of %d ingests arrived", b.arrived, b.n)
	}
}

// TestConcurrentSubmissions holds two ingests of the same (template, period) with their rows
// written and their transactions open, just before they commit, then lets both go: the
// database lets one win and the other is applied after it. Exactly one submission is
// current, the figures are one file's, and neither caller sees an error.
func TestConcurrentSubmissions(t *testing.T) {
	t.Parallel()
	file := func(t *testing.T, days int) []byte {
		return workbook(t, sheet{name: "S", rows: [][]any{{"（2024年5月）"}, fsHeader,
			{"张三", id1, "市委组织部", v1, days, 30, 12.5, 2, 3, 5, 1},
			{"李四", id2, "市财政局", v2, days, 10, 1, 1, 1, 1, 1},
		}})
	}
	for _, tc := range []struct {
		name    string
		earlier bool
	}{
		{"no earlier submission", false},
		{"an earlier submission", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var earlier *qiancun.Receipt
			if tc.earlier {
				earlier = e.ingest(t, "earlier.xlsx", file(t, 10), ingest.Options{})
			}
			b := newBarrier(2)
			var attempts atomic.Int32
			opt := ingest.Options{BeforeCommit: func(*qiancun.Receipt) { attempts.Add(1); b.wait(t) }}
			days := []int{21, 23}
			rcs := make([]*qiancun.Receipt, len(days))
			errs := make([]error, len(days))
			var wg sync.WaitGroup
			for i, d := range days {
				wg.Go(func() {
					rcs[i], errs[i] = e.in.Ingest(context.Background(), "fs.xlsx", file(t, d), opt)
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("ingest %d: %v", i, err)
				}
				if rcs[i].Status != qiancun.Accepted {
					t.Fatalf("ingest %d: %+v", i, rcs[i])
				}
			}
			// Both reached the barrier with their rows written; the loser read its file again.
			if n := attempts.Load(); n != 3 {
				t.Errorf("%d attempts to commit, want 3 (two, and the loser again)", n)
			}
			if n := e.count(t, "SELECT count(*) FROM submissions WHERE template = 'first_secretary' AND period = '2024-05' AND current"); n != 1 {
				t.Fatalf("%d current submissions, want 1", n)
			}
			// The one that committed last is current and replaced the other.
			last, first := rcs[0], rcs[1]
			if first.SubmissionID > last.SubmissionID {
				last, first = first, last
			}
			cur := e.count(t, "SELECT id FROM submissions WHERE template = 'first_secretary' AND period = '2024-05' AND current")
			if int64(cur) != last.SubmissionID || last.Replaces != first.SubmissionID {
				t.Errorf("current %d; submissions %+v and %+v", cur, first, last)
			}
			if tc.earlier && first.Replaces != earlier.SubmissionID {
				t.Errorf("the first to commit replaced %d, want the earlier %d", first.Replaces, earlier.SubmissionID)
			}
			got := e.sums(t, "first_secretary", "2024-05")["驻村天数"]
			if got != "42.00" && got != "46.00" {
				t.Errorf("驻村天数 = %s, want one file's: 42.00 or 46.00", got)
			}
			if n := e.count(t, "SELECT count(*) FROM current_submission WHERE template = 'first_secretary'"); n != 1 {
				t.Errorf("current_submission rows = %d, want 1", n)
			}
			if d := cmp.Diff(2, e.count(t, "SELECT count(*) FROM members WHERE force = 'first_secretary'")); d != "" {
				t.Errorf("members (-want +got):\n%s", d)
			}
		})
	}
}

// TestConcurrentSameFile sends the very same file twice at once: one is accepted, the other
// finds it current and changes nothing; no error, one raw file, one current submission.
func TestConcurrentSameFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := workbook(t, sheet{name: "S", rows: [][]any{{"（2024年5月）"}, fsHeader,
		{"张三", id1, "市委组织部", v1, 20, 30, 12.5, 2, 3, 5, 1}}})
	b := newBarrier(2)
	opt := ingest.Options{BeforeCommit: func(*qiancun.Receipt) { b.wait(t) }}
	rcs := make([]*qiancun.Receipt, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range rcs {
		wg.Go(func() { rcs[i], errs[i] = e.in.Ingest(context.Background(), "fs.xlsx", data, opt) })
	}
	wg.Wait()
	var statuses []qiancun.Status
	for i := range rcs {
		if errs[i] != nil {
			t.Fatalf("ingest %d: %v", i, errs[i])
		}
		statuses = append(statuses, rcs[i].Status)
	}
	if !(statuses[0] == qiancun.Accepted && statuses[1] == qiancun.Unchanged || statuses[1] == qiancun.Accepted && statuses[0] == qiancun.Unchanged) {
		t.Errorf("statuses %v, want one accepted and one unchanged", statuses)
	}
	if n := e.count(t, "SELECT count(*) FROM submissions WHERE template = 'first_secretary' AND current"); n != 1 {
		t.Errorf("%d current submissions, want 1", n)
	}
	if got := e.sums(t, "first_secretary", "2024-05")["驻村天数"]; got != "20.00" {
		t.Errorf("驻村天数 = %s, want 20.00", got)
	}
}

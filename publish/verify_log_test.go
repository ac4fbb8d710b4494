package publish_test

import (
	"context"
	"strings"
	"testing"
)

// TestVerifyReplaysTheLog edits the state log behind the service's back: a move the rules do
// not allow, a finalize before 公示 ended, a lost log, a supersede no correction made. Each
// makes verify fail naming publication 2.
func TestVerifyReplaysTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name, sql string
		what      string
	}{
		{"a forged finalize", "INSERT INTO publication_events (publication_id, seq, move, from_state, to_state, moved_at, moved_by, reason) VALUES (2, 2, 'finalize', '公示', '已发布', TIMESTAMPTZ '2024-07-03 10:00:00+08', 'x', '')",
			"before its 公示 ended (2024-07-09)"},
		{"an edited move", "UPDATE publication_events SET to_state = '已发布' WHERE publication_id = 2 AND seq = 1", "is not a move the rules allow"},
		{"a move from elsewhere", "INSERT INTO publication_events (publication_id, seq, move, from_state, to_state, moved_at, moved_by, reason) VALUES (2, 2, 'withdraw', '已发布', '已撤回', TIMESTAMPTZ '2024-07-03 10:00:00+08', 'x', '')",
			"starts from \"已发布\""},
		{"a lost log", "DELETE FROM publication_events WHERE publication_id = 2", "no state log"},
		{"a supersede with no correction", `INSERT INTO publication_events (publication_id, seq, move, from_state, to_state, moved_at, moved_by, reason) VALUES
			(2, 2, 'finalize', '公示', '已发布', TIMESTAMPTZ '2024-07-09 10:00:00+08', 'x', ''),
			(2, 3, 'supersede', '已发布', '已更正', TIMESTAMPTZ '2024-07-10 10:00:00+08', 'x', '')`, "no correction names it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
			p1 := f.publish(t)
			if _, err := f.svc.Withdraw(ctx, p1.ID, "admin", "重发"); err != nil {
				t.Fatal(err)
			}
			f.publish(t) // publication 2, in 公示 until 9 July
			if rep, err := f.svc.Verify(ctx); err != nil || !rep.OK() {
				t.Fatalf("before the edit: %+v %v", rep, err)
			}
			if _, err := f.st.DB().Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			rep, err := f.svc.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if pr := rep.Problem; pr == nil || pr.Publication != 2 || !strings.Contains(pr.What, "log edited") || !strings.Contains(pr.What, tc.what) {
				t.Fatalf("problem = %+v, want publication 2, log edited, %q", pr, tc.what)
			}
		})
	}
}

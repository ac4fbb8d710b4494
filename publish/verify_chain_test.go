package publish_test

import (
	"context"
	"strings"
	"testing"

	"github.com/qiancun/qiancun"
)

// TestVerifyChainsTheLog edits the log chain behind the service's back: a move's reason or
// who made it, an objection's reason, an answer's note, a deleted objection. None breaks
// the state rules; each makes verify fail naming the row.
func TestVerifyChainsTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name, sql string
		what      string
	}{
		{"a move's reason", "UPDATE publication_events SET reason = '改过的' WHERE publication_id = 1 AND seq = 1", "event 1 (publish by 办公室)"},
		{"who made a move", "UPDATE publication_events SET moved_by = '别人' WHERE publication_id = 1 AND seq = 1", "event 1 (publish by 别人)"},
		{"an objection's reason", "UPDATE objections SET reason = '改过的' WHERE id = 1", "objection 1 (log chain row 2)"},
		{"an objection's member", "UPDATE objections SET member_name = '某人' WHERE id = 2", "objection 2 (log chain row 3)"},
		{"an answer's note", "UPDATE objection_resolutions SET note = '改过的'", "the answer to objection 1 (log chain row 4)"},
		{"an answer's resolution", "UPDATE objection_resolutions SET resolution = '更正'", "the answer to objection 1 (log chain row 4)"},
		{"a deleted objection", "DELETE FROM objections WHERE id = 1", "objection 2 is numbered 3 in the log chain, expected 2"},
		{"an objection inserted by hand", `INSERT INTO objections (id, publication_id, member_key, member_name, raised_by, raised_at, reason)
			VALUES (9, 1, 'k', '某人', 'x', TIMESTAMPTZ '2024-07-03 10:00:00+08', 'x')`, "objection 9 is numbered 0"},
		{"a hash removed", "UPDATE objections SET hash = NULL WHERE id = 2", "objection 2 has no chain hash"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
			p := f.publish(t)
			o, err := f.svc.AddObjection(ctx, p.ID, idB, "乙", "驻村天数少算了")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AddObjection(ctx, p.ID, idB, "丙", "另一条"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Resolve(ctx, o.ID, qiancun.Upheld, "admin", "核实无误"); err != nil {
				t.Fatal(err)
			}
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
			if pr := rep.Problem; pr == nil || pr.Publication != 1 || !strings.Contains(pr.What, "log edited") || !strings.Contains(pr.What, tc.what) {
				t.Fatalf("problem = %+v, want publication 1, log edited, %q", pr, tc.what)
			}
		})
	}
}

// TestSealLogs: rows written before migration 021 have no chain hash (as after the
// migration on an older database); SealLogs gives them one, and then an edit is caught.
func TestSealLogs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
	p := f.publish(t)
	if _, err := f.svc.AddObjection(ctx, p.ID, idB, "乙", "驻村天数少算了"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE publication_events SET hash = NULL", "UPDATE objections SET hash = NULL"} {
		if _, err := f.st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := f.svc.Verify(ctx); err != nil || rep.OK() || !strings.Contains(rep.Problem.What, "no chain hash") {
		t.Fatalf("unsealed: %+v %v, want no chain hash", rep, err)
	}
	if err := f.svc.SealLogs(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.svc.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("sealed: %+v %v", rep, err)
	}
	if _, err := f.st.DB().Exec("UPDATE objections SET reason = '改过的'"); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.svc.Verify(ctx); err != nil || rep.OK() || !strings.Contains(rep.Problem.What, "objection 1") {
		t.Fatalf("edited after sealing: %+v %v", rep, err)
	}
}

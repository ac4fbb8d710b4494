package publish_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/store"
)

// TestMigration021OnAnOlderDatabase: a database whose log was written before migration 021
// (the columns dropped and the migration forgotten, as an older binary left it) is numbered
// by the migration on open and sealed by SealLogs; verify then holds and catches an edit.
func TestMigration021OnAnOlderDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
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
	var path string
	if err := f.st.DB().QueryRow("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").Scan(&path); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"ALTER TABLE publication_events DROP COLUMN chain_seq", "ALTER TABLE publication_events DROP COLUMN hash",
		"ALTER TABLE objections DROP COLUMN chain_seq", "ALTER TABLE objections DROP COLUMN hash",
		"ALTER TABLE objection_resolutions DROP COLUMN chain_seq", "ALTER TABLE objection_resolutions DROP COLUMN hash",
		"DELETE FROM schema_migrations WHERE version = 21",
	} {
		if _, err := f.st.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	f.st.Close()
	st, err := store.Open(ctx, filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.LogRows(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Kind)
		if r.Hash != "" || r.Seq != len(got) {
			t.Errorf("row %d after the migration: %+v, want numbered %d with no hash", len(got), r, len(got))
		}
	}
	if want := []string{"event", "objection", "objection", "resolution"}; len(got) != len(want) {
		t.Fatalf("log rows %v, want %v", got, want)
	}
	svc := publish.New(st, f.eng, publish.Options{Now: f.clock.Now, Location: cst, Program: "test"})
	if err := svc.SealLogs(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := svc.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("sealed: %+v %v", rep, err)
	}
	if _, err := st.DB().Exec("UPDATE objection_resolutions SET note = '改过的'"); err != nil {
		t.Fatal(err)
	}
	if rep, err := svc.Verify(ctx); err != nil || rep.OK() || rep.Problem.What != "log edited: the answer to objection 1 (log chain row 4) does not match its chain hash" {
		t.Fatalf("edited: %+v %v", rep, err)
	}
}

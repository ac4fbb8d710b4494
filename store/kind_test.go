package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// submit stores facts as one accepted submission of t for period, as ingest would.
func submit(t *testing.T, st *store.Store, tm *qiancun.Template, period, sha string, facts []qiancun.Fact) *qiancun.Receipt {
	t.Helper()
	ctx := context.Background()
	tx, err := st.Begin(ctx, tm)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Add(facts); err != nil {
		t.Fatal(err)
	}
	return commitAccepted(t, tx, tm, period, sha, len(facts))
}

// commitAccepted commits tx, its n rows added, as an accepted submission of tm for period,
// from a file of the bytes of sha (named sha.xlsx).
func commitAccepted(tb testing.TB, tx qiancun.Tx, tm *qiancun.Template, period, sha string, n int) *qiancun.Receipt {
	tb.Helper()
	rc := &qiancun.Receipt{File: sha + ".xlsx", SHA256: shaOf([]byte(sha)), Template: tm.Slug, Period: period,
		Status: qiancun.Accepted, Rows: n, Accepted: n, ReceivedAt: time.Unix(0, 0).UTC()}
	if err := tx.Commit(context.Background(), &qiancun.Submission{Receipt: rc, Template: tm, File: bytes.NewReader([]byte(sha)), Uploader: "test"}); err != nil {
		tb.Fatal(err)
	}
	return rc
}

func openMem(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// registryTemplate is a village registry under a name of its own: the store must know it
// by its kind.
var registryTemplate = &qiancun.Template{Slug: "名册2025", Kind: qiancun.KindRegistry, Columns: []qiancun.Column{
	{Header: "村代码", Type: qiancun.ColCode, Role: qiancun.RoleKey},
	{Header: "区县", Type: qiancun.ColDistrict},
	{Header: "镇街", Type: qiancun.ColText},
	{Header: "村名", Type: qiancun.ColText, Role: qiancun.RoleName},
}}

var ledgerTemplate = &qiancun.Template{Slug: "台账", Kind: qiancun.KindLedger, Columns: []qiancun.Column{
	{Header: "项目编号", Type: qiancun.ColText, Role: qiancun.RoleKey},
	{Header: "总投资", Type: qiancun.ColMoney},
}}

var commissionerTemplate = &qiancun.Template{Slug: "帮扶专员", Kind: qiancun.KindMonthly, Force: qiancun.Postal, Columns: []qiancun.Column{
	{Header: "身份证号", Type: qiancun.ColID, Role: qiancun.RoleKey},
	{Header: "联系镇街代码", Type: qiancun.ColTown, Role: qiancun.RoleTown},
	{Header: "场次", Type: qiancun.ColInteger},
}}

func village(code, district, town, name string) qiancun.Fact {
	attrs, _ := json.Marshal(map[string]string{"区县": district, "镇街": town})
	return qiancun.Fact{Key: code, Name: name, Attrs: attrs}
}

// TestKindsNotNames checks that the registry, the ledger and a force's members are known by
// their template's kind, whatever the template is called.
func TestKindsNotNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openMem(t)
	submit(t, st, registryTemplate, "", "reg", []qiancun.Fact{
		village("370112001001", "历城区", "山大路街道", "甲村"),
		village("370112001002", "历城区", "山大路街道", "乙村"),
		village("370113002001", "长清区", "文昌街道", "丙村"),
	})
	submit(t, st, ledgerTemplate, "", "ledger", []qiancun.Fact{{Row: 4, Key: "XM-1", Name: "大棚", Values: []int64{100_00}}})
	submit(t, st, commissionerTemplate, "2024-05", "postal", []qiancun.Fact{
		{Row: 4, Key: "370102199001011234", Name: "张三", Town: "370112001", Values: []int64{300}},
	})

	reg, err := st.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Size() != 3 || !reg.Town("370112001") || !reg.Village("370113002001") {
		t.Errorf("registry: size %d, town 370112001 %v, village 370113002001 %v", reg.Size(), reg.Town("370112001"), reg.Village("370113002001"))
	}
	got := map[string]string{}
	for _, q := range []struct{ name, sql string }{
		{"villages", "SELECT string_agg(code, ',' ORDER BY code) FROM villages"},
		{"members", "SELECT string_agg(force || ':' || member_key, ',' ORDER BY member_key) FROM members"},
		{"reach", "SELECT string_agg(period || ':' || force || ':' || code, ',' ORDER BY code) FROM village_reach"},
	} {
		var s *string
		if err := st.DB().QueryRowContext(ctx, q.sql).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		if s != nil {
			got[q.name] = *s
		}
	}
	want := map[string]string{
		"villages": "370112001001,370112001002,370113002001",
		"members":  "帮扶专员:370102199001011234",
		"reach":    "2024-05:帮扶专员:370112001001,2024-05:帮扶专员:370112001002",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("views (-want +got):\n%s", d)
	}
}

// TestStoreDoesNotImportIngest keeps the store's boundary: it knows the domain package, not
// the reader of files.
func TestStoreDoesNotImportIngest(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasSuffix(p, "/ingest") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// TestMigrationKeepsOneCurrent checks that migration 005 repairs a database in which two
// racing uploads had both become current before the database enforced one: the latest
// stays current.
func TestMigrationKeepsOneCurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a := submit(t, st, commissionerTemplate, "2024-05", "a", []qiancun.Fact{{Row: 2, Key: "k", Town: "370112001", Values: []int64{100}}})
	b := submit(t, st, commissionerTemplate, "2024-05", "b", []qiancun.Fact{{Row: 2, Key: "k", Town: "370112001", Values: []int64{200}}})
	// The state the race left before 005: both current, no current_submission.
	for _, q := range []string{
		"UPDATE submissions SET current = true",
		"DROP TABLE current_submission",
		"DELETE FROM schema_migrations WHERE version = 5",
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()
	if st, err = store.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids string
	if err := st.DB().QueryRowContext(ctx, "SELECT string_agg(id::VARCHAR, ',') FROM submissions WHERE current").Scan(&ids); err != nil {
		t.Fatal(err)
	}
	if want := strconv.FormatInt(b.SubmissionID, 10); ids != want {
		t.Errorf("current after the migration: %s, want %s (not %d)", ids, want, a.SubmissionID)
	}
}

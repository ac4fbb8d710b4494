package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// twoTemplate is a monthly template with two indicators, in the order 场次, 金额.
var twoTemplate = &qiancun.Template{Slug: "t2", Kind: qiancun.KindMonthly, Force: qiancun.Postal, Columns: []qiancun.Column{
	{Header: "身份证号", Type: qiancun.ColID, Role: qiancun.RoleKey},
	{Header: "场次", Type: qiancun.ColInteger},
	{Header: "金额", Type: qiancun.ColMoney},
}}

// factValues reads fact_values and current_values as text, in a fixed order.
func factValues(t *testing.T, st *store.Store, view string) [][5]string {
	t.Helper()
	rows, err := st.DB().Query("SELECT submission_id::VARCHAR, row_no::VARCHAR, member_key, indicator, value::VARCHAR FROM " +
		view + " ORDER BY submission_id, row_no, indicator")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][5]string
	for rows.Next() {
		var r [5]string
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFactValuesView checks that a row's values, stored once as a list, read back through
// fact_values and current_values as one row per value, named by the template's indicators.
func TestFactValuesView(t *testing.T) {
	t.Parallel()
	st := openMem(t)
	a := submit(t, st, twoTemplate, "2024-05", "a", []qiancun.Fact{
		{Row: 2, Key: "k1", Values: []int64{300, 12345}},
		{Row: 3, Key: "k2", Values: []int64{0, -5}},
	})
	submit(t, st, registryTemplate, "", "v", []qiancun.Fact{village("370112001001", "历城区", "某镇", "某村")})
	want := [][5]string{
		{"1", "2", "k1", "场次", "3.00"}, {"1", "2", "k1", "金额", "123.45"},
		{"1", "3", "k2", "场次", "0.00"}, {"1", "3", "k2", "金额", "-0.05"},
	}
	for i := range want {
		want[i][0] = strconv.FormatInt(a.SubmissionID, 10)
	}
	for _, view := range []string{"fact_values", "current_values"} {
		if diff := cmp.Diff(want, factValues(t, st, view)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", view, diff)
		}
	}
}

// TestMigrationFactVals checks that 050 turns a database of a fact_values row per value
// into rows with their values as a list, losing nothing.
func TestMigrationFactVals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	submit(t, st, twoTemplate, "2024-05", "a", []qiancun.Fact{
		{Row: 2, Key: "k1", Values: []int64{300, 12345}},
		{Row: 3, Key: "k2", Values: []int64{0, -5}},
	})
	submit(t, st, twoTemplate, "2024-05", "b", []qiancun.Fact{{Row: 2, Key: "k1", Values: []int64{100, 7}}})
	submit(t, st, registryTemplate, "", "v", []qiancun.Fact{village("370112001001", "历城区", "某镇", "某村")})
	wantAll, wantCurrent := factValues(t, st, "fact_values"), factValues(t, st, "current_values")
	if len(wantAll) != 6 || len(wantCurrent) != 2 {
		t.Fatalf("before: %d values, %d current; want 6 and 2", len(wantAll), len(wantCurrent))
	}
	// The state before 050: a table of a row per value, no lists.
	for _, q := range []string{
		"CREATE TABLE fact_values_old AS SELECT * FROM fact_values",
		"DROP VIEW fact_values",
		"CREATE TABLE fact_values (submission_id BIGINT NOT NULL, row_no INTEGER NOT NULL, member_key VARCHAR NOT NULL, indicator VARCHAR NOT NULL, value DECIMAL(18, 2) NOT NULL)",
		"INSERT INTO fact_values SELECT * FROM fact_values_old",
		"DROP TABLE fact_values_old",
		`CREATE OR REPLACE VIEW current_values AS
		 SELECT s.template, s.kind, s.period, v.submission_id, v.row_no, v.member_key, v.indicator, v.value
		 FROM fact_values v JOIN submissions s ON s.id = v.submission_id WHERE s.current`,
		"ALTER TABLE fact_rows DROP COLUMN vals",
		"ALTER TABLE submissions DROP COLUMN indicators",
		"DELETE FROM schema_migrations WHERE version = 50",
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
	if diff := cmp.Diff(wantAll, factValues(t, st, "fact_values")); diff != "" {
		t.Errorf("fact_values after 050 (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantCurrent, factValues(t, st, "current_values")); diff != "" {
		t.Errorf("current_values after 050 (-before +after):\n%s", diff)
	}
	var kind string
	if err := st.DB().QueryRow("SELECT table_type FROM information_schema.tables WHERE table_name = 'fact_values'").Scan(&kind); err != nil || kind != "VIEW" {
		t.Errorf("fact_values after 050: %q, %v; want a VIEW", kind, err)
	}
	// A submission stored after the migration reads as before.
	submit(t, st, twoTemplate, "2024-06", "c", []qiancun.Fact{{Row: 2, Key: "k3", Values: []int64{1, 2}}})
	if got := len(factValues(t, st, "fact_values")); got != 8 {
		t.Errorf("after a new submission: %d values, want 8", got)
	}
}

// TestMigrationAttrsText: attrs kept as JSON before 053 read the same as text after it, and
// ->> reads into them alike.
func TestMigrationAttrsText(t *testing.T) {
	t.Parallel()
	st, path := openFile(t)
	submit(t, st, registryTemplate, "", "v", []qiancun.Fact{village("370112001001", "历城区", "某\"镇\\", "某村")})
	execAll(t, st, nil,
		"ALTER TABLE fact_rows ALTER attrs TYPE JSON",
		"DELETE FROM schema_migrations WHERE version = 53")
	st = reopen(t, st, path)
	defer st.Close()
	var typ, text, town string
	if err := st.DB().QueryRow("SELECT typeof(attrs), attrs, attrs ->> '镇街' FROM fact_rows").Scan(&typ, &text, &town); err != nil {
		t.Fatal(err)
	}
	if typ != "VARCHAR" || text != `{"区县":"历城区","镇街":"某\"镇\\"}` || town != `某"镇\` {
		t.Errorf("after 053: %s %s, 镇街 %q", typ, text, town)
	}
}

// TestMigrationFSSTNames: 054 makes fact_rows again with member_key and name compressed by
// FSST whatever DuckDB would choose (three names over 3,000 rows: a dictionary), and keeps
// every row, in its order.
func TestMigrationFSSTNames(t *testing.T) {
	t.Parallel()
	st, path := openFile(t)
	facts := make([]qiancun.Fact, 3000)
	for i := range facts {
		facts[i] = qiancun.Fact{Row: i + 2, Key: fmt.Sprintf("k%05d", i), Name: []string{"甲", "乙", "丙"}[i%3],
			Villages: []string{"370112001001"}, Values: []int64{int64(i), 100}}
	}
	submit(t, st, twoTemplate, "2024-05", "a", facts)
	rows := func() string {
		var s string
		if err := st.DB().QueryRow(`SELECT string_agg(concat_ws('|', submission_id, row_no, member_key, name, villages, town, attrs, vals), ';' ORDER BY rowid)
			FROM fact_rows`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := rows()
	// As before 054: the columns without a compression of their own.
	execAll(t, st, nil,
		"CREATE TABLE old_rows AS SELECT * FROM fact_rows ORDER BY rowid",
		"DROP TABLE fact_rows",
		"ALTER TABLE old_rows RENAME TO fact_rows",
		"DELETE FROM schema_migrations WHERE version = 54")
	st = reopen(t, st, path)
	defer st.Close()
	if after := rows(); after != before {
		t.Errorf("rows changed by 054:\n%.300s\nwant\n%.300s", after, before)
	}
	execAll(t, st, nil, "CHECKPOINT")
	for _, col := range []string{"member_key", "name"} {
		var got string
		if err := st.DB().QueryRow(`SELECT string_agg(DISTINCT compression, ',') FROM pragma_storage_info('fact_rows')
			WHERE column_name = ? AND segment_type = 'VARCHAR'`, col).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "FSST" {
			t.Errorf("%s compressed as %s, want FSST", col, got)
		}
	}
}

// TestFactRowsRoundTrip: a row's villages (none, one, three) and values come back from
// fact_rows as they went in through the appender; a village code that would not split back
// (empty, or holding the separator) is refused.
func TestFactRowsRoundTrip(t *testing.T) {
	t.Parallel()
	st := openMem(t)
	submit(t, st, twoTemplate, "2024-05", "a", []qiancun.Fact{
		{Row: 2, Key: "a", Name: "甲", Values: []int64{100, 12345}},
		{Row: 3, Key: "b", Name: "乙", Villages: []string{"370112001001"}, Town: "370112001", Values: []int64{0, -5}},
		{Row: 4, Key: "c", Villages: []string{"370112001003", "370112001001", "370103002005"}, Attrs: []byte(`{"x":"y"}`), Values: []int64{200, 1}},
	})
	var got string
	if err := st.DB().QueryRow(`SELECT string_agg(concat_ws('|', row_no, member_key, name, villages::VARCHAR, town, attrs, vals::VARCHAR), ';' ORDER BY row_no)
		FROM fact_rows`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := `2|a|甲|[]||{}|[1.00, 123.45];` +
		`3|b|乙|[370112001001]|370112001|{}|[0.00, -0.05];` +
		`4|c||[370112001003, 370112001001, 370103002005]||{"x":"y"}|[2.00, 0.01]`
	if got != want {
		t.Errorf("fact_rows:\n%s\nwant\n%s", got, want)
	}
	for _, bad := range [][]string{{"370112001001", ""}, {"3701\x1f12001001"}} {
		tx, err := st.Begin(context.Background(), twoTemplate)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Add([]qiancun.Fact{{Row: 2, Key: "a", Villages: bad, Values: []int64{1, 1}}}); err == nil {
			t.Errorf("villages %q accepted", bad)
		}
		tx.Rollback()
	}
}

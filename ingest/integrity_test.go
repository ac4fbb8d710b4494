package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/store"
)

// TestAcceptValidNeedsAPeriod checks that --accept-valid never accepts a monthly file whose
// month is unknown, however many of its rows are valid: nothing of it reaches a KPI.
func TestAcceptValidNeedsAPeriod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := workbook(t, sheet{name: "S", rows: [][]any{
		fsHeader,
		{"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1},
		{"李四", "123", "市财政局", v2, 18, 12, 0, 0, -1.5, 2, 0},
	}})
	for _, opt := range []ingest.Options{{AcceptValid: true}, {}} {
		rc := e.ingest(t, "第一书记.xlsx", data, opt)
		if rc.Status != qiancun.Rejected || rc.Accepted != 0 || rc.Period != "" {
			t.Errorf("accept-valid %v: status %s, accepted %d, period %q", opt.AcceptValid, rc.Status, rc.Accepted, rc.Period)
		}
	}
	if n := e.count(t, "SELECT count(*) FROM current_rows WHERE template = 'first_secretary'"); n != 0 {
		t.Errorf("%d rows of a file without a period count", n)
	}
	if n := e.count(t, "SELECT count(*) FROM fact_rows r JOIN submissions s ON s.id = r.submission_id WHERE s.template = 'first_secretary'"); n != 0 {
		t.Errorf("%d rows of a file without a period are stored", n)
	}
}

// TestBlankIndicators checks how empty number cells are stored: in a column that is not
// required, a blank or a dash means 0, as the contract says; in a required column it is
// missing_value, and the row (set aside under --accept-valid) stores no value at all, so
// that a member without data is missing from the facts rather than there with 0.
func TestBlankIndicators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	tmpl := `
[[template]]
slug = "culture"
title = "文化顾问工作表"
kind = "monthly"
force = "culture"
  [[template.column]]
  header = "姓名"
  type = "text"
  required = true
  role = "name"
  [[template.column]]
  header = "身份证号"
  type = "id"
  required = true
  role = "key"
  [[template.column]]
  header = "村代码"
  type = "village"
  required = true
  role = "villages"
  [[template.column]]
  header = "文化活动场次"
  type = "integer"
  required = true
  [[template.column]]
  header = "参与群众人次"
  type = "integer"
`
	if err := os.WriteFile(filepath.Join(dir, "culture.toml"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := ingest.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := ingest.New(ts, st, ingest.DefaultLimits())
	if rc, err := in.Ingest(ctx, "名册.xlsx", workbook(t, sheet{name: "S", rows: registryRows()}), ingest.Options{}); err != nil || rc.Status != qiancun.Accepted {
		t.Fatalf("registry: %v %+v", err, rc)
	}
	id4 := qiancun.MakeID("37011219900101777")
	data := workbook(t, sheet{name: "S", rows: [][]any{
		{"文化顾问工作表（2024年5月）"},
		{"姓名", "身份证号", "村代码", "文化活动场次", "参与群众人次"},
		{"甲", id1, v1, 3, 100},
		{"乙", id2, v2, 2, ""},  // blank, not required: 0
		{"丙", id3, v3, 1, "—"}, // a dash, not required: 0
		{"丁", id4, v1, "", 50}, // blank and required: missing
	}})
	rc, err := in.Ingest(ctx, "文化.xlsx", data, ingest.Options{AcceptValid: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]issueKey{{"D6", "文化活动场次", "", qiancun.MissingValue}}, errorsOf(rc)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	if rc.Status != qiancun.Partial || rc.Accepted != 3 || rc.Quarantined != 1 {
		t.Fatalf("receipt %+v", rc)
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT r.member_key, v.indicator, CAST(v.value AS VARCHAR)
		FROM current_rows r LEFT JOIN current_values v USING (submission_id, row_no)
		WHERE r.template = 'culture' ORDER BY r.row_no, v.indicator`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][3]string
	for rows.Next() {
		var k string
		var ind, val *string
		if err := rows.Scan(&k, &ind, &val); err != nil {
			t.Fatal(err)
		}
		if ind == nil || val == nil {
			t.Errorf("member %s has a row without values", qiancun.MaskID(k))
			continue
		}
		got = append(got, [3]string{k, *ind, *val})
	}
	want := [][3]string{
		{id1, "参与群众人次", "100.00"}, {id1, "文化活动场次", "3.00"},
		{id2, "参与群众人次", "0.00"}, {id2, "文化活动场次", "2.00"},
		{id3, "参与群众人次", "0.00"}, {id3, "文化活动场次", "1.00"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stored values (-want +got):\n%s", d)
	}
	// The member whose required value was missing has no fact at all, not a 0.
	var n int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM fact_values WHERE member_key = ?", id4).Scan(&n); err != nil || n != 0 {
		t.Errorf("the member with a missing value has %d stored values (%v), want none", n, err)
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM fact_values WHERE value IS NULL").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d NULL values stored (%v)", n, err)
	}
}

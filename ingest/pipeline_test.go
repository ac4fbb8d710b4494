package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/store"
)

// sheet describes one sheet of a workbook made in a test.
type sheet struct {
	name   string
	hidden bool
	rows   [][]any
	merges [][2]string
	// formulas puts a formula with a cached value: cell -> {formula, cached value}.
	formulas map[string][2]string
}

// workbook writes sheets into an .xlsx held in memory.
func workbook(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sh.rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range sh.merges {
			if err := f.MergeCell(sh.name, m[0], m[1]); err != nil {
				t.Fatal(err)
			}
		}
		for cell, fv := range sh.formulas {
			if err := f.SetCellFormula(sh.name, cell, fv[0]); err != nil {
				t.Fatal(err)
			}
			// excelize writes no cached value; put the number Excel would have saved.
			cached, err := strconv.ParseFloat(fv[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.SetCellValue(sh.name, cell, cached); err != nil {
				t.Fatal(err)
			}
			if err := f.SetCellFormula(sh.name, cell, fv[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, sh := range sheets {
		if sh.hidden {
			if err := f.SetSheetVisible(sh.name, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Fixtures: three assisted villages in two districts, and valid identifiers.
var (
	v1, v2, v3 = "370112001001", "370112001002", "370124002001"
	id1        = qiancun.MakeID("37011219800101001")
	id2        = qiancun.MakeID("37011219850202002")
	id3        = qiancun.MakeID("37012419900303003")
)

func registryRows() [][]any {
	return [][]any{
		{"村代码", "区县", "镇街", "村名", "管理主体"},
		{v1, "历城区", "港沟街道", "东村", ""},
		{v2, "历城区", "港沟街道", "西村", "高新区"},
		{v3, "平阴县", "东阿镇", "南村", ""},
	}
}

var fsHeader = []any{"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金(万元)", "实施项目数", "村集体增收(万元)", "办实事数", "化解矛盾纠纷数"}

// env is a fresh store with the registry in it, and an ingester on it.
type env struct {
	st *store.Store
	in *ingest.Ingester
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, in: ingest.New(ts, st, ingest.DefaultLimits())}
	rc := e.ingest(t, "帮扶村名册.xlsx", workbook(t, sheet{name: "名册", rows: registryRows()}), ingest.Options{})
	if rc.Status != qiancun.Accepted {
		t.Fatalf("registry: %+v", rc)
	}
	return e
}

func (e *env) ingest(t testing.TB, name string, data []byte, opt ingest.Options) *qiancun.Receipt {
	t.Helper()
	rc, err := e.in.Ingest(context.Background(), name, data, opt)
	if err != nil {
		t.Fatalf("ingest %s: %v", name, err)
	}
	return rc
}

// sums returns the current value of each indicator of template in period, summed over
// members, as text with two decimals.
func (e *env) sums(t testing.TB, template, period string) map[string]string {
	t.Helper()
	rows, err := e.st.DB().Query(`SELECT indicator, CAST(sum(value) AS VARCHAR) FROM current_values
		WHERE template = ? AND period = ? GROUP BY indicator`, template, period)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func (e *env) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.st.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// issueKey is what a receipt test compares of an issue.
type issueKey struct {
	Cell, Column, Value string
	Rule                qiancun.Rule
}

func errorsOf(rc *qiancun.Receipt) []issueKey {
	var out []issueKey
	for _, is := range rc.Issues {
		if is.Severity == qiancun.Error {
			out = append(out, issueKey{is.Cell, is.Column, is.Value, is.Rule})
		}
	}
	return out
}

func warningsOf(rc *qiancun.Receipt) []qiancun.Rule {
	var out []qiancun.Rule
	for _, is := range rc.Issues {
		if is.Severity == qiancun.Warning {
			out = append(out, is.Rule)
		}
	}
	return out
}

func TestCleanFirstSecretaryFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := workbook(t, sheet{name: "Sheet1", rows: [][]any{
		{"济南市第一书记工作情况统计表（2024年5月）"},
		fsHeader,
		{"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3.25, 5, 1},
		{"李四", id2, "市财政局", v2 + "、" + v3, 18, 12, 0, 0, -1.5, 2, 0},
	}})
	rc := e.ingest(t, "fs.xlsx", data, ingest.Options{})
	if rc.Status != qiancun.Accepted || rc.Period != "2024-05" || rc.Template != "first_secretary" || rc.Rows != 2 || rc.Accepted != 2 {
		t.Fatalf("receipt = %+v", rc)
	}
	if errs := errorsOf(rc); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := map[string]string{
		"驻村天数": "40.00", "走访农户数": "42.00", "协调资金": "125000.00", "实施项目数": "2.00",
		"村集体增收": "17500.00", "办实事数": "7.00", "化解矛盾纠纷数": "1.00",
	}
	if diff := cmp.Diff(want, e.sums(t, "first_secretary", "2024-05")); diff != "" {
		t.Errorf("sums (-want +got):\n%s", diff)
	}
	if n := e.count(t, "SELECT count(*) FROM members WHERE force = 'first_secretary'"); n != 2 {
		t.Errorf("members = %d, want 2", n)
	}
	if n := e.count(t, "SELECT len(villages) FROM current_rows WHERE member_key = ?", id2); n != 2 {
		t.Errorf("villages of the second member = %d, want 2", n)
	}
}

// TestMessyFile reads a file with every kind of mess the contract lists, and checks that it
// means the same facts as a clean one.
func TestMessyFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := workbook(t,
		sheet{name: "填表说明", rows: [][]any{{"填表说明：请按月填报"}, {"姓名", "身份证号"}}},
		sheet{name: "隐藏", hidden: true, rows: [][]any{{"旧数据"}}},
		sheet{
			name: "第一书记",
			rows: [][]any{
				{"济南市第一书记工作情况统计表（2024年5月）"},
				{"填报单位：市委组织部（盖章）    填报日期：2024年6月5日"},
				{"金额单位：万元"},
				{"序号", "第一书记姓名", "身份证号码", "选派单位", "帮扶村代码", "本月驻村天数", "走访户数", "资金情况", nil, "实施产业项目数", "为民办实事数", "化解纠纷数"},
				{nil, nil, nil, nil, nil, nil, nil, "争取协调资金", "村集体经济增收（元）", nil, nil, nil},
				{1, " 张三 ", id1, "市委组织部", v1, "２２", "30", "12.5万", "32,500元", "2", "5", "1"},
				{},
				{2, "李四", id2, "市财政局", v2 + "，" + v3, "18", " 12 ", "0", "-15000", "0", "2", "0"},
				{"合计", nil, nil, nil, nil, 40, 42, 12.5, 17500, 2, 7, 1},
				{"填表人：王五", nil, nil, "审核人：赵六"},
				{"注：本表数据截至月底"},
			},
			merges:   [][2]string{{"A4", "A5"}, {"B4", "B5"}, {"H4", "I4"}},
			formulas: map[string][2]string{"G8": {"10+2", "12"}},
		},
	)
	rc := e.ingest(t, "报表.xlsx", data, ingest.Options{})
	if errs := errorsOf(rc); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if rc.Status != qiancun.Accepted || rc.Period != "2024-05" || rc.Sheet != "第一书记" || rc.Rows != 2 {
		t.Fatalf("receipt = %+v", rc)
	}
	want := map[string]string{
		"驻村天数": "40.00", "走访农户数": "42.00", "协调资金": "125000.00", "实施项目数": "2.00",
		"村集体增收": "17500.00", "办实事数": "7.00", "化解矛盾纠纷数": "1.00",
	}
	if diff := cmp.Diff(want, e.sums(t, "first_secretary", "2024-05")); diff != "" {
		t.Errorf("sums (-want +got):\n%s", diff)
	}
	wantWarn := []qiancun.Rule{qiancun.UnitConverted, qiancun.SkippedRow, qiancun.SkippedRow, qiancun.SkippedRow}
	if diff := cmp.Diff(wantWarn, warningsOf(rc)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	var name string
	if err := e.st.DB().QueryRow("SELECT name FROM current_rows WHERE member_key = ?", id1).Scan(&name); err != nil || name != "张三" {
		t.Errorf("name = %q, %v; want the trimmed 张三", name, err)
	}
}

// TestRuleCodes puts one bad cell per rule in a file and checks the receipt cell by cell.
func TestRuleCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	badID := id1[:17] + string("0123456789X"[(int(id1[17]-'0')+1)%10])
	rows := [][]any{
		{"第一书记工作情况统计表（2024年5月）"},
		fsHeader,
		{"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1},
		{"李四", badID, "市财政局", v2, 40, 12, "十万", 1.5, 0, "", 0},
		{"王五", id3, "市农业农村局", "370112999999", 20, 1, 1, 1, 1, 1, 1},
		{"赵六", id2, "市农业农村局", "3701", 20, 1, "-3", 1, 1, 1, 1},
		{"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1},
	}
	rc := e.ingest(t, "fs_2024-05.xlsx", workbook(t, sheet{name: "S", rows: rows}), ingest.Options{})
	if rc.Status != qiancun.Rejected {
		t.Fatalf("status = %s, want rejected", rc.Status)
	}
	want := []issueKey{
		{"B4", "身份证号", qiancun.MaskID(badID), qiancun.BadID},
		{"E4", "驻村天数", "40", qiancun.OutOfRange},
		{"G4", "协调资金", "十万", qiancun.BadNumber},
		{"H4", "实施项目数", "1.5", qiancun.BadInteger},
		{"J4", "办实事数", "", qiancun.MissingValue},
		{"D5", "村代码", "370112999999", qiancun.UnknownVillage},
		{"D6", "村代码", "3701", qiancun.BadCode},
		{"G6", "协调资金", "-3", qiancun.OutOfRange},
		{"B7", "身份证号", qiancun.MaskID(id1), qiancun.DuplicateKey},
	}
	if diff := cmp.Diff(want, errorsOf(rc)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	for _, is := range rc.Issues {
		if is.Sheet != "S" || is.Message == "" {
			t.Errorf("issue %+v: want sheet S and a message", is)
		}
		if is.Value == id1 || is.Value == badID {
			t.Errorf("issue %+v shows an unmasked 身份证号", is)
		}
	}
	if n := e.count(t, "SELECT count(*) FROM current_rows WHERE template = 'first_secretary'"); n != 0 {
		t.Errorf("a rejected file reached the facts: %d rows", n)
	}
}

func TestFileLevelRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name string
		file string
		data []byte
		opt  ingest.Options
		want []issueKey
	}{
		{
			name: "missing column",
			file: "fs_2024-05.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{
				{"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金", "实施项目数", "村集体增收", "办实事数"},
				{"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5},
			}}),
			want: []issueKey{{"K1", "化解矛盾纠纷数", "", qiancun.MissingColumn}},
		},
		{
			name: "no period",
			file: "fs.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{fsHeader, {"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1}}}),
			want: []issueKey{{"", "", "fs.xlsx", qiancun.BadPeriod}},
		},
		{
			name: "periods disagree",
			file: "fs_2024-06.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{{"统计表（2024年5月）"}, fsHeader, {"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1}}}),
			want: []issueKey{{"", "", "文件名为2024-06，标题行为2024-05", qiancun.BadPeriod}},
		},
		{
			name: "no data",
			file: "fs_2024-05.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{fsHeader, {}, {"合计", nil, nil, nil, 0}}}),
			want: []issueKey{{"", "", "", qiancun.NoData}},
		},
		{
			name: "bad date and choice in the ledger",
			file: "产业项目台账.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{
				{"项目编号", "项目名称", "村代码", "牵头力量", "总投资", "状态", "开工日期"},
				{"XM-1", "大棚", v1, "第一书记", 100, "在建", "2024-02-30"},
				{"XM-2", "冷库", v2, "书记", 100, "完工", "2024/5/3"},
			}}),
			want: []issueKey{
				{"G2", "开工日期", "2024-02-30", qiancun.BadDate},
				{"D3", "牵头力量", "书记", qiancun.BadChoice},
				{"F3", "状态", "完工", qiancun.BadChoice},
			},
		},
		{
			name: "bad uscc",
			file: "村企_2024-05.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{
				{"企业名称", "统一社会信用代码", "联建方式", "合作模式", "联建村代码", "投入资金", "实施项目数", "带动就业人数", "采购销售农产品金额", "村集体增收"},
				{"某公司", "91370100MA3C5YQ7X0", "一对一", "股份合作、技术合作", v1, 10, 1, 5, 2, 1},
			}}),
			want: []issueKey{{"B2", "统一社会信用代码", "91370100MA3C5YQ7X0", qiancun.BadUSCC}},
		},
		{
			name: "unknown town",
			file: "邮政_2024-05.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{
				{"姓名", "身份证号", "联系镇街代码", "农产品寄递金额", "助农销售额", "协助融资金额", "直播带货场次"},
				{"邮一", id1, "370112001", 1, 1, 1, 1},
				{"邮二", id2, "370112009", 1, 1, 1, 1},
				{"邮三", id3, "37011", 1, 1, 1, 1},
			}}),
			want: []issueKey{{"C3", "联系镇街代码", "370112009", qiancun.UnknownTown}, {"C4", "联系镇街代码", "37011", qiancun.BadCode}},
		},
		{
			name: "not a spreadsheet",
			file: "fs.xlsx",
			data: []byte{0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x00, 0x10},
			want: []issueKey{{"", "", "", qiancun.BadFile}},
		},
		{
			name: "unknown template",
			file: "other.xlsx",
			data: workbook(t, sheet{name: "S", rows: [][]any{{"甲", "乙"}, {1, 2}}}),
			want: []issueKey{{"", "", "", qiancun.UnknownTemplate}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := e.ingest(t, tt.file, tt.data, tt.opt)
			if rc.Status != qiancun.Rejected {
				t.Errorf("status = %s, want rejected", rc.Status)
			}
			if diff := cmp.Diff(tt.want, errorsOf(rc)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestForcedTemplateAndPeriod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := workbook(t, sheet{name: "S", rows: [][]any{fsHeader, {"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1}}})
	rc := e.ingest(t, "upload.xlsx", data, ingest.Options{Template: "first_secretary", Period: "2024-04"})
	if rc.Status != qiancun.Accepted || rc.Period != "2024-04" {
		t.Fatalf("receipt = %+v", rc)
	}
	rc = e.ingest(t, "upload.xlsx", data, ingest.Options{Template: "law", Period: "2024-04"})
	if rc.Status != qiancun.Rejected || rc.Template != "law" {
		t.Fatalf("forcing the wrong template: %+v", rc)
	}
}

// TestSubmissionSemantics checks replace, unchanged, reject and accept-valid.
func TestSubmissionSemantics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := func(days int, extra ...[]any) []byte {
		rows := [][]any{{"（2024年5月）"}, fsHeader, {"张三", id1, "市委组织部", v1, days, 30, 12.5, 2, 3, 5, 1}}
		return workbook(t, sheet{name: "S", rows: append(rows, extra...)})
	}
	first := e.ingest(t, "a.xlsx", file(20), ingest.Options{})
	if first.Status != qiancun.Accepted || first.Replaces != 0 {
		t.Fatalf("first: %+v", first)
	}
	again := e.ingest(t, "a-copy.xlsx", file(20), ingest.Options{})
	if again.Status != qiancun.Unchanged || again.SubmissionID != first.SubmissionID {
		t.Fatalf("the same file again: %+v", again)
	}
	second := e.ingest(t, "b.xlsx", file(25), ingest.Options{})
	if second.Status != qiancun.Accepted || second.Replaces != first.SubmissionID {
		t.Fatalf("replacement: %+v", second)
	}
	if got := e.sums(t, "first_secretary", "2024-05")["驻村天数"]; got != "25.00" {
		t.Errorf("after replacement 驻村天数 = %s, want 25.00", got)
	}
	bad := e.ingest(t, "c.xlsx", file(26, []any{"李四", "123", "x", v2, 20, 1, 1, 1, 1, 1, 1}), ingest.Options{})
	if bad.Status != qiancun.Rejected {
		t.Fatalf("bad file: %+v", bad)
	}
	if got := e.sums(t, "first_secretary", "2024-05")["驻村天数"]; got != "25.00" {
		t.Errorf("a rejected file changed the KPIs: 驻村天数 = %s", got)
	}
	badAgain := e.ingest(t, "c.xlsx", file(26, []any{"李四", "123", "x", v2, 20, 1, 1, 1, 1, 1, 1}), ingest.Options{})
	if badAgain.Status != qiancun.Unchanged {
		t.Errorf("the same rejected file again: %s, want unchanged", badAgain.Status)
	}
	partial := e.ingest(t, "c.xlsx", file(26, []any{"李四", "123", "x", v2, 20, 1, 1, 1, 1, 1, 1}), ingest.Options{AcceptValid: true})
	if partial.Status != qiancun.Partial || partial.Accepted != 1 || partial.Quarantined != 1 || partial.Replaces != second.SubmissionID {
		t.Fatalf("accept-valid: %+v", partial)
	}
	if got := e.sums(t, "first_secretary", "2024-05")["驻村天数"]; got != "26.00" {
		t.Errorf("after accept-valid 驻村天数 = %s, want 26.00", got)
	}
	// Nothing is lost: every submission and every raw file is kept.
	if n := e.count(t, "SELECT count(*) FROM submissions WHERE template = 'first_secretary'"); n != 4 {
		t.Errorf("submissions kept = %d, want 4 (accepted, replaced, rejected, partial)", n)
	}
	if n := e.count(t, "SELECT count(*) FROM raw_files"); n != 4 {
		t.Errorf("raw files kept = %d, want 4 (registry and three distinct files)", n)
	}
	if n := e.count(t, "SELECT count(*) FROM quarantine WHERE submission_id = ?", partial.SubmissionID); n != 1 {
		t.Errorf("quarantined rows = %d, want 1", n)
	}
	raw, err := e.st.RawFile(context.Background(), first.SHA256)
	if err != nil || !bytes.Equal(raw, file(20)) {
		t.Errorf("the first raw file was not kept as received (%v)", err)
	}
	stored, err := e.st.Receipt(context.Background(), bad.SubmissionID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bad, stored, cmpopts.EquateApproxTime(1e6)); diff != "" {
		t.Errorf("stored receipt differs from the one returned (-returned +stored):\n%s", diff)
	}
}

func TestGBKCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var b bytes.Buffer
	fmt.Fprintf(&b, "济南市法治专员工作表（2024年5月）\n")
	fmt.Fprintf(&b, "姓名,身份证号,所属单位,村代码,入村服务次数,法律咨询件数,化解矛盾纠纷件数,法治宣传场次,解决实际问题数\n")
	fmt.Fprintf(&b, "王律师,%s,市司法局,%s,\"1,200\",3,2,1,1\n", id1, v1)
	fmt.Fprintf(&b, "合计,,,,1200,3,2,1,1\n")
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rc := e.ingest(t, "法治专员.csv", gbk, ingest.Options{})
	if rc.Status != qiancun.Accepted || rc.Template != "law" || rc.Period != "2024-05" || rc.Accepted != 1 {
		t.Fatalf("receipt = %+v", rc)
	}
	if got := e.sums(t, "law", "2024-05")["入村服务次数"]; got != "1200.00" {
		t.Errorf("入村服务次数 = %s, want 1200.00", got)
	}
	// A bad cell in a CSV is named as in a spreadsheet.
	bad := bytes.Replace(gbk, []byte(",3,2,1,1\n"), []byte(",x,2,1,1\n"), 1)
	rc = e.ingest(t, "法治专员.csv", bad, ingest.Options{})
	if diff := cmp.Diff([]issueKey{{"F3", "法律咨询件数", "x", qiancun.BadInteger}}, errorsOf(rc)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestLegacyXLS reads a real .xls that LibreOffice wrote (from the messy first-secretary
// sheet: a title, a 填报单位 line, a totals row, numbers stored as text).
func TestLegacyXLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data, err := readFile("testdata/pipeline_fs_2024-05.xls")
	if err != nil {
		t.Fatal(err)
	}
	rc := e.ingest(t, "pipeline_fs_2024-05.xls", data, ingest.Options{})
	if rc.Status != qiancun.Accepted || rc.Period != "2024-05" || rc.Template != "first_secretary" || rc.Accepted != 2 {
		t.Fatalf("receipt = %+v", rc)
	}
	want := map[string]string{
		"驻村天数": "40.00", "走访农户数": "42.00", "协调资金": "125000.00", "实施项目数": "2.00",
		"村集体增收": "17500.00", "办实事数": "7.00", "化解矛盾纠纷数": "1.00",
	}
	if diff := cmp.Diff(want, e.sums(t, "first_secretary", "2024-05")); diff != "" {
		t.Errorf("sums (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]qiancun.Rule{qiancun.UnitConverted, qiancun.UnitConverted, qiancun.SkippedRow}, warningsOf(rc)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }

// TestNoRegistryYet: before any registry, every village is unknown, and the receipt says
// why, so the department knows to send the registry first.
func TestNoRegistryYet(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, _ := ingest.LoadTemplates("")
	data := workbook(t, sheet{name: "S", rows: [][]any{{"（2024年5月）"}, fsHeader, {"张三", id1, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1}}})
	rc, err := ingest.New(ts, st, ingest.DefaultLimits()).Ingest(context.Background(), "fs.xlsx", data, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != qiancun.Rejected || len(rc.Issues) == 0 || rc.Issues[0].Rule != qiancun.UnknownVillage ||
		!strings.Contains(rc.Issues[0].Message, "请先上传帮扶村名册") {
		t.Errorf("receipt = %+v", rc)
	}
}

package ingest_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/internal/testtool"
)

// The files of this test are made as offices make them: a workbook written here, then
// opened and saved by LibreOffice, which computes the SUM formulas of the totals rows and
// writes numbers as Calc does. The results are kept in testdata; -fixtures makes them again.
var makeFixtures = flag.Bool("fixtures", false, "make the LibreOffice fixtures of realfiles_test.go again")

// Identifiers of the real-file fixtures. idPasses is a 身份证号 whose last three characters
// are 000 and valid: stored as a number it loses nothing visible, and still must be refused.
var (
	idA      = qiancun.MakeID("37011219800101101")
	idB      = qiancun.MakeID("37011219800101102")
	idC      = qiancun.MakeID("37012419800101103")
	idD      = qiancun.MakeID("37011219800101104")
	idPasses = idEndingIn000()
)

// idEndingIn000 finds a valid 身份证号 ending in "000", as a number cell would hold one.
func idEndingIn000() string {
	for n := 370112198001010; ; n++ {
		id := qiancun.MakeID(strconv.Itoa(n) + "00")
		if strings.HasSuffix(id, "000") {
			return id
		}
	}
}

// fixture is a workbook to be saved by LibreOffice as file.
type fixture struct {
	file string
	rows [][]any
	// sums are the totals rows' SUM formulas: cell -> formula.
	sums map[string]string
}

// sumRow gives SUM formulas for columns cols of row, over rows from..to.
func sumRow(row, from, to int, cols ...string) map[string]string {
	m := map[string]string{}
	for _, c := range cols {
		m[c+strconv.Itoa(row)] = "SUM(" + c + strconv.Itoa(from) + ":" + c + strconv.Itoa(to) + ")"
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// fsByDistrict is a first-secretary file grouped by district, as a legacy .xls: the label
// of each subtotal sits in the 区县 column, the total's under 序号, and their numbers are
// SUM formulas. One member's unit is 合计科 and another's name contains 小计: members still.
var fsByDistrict = fixture{
	file: "fs_by_district_2024-05.xls",
	rows: [][]any{
		{"济南市第一书记工作情况统计表（2024年5月）"},
		{"序号", "区县", "姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金(万元)", "实施项目数", "村集体增收(万元)", "办实事数", "化解矛盾纠纷数"},
		{1, "历城区", "张三", idA, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1},
		{2, "历城区", "王小计", idB, "合计科", v2, 20, 10, 1, 1, 1, 1, 1},
		{"", "历城区小计", "", "", "", "", nil, nil, nil, nil, nil, nil, nil},
		{3, "平阴县", "李四", idC, "市财政局", v3, 18, 12, 0, 0, -1.5, 2, 0},
		{"", "平阴县 小计", "", "", "", "", nil, nil, nil, nil, nil, nil, nil},
		{"合计", "", "", "", "", "", nil, nil, nil, nil, nil, nil, nil},
		{"填表人：王五", "", "", "审核人：赵六"},
	},
	sums: merge(
		sumRow(5, 3, 4, "G", "H", "I", "J", "K", "L", "M"),
		sumRow(7, 6, 6, "G", "H", "I", "J", "K", "L", "M"),
		map[string]string{"G8": "G5+G7", "H8": "H5+H7", "I8": "I5+I7", "J8": "J5+J7", "K8": "K5+K7", "L8": "L5+L7", "M8": "M5+M7"},
	),
}

// techByLevel is a science-and-technology file grouped by level, saved as .xlsx by
// LibreOffice: 市级小计, 县级小计 and 乡级小计 in the 层级 column, 总计 under 姓名.
var techByLevel = fixture{
	file: "tech_by_level_2024-05.xlsx",
	rows: [][]any{
		{"济南市科技顾问工作表（2024年5月）"},
		{"姓名", "身份证号", "层级", "专业领域", "村代码", "技术培训场次", "培训人次", "引进推广技术数", "指导项目数"},
		{"科一", idA, "市级", "果树", v1, 3, 60, 1, 2},
		{"科二", idB, "市级", "蔬菜", v2, 2, 40, 0, 1},
		{"", "", "市级小计", "", "", nil, nil, nil, nil},
		{"科三", idC, "县级", "畜牧", v3, 1, 25, 1, 1},
		{"", "", "县级小计", "", "", nil, nil, nil, nil},
		{"科四", idD, "乡级", "农机", v1 + "、" + v3, 4, 80, 2, 3},
		{"", "", "乡级小计", "", "", nil, nil, nil, nil},
		{"总计", "", "", "", "", nil, nil, nil, nil},
	},
	sums: merge(
		sumRow(5, 3, 4, "F", "G", "H", "I"),
		sumRow(7, 6, 6, "F", "G", "H", "I"),
		sumRow(9, 8, 8, "F", "G", "H", "I"),
		map[string]string{"F10": "F5+F7+F9", "G10": "G5+G7+G9", "H10": "H5+H7+H9", "I10": "I5+I7+I9"},
	),
}

// numericIDs is a first-secretary file in which some 身份证号 and a 村代码 were typed into
// number cells (Calc and Excel keep 15 digits). Row 4's ID, so stored, still passes the
// check digit. Saved both as .xls and as .xlsx.
func numericIDs(file string) fixture {
	n, _ := strconv.ParseFloat(idA[:17], 64) // what is left of idA once a number: 17 digits, rounded
	passes, _ := strconv.ParseFloat(idPasses, 64)
	code, _ := strconv.ParseFloat(v2, 64)
	return fixture{
		file: file,
		rows: [][]any{
			{"第一书记工作情况表（2024年5月）"},
			{"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金", "实施项目数", "村集体增收", "办实事数", "化解矛盾纠纷数"},
			{"张三", n * 10, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1},
			{"王五", passes, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1},
			{"李四", idC, "市财政局", code, 18, 12, 0, 0, -1.5, 2, 0},
		},
	}
}

// fixtureFile returns a fixture as LibreOffice saved it, making it first under -fixtures.
func fixtureFile(t *testing.T, fx fixture) []byte {
	t.Helper()
	path := filepath.Join("testdata", fx.file)
	if *makeFixtures {
		saveWithLibreOffice(t, fx, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (make it with go test ./ingest -run %s -fixtures)", err, t.Name())
	}
	return data
}

func saveWithLibreOffice(t *testing.T, fx fixture, path string) {
	t.Helper()
	soffice := testtool.Need(t, "libreoffice-calc", "soffice", "libreoffice")
	f := excelize.NewFile()
	defer f.Close()
	for r, row := range fx.rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	for cell, formula := range fx.sums {
		if err := f.SetCellFormula("Sheet1", cell, formula); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src.xlsx")
	if err := f.SaveAs(src); err != nil {
		t.Fatal(err)
	}
	ext := strings.TrimPrefix(filepath.Ext(fx.file), ".")
	out := filepath.Join(dir, "out")
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", ext, "--outdir", out, src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	data, err := os.ReadFile(filepath.Join(out, "src."+ext))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// skipped are the cells of a receipt's skipped_row warnings, with their values.
func skipped(rc *qiancun.Receipt) []string {
	var out []string
	for _, is := range rc.Issues {
		if is.Rule == qiancun.SkippedRow {
			out = append(out, is.Cell+" "+is.Value)
		}
	}
	return out
}

// TestTotalsRows reads real files with subtotal rows whose label is in a grouping column:
// they are skipped with a warning, and the members are all read.
func TestTotalsRows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fx       fixture
		template string
		skipped  []string
		sums     map[string]string
		members  int
	}{
		{
			fx: fsByDistrict, template: "first_secretary",
			skipped: []string{"B5 历城区小计", "B7 平阴县 小计", "A8 合计", "A9 填表人：王五"},
			sums: map[string]string{"驻村天数": "60.00", "走访农户数": "52.00", "协调资金": "135000.00", "实施项目数": "3.00",
				"村集体增收": "25000.00", "办实事数": "8.00", "化解矛盾纠纷数": "2.00"},
			members: 3,
		},
		{
			fx: techByLevel, template: "tech",
			skipped: []string{"C5 市级小计", "C7 县级小计", "C9 乡级小计", "A10 总计"},
			sums:    map[string]string{"技术培训场次": "10.00", "培训人次": "205.00", "引进推广技术数": "4.00", "指导项目数": "7.00"},
			members: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.fx.file, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rc := e.ingest(t, tt.fx.file, fixtureFile(t, tt.fx), ingest.Options{})
			if errs := errorsOf(rc); len(errs) != 0 || rc.Status != qiancun.Accepted {
				t.Fatalf("status %s, errors %v", rc.Status, errs)
			}
			if rc.Template != tt.template || rc.Period != "2024-05" || rc.Rows != tt.members || rc.Accepted != tt.members {
				t.Errorf("receipt %+v", rc)
			}
			if d := cmp.Diff(tt.skipped, skipped(rc)); d != "" {
				t.Errorf("skipped rows (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.sums, e.sums(t, tt.template, "2024-05")); d != "" {
				t.Errorf("sums (-want +got):\n%s", d)
			}
		})
	}
}

// TestTotalsRowRules checks what is, and is not, a totals row.
func TestTotalsRowRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	header := []any{"序号", "区县", "姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金", "实施项目数", "村集体增收", "办实事数", "化解矛盾纠纷数"}
	member := func(n int, district, name, id, unit string) []any {
		return []any{n, district, name, id, unit, v1, 20, 1, 1, 1, 1, 1, 1}
	}
	tests := []struct {
		name    string
		row     []any
		skipped []string
		errors  []issueKey
	}{
		{"label under 序号", []any{"合计", "", "", "", "", "", 40, 2, 2, 2, 2, 2, 2}, []string{"A4 合计"}, nil},
		{"label with spaces and a colon", []any{"", "", "总  计：", "", "", "", 40, 2, 2, 2, 2, 2, 2}, []string{"C4 总  计："}, nil},
		{"district and label in 区县", []any{"", "历城区小计", "", "", "", "", 40}, []string{"B4 历城区小计"}, nil},
		{"short district name", []any{"", "历城合计", "", "", "", "", 40}, []string{"B4 历城合计"}, nil},
		{"level and label", []any{"", "", "市级小计", "", "", "", 40}, []string{"C4 市级小计"}, nil},
		{"full-width label", []any{"", "", "", "", "小计", "", 40}, []string{"E4 小计"}, nil},
		// A member has a key: a unit or a name that merely holds the words is a member.
		{"unit named 合计", member(3, "历城区", "赵六", id3, "合计"), nil, nil},
		{"name with 小计 in it", member(3, "历城区", "王小计", qiancun.MakeID("37011219900101333"), "市委组织部"), nil, nil},
		{"unit ending in 小计", member(3, "历城区", "孙七", qiancun.MakeID("37011219900101444"), "某公司小计"), nil, nil},
		// No key and a label that is not a totals label: a member with a missing key.
		{"label after an unknown word", []any{"", "", "某某小计", "", "", v1, 40, 2, 2, 2, 2, 2, 2}, nil,
			[]issueKey{{"D4", "身份证号", "", qiancun.MissingValue}, {"E4", "派出单位", "", qiancun.MissingValue}, {"G4", "驻村天数", "40", qiancun.OutOfRange}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := [][]any{{"（2024年5月）"}, header, member(1, "历城区", "张三", id1, "市委组织部"), tt.row}
			rc := e.ingest(t, "fs.xlsx", workbook(t, sheet{name: "S", rows: rows}), ingest.Options{DryRun: true})
			if d := cmp.Diff(tt.skipped, skipped(rc)); d != "" {
				t.Errorf("skipped (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.errors, errorsOf(rc)); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
			if wantRows := 2 - len(tt.skipped); rc.Rows != wantRows {
				t.Errorf("data rows %d, want %d", rc.Rows, wantRows)
			}
		})
	}
}

// TestNumericIdentifiers reads 身份证号 typed into number cells, in an .xls and an .xlsx
// saved by LibreOffice and in a CSV as Excel saves one: bad_id at each such cell, with the
// message that says why, even when the digits left pass the check digit; a 村代码 in a
// number cell is read as its digits.
func TestNumericIdentifiers(t *testing.T) {
	t.Parallel()
	const msg = "「身份证号」被 Excel 存成了数字，超过15位的末几位已丢失，无法恢复：请将该列设置为“文本”格式，再重新输入完整的号码"
	csv := "第一书记工作情况表（2024年5月）\n" +
		"姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金,实施项目数,村集体增收,办实事数,化解矛盾纠纷数\n" +
		"张三,3.70112198001011E+17,市委组织部,370112001001,22,30,12.5,2,3,5,1\n" +
		"王五," + idPasses[:4] + "." + idPasses[4:15] + "E+17,市委组织部,370112001001,22,30,12.5,2,3,5,1\n" +
		"李四," + idC + ",市财政局,3.70112001002E+11,18,12,0,0,-1.5,2,0\n"
	tests := []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"fs_numeric_id_2024-05.xls", func(t *testing.T) []byte { return fixtureFile(t, numericIDs("fs_numeric_id_2024-05.xls")) }},
		{"fs_numeric_id_2024-05.xlsx", func(t *testing.T) []byte { return fixtureFile(t, numericIDs("fs_numeric_id_2024-05.xlsx")) }},
		{"fs_numeric_id_2024-05.csv", func(t *testing.T) []byte { return []byte(csv) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rc := e.ingest(t, tt.name, tt.data(t), ingest.Options{AcceptValid: true})
			var got []issueKey
			for _, is := range rc.Issues {
				if is.Severity != qiancun.Error {
					continue
				}
				got = append(got, issueKey{is.Cell, is.Column, "", is.Rule})
				if is.Message != msg {
					t.Errorf("%s: message %q", is.Cell, is.Message)
				}
				if strings.Trim(is.Value, "0123456789") == "" && len(is.Value) >= 15 {
					t.Errorf("%s: the value %q is not masked", is.Cell, is.Value)
				}
			}
			want := []issueKey{{"B3", "身份证号", "", qiancun.BadID}, {"B4", "身份证号", "", qiancun.BadID}}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
			// The row with a text ID and a numeric 村代码 is accepted, the code read whole.
			if rc.Status != qiancun.Partial || rc.Accepted != 1 {
				t.Fatalf("status %s, accepted %d", rc.Status, rc.Accepted)
			}
			var villages string
			if err := e.st.DB().QueryRow("SELECT villages[1] FROM current_rows WHERE member_key = ?", idC).Scan(&villages); err != nil || villages != v2 {
				t.Errorf("村代码 of the accepted row: %q (%v), want %s", villages, err, v2)
			}
		})
	}
}

// TestPeriodPerCell gives a 报告期 column whose cells disagree: bad_period at every cell that
// differs from the month most rows give, named and with its value; the file's month is the
// majority's.
func TestPeriodPerCell(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	row := func(period any, name, id string) []any {
		return []any{period, name, id, "市委组织部", v1, 20, 1, 1, 1, 1, 1, 1}
	}
	header := append([]any{"报告期"}, fsHeader...)
	data := workbook(t, sheet{name: "S", rows: [][]any{
		header,
		row("2024年5月", "甲", id1),
		row("2024-05", "乙", id2),
		row("2024年6月", "丙", id3),
		row("2024.05", "丁", qiancun.MakeID("37011219900101555")),
		row("2024-04", "戊", qiancun.MakeID("37011219900101666")),
	}})
	rc := e.ingest(t, "fs.xlsx", data, ingest.Options{})
	want := []issueKey{
		{"A4", "", "2024年6月", qiancun.BadPeriod},
		{"A6", "", "2024-04", qiancun.BadPeriod},
	}
	if d := cmp.Diff(want, errorsOf(rc)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	if rc.Status != qiancun.Rejected {
		t.Errorf("status %s, want rejected", rc.Status)
	}
	for _, is := range rc.Issues {
		if is.Cell == "A4" && is.Message != "无法确定报告期：本行报告期为2024-06，与多数行（3行）的2024-05不一致" {
			t.Errorf("message %q", is.Message)
		}
	}
	// Accepting the valid rows does not accept a file whose month is in doubt.
	rc = e.ingest(t, "fs.xlsx", data, ingest.Options{AcceptValid: true})
	if rc.Status != qiancun.Rejected || rc.Accepted != 0 {
		t.Errorf("accept-valid: status %s, accepted %d", rc.Status, rc.Accepted)
	}
}

// TestNumericUSCC: a 统一社会信用代码 of digits only, saved by Excel as a number in a CSV.
func TestNumericUSCC(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	uscc := qiancun.MakeUSCC("91370100123456789")
	if !qiancun.ValidUSCC(uscc) {
		t.Fatalf("fixture USCC %s is not valid", uscc)
	}
	csv := "村企联建情况表（2024年5月）\n" +
		"企业名称,统一社会信用代码,联建方式,合作模式,联建村代码,投入资金,实施项目数,带动就业人数,采购销售农产品金额,村集体增收\n" +
		"某公司,9.13701001234568E+17,一对一,股份合作,370112001001,10,1,5,2,1\n" +
		"另一公司," + uscc + ",一对一,股份合作,370112001002,10,1,5,2,1\n"
	rc := e.ingest(t, "企业.csv", []byte(csv), ingest.Options{DryRun: true})
	if d := cmp.Diff([]issueKey{{"B3", "统一社会信用代码", "9.13701001234568E+17", qiancun.BadUSCC}}, errorsOf(rc)); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	for _, is := range rc.Issues {
		if is.Rule == qiancun.BadUSCC && !strings.HasPrefix(is.Message, "「统一社会信用代码」被 Excel 存成了数字") {
			t.Errorf("message %q", is.Message)
		}
	}
}

// TestPeriodPerCellBounded: a 报告期 column with many rows off the majority names the first
// thousand cells of that month and counts the rest in one more issue.
func TestPeriodPerCellBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("报告期,姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金,实施项目数,村集体增收,办实事数,化解矛盾纠纷数\n")
	for i := range 2600 {
		month := "2024-05"
		if i%2 == 1 && i < 2200 {
			month = "2024-06" // 1,100 rows of June among 1,500 of May
		}
		id := qiancun.MakeID(fmt.Sprintf("370112199001%05d", i))
		fmt.Fprintf(&b, "%s,人%d,%s,单位,%s,20,1,1,1,1,1,1\n", month, i, id, v1)
	}
	rc := e.ingest(t, "fs.csv", []byte(b.String()), ingest.Options{DryRun: true})
	named, summary := 0, ""
	for _, is := range rc.Issues {
		if is.Rule != qiancun.BadPeriod {
			continue
		}
		if is.Cell != "" {
			named++
		} else {
			summary = is.Message
		}
	}
	if named != 1000 || summary != "无法确定报告期：另有100行的报告期为2024-06，与多数行（1500行）的2024-05不一致" {
		t.Errorf("%d cells named; summary %q", named, summary)
	}
	if rc.Period != "2024-05" || rc.Status != qiancun.Rejected {
		t.Errorf("period %q, status %s", rc.Period, rc.Status)
	}
}

package reportdata_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/reportdata"
	"github.com/qiancun/qiancun/reports"
	"github.com/qiancun/qiancun/store"
)

var (
	idA = qiancun.MakeID("37011219800101001")
	idB = qiancun.MakeID("37012419850202002")
	idC = qiancun.MakeID("37012419900303003")
	idD = qiancun.MakeID("37011219750404004")
	idP = qiancun.MakeID("37011219700505005")
)

const registryCSV = `村代码,区县,镇街,村名,管理主体
370112001001,历城区,港沟街道,东村,
370112001002,历城区,港沟街道,西村,高新区
370112002001,历城区,唐王街道,北村,
370124001001,平阴县,榆山街道,南村,
`

// fsCSV is a month of four first secretaries; days and funds vary with the month so that
// scores differ.
func fsCSV(month string, daysD int) string {
	return fmt.Sprintf(`第一书记工作情况统计表（%s）
姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金(万元),实施项目数,村集体增收(万元),办实事数,化解矛盾纠纷数
甲,%s,市委组织部,370112001001,20,10,1.25,1,0.5,2,1
乙,%s,市财政局,370124001001,18,20,2,0,-1,2,0
丙,%s,市农业农村局,370124001001,25,5,0.000001,1,1,1,1
丁,%s,市科技局,370112002001,%d,30,12.345678,2,3,0,2
`, month, idA, idB, idC, idD, daysD)
}

type fixture struct {
	st  *store.Store
	in  *ingest.Ingester
	eng *queries.Engine
}

func newFixture(t *testing.T) *fixture {
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
	packs, err := queries.LoadPacks("")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, in: ingest.New(ts, st, ingest.DefaultLimits()), eng: queries.New(st, packs, rules)}
	f.ingest(t, "帮扶村名册.csv", []byte(registryCSV), qiancun.Accepted)
	f.ingest(t, "fs_2024-04.csv", []byte(fsCSV("2024-04", 10)), qiancun.Accepted)
	f.ingest(t, "fs_2024-05.csv", []byte(fsCSV("2024-05", 12)), qiancun.Accepted)
	f.ingest(t, "fs_2024-05_更正.csv", []byte(fsCSV("2024-05", 31)), qiancun.Accepted) // replaces the first May
	f.ingest(t, "fs_2024-06.csv", []byte(fsCSV("2024-06", 30)), qiancun.Accepted)
	f.ingest(t, "postal_2024-05.csv", []byte(fmt.Sprintf(`姓名,身份证号,联系镇街代码,农产品寄递金额(元),助农销售额(元),协助融资金额(元),直播带货场次
邮甲,%s,370112001,100,200,300,4
`, idP)), qiancun.Accepted)
	return f
}

func (f *fixture) ingest(t *testing.T, name string, data []byte, want qiancun.Status) *qiancun.Receipt {
	t.Helper()
	rc, err := f.in.Ingest(context.Background(), name, data, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != want {
		t.Fatalf("%s: %s, want %s: %+v", name, rc.Status, want, rc.Issues)
	}
	return rc
}

func open(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func get(t *testing.T, f *excelize.File, sheet string, col, row int) string {
	t.Helper()
	cell, _ := excelize.CoordinatesToCellName(col, row)
	v, err := f.GetCellValue(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAppraisalWorkbookFromEngine makes the appraisal workbook of a real ranking and checks
// that its ranks, scores and grades are the engine's, and its sources the current
// submissions of the quarter.
func TestAppraisalWorkbookFromEngine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := newFixture(t)
	in, err := reportdata.Appraisal(ctx, fx.eng, fx.st, reportdata.AppraisalRequest{Force: "first_secretary", Period: "2024-Q2", Unmasked: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := fx.eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	if in.Ranking != r {
		t.Fatal("the input's ranking is not the engine's")
	}
	var files []string
	for _, s := range in.Sources {
		files = append(files, s.Period+" "+s.File)
	}
	if diff := cmp.Diff([]string{"2024-04 fs_2024-04.csv", "2024-05 fs_2024-05_更正.csv", "2024-06 fs_2024-06.csv"}, files); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	if err := reports.WriteAppraisal(&buf, in); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	ncols := 5 + 2*len(r.Indicators) + 3
	type line struct{ Rank, DRank, Key, Name, Score, Grade, Veto string }
	var want, got []line
	for i, m := range r.Members {
		want = append(want, line{strconv.Itoa(m.Rank), strconv.Itoa(m.DistrictRank), m.Key, m.Name,
			strings.TrimSuffix(strings.TrimRight(m.Score, "0"), "."), m.Grade, m.VetoReason})
		row := 4 + i
		got = append(got, line{get(t, f, "排名", 1, row), get(t, f, "排名", 2, row), get(t, f, "排名", 3, row),
			get(t, f, "排名", 4, row), get(t, f, "排名", ncols-2, row), get(t, f, "排名", ncols-1, row), get(t, f, "排名", ncols, row)})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("排名 against the engine's ranking (-want +got):\n%s", diff)
	}
	if len(r.Members) != 4 || get(t, f, "排名", 1, 8) != "" {
		t.Errorf("%d members in the ranking; row 8 holds %q", len(r.Members), get(t, f, "排名", 1, 8))
	}
	// 协调资金 is the third indicator: its value is exact in 万元 (甲: 3 × 1.25 万元).
	for i, m := range r.Members {
		if got, want := get(t, f, "排名", 10, 4+i), wan(m.Values[2]); got != want {
			t.Errorf("%s 协调资金 %q 万元, want %q", m.Name, got, want)
		}
	}
	// 汇总's funds are the sum of 协调资金 (3 × (1.25 + 2 + 0.000001 + 12.345678) 万元).
	if got := get(t, f, "汇总", 10, 6); got != "46.787037" {
		t.Errorf("city funds %q 万元, want 46.787037", got)
	}
}

func TestCoverageWorkbookFromPacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := newFixture(t)
	tests := []struct {
		district  string
		villages  []string // code and ✓ under 第一书记 … 文化顾问, then the count
		districts []string
	}{
		{"", []string{
			"370112001001 ✓---✓-- 2", "370112001002 ----✓-- 1", "370112002001 ✓------ 1", "370124001001 ✓------ 1",
		}, []string{"370112", "370124", ""}},
		{"370124", []string{"370124001001 ✓------ 1"}, []string{"370124", ""}},
	}
	for _, tt := range tests {
		t.Run("district="+tt.district, func(t *testing.T) {
			in, err := reportdata.Coverage(ctx, fx.eng, "2024-05", tt.district)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := reports.WriteCoverage(&buf, in); err != nil {
				t.Fatal(err)
			}
			f := open(t, buf.Bytes())
			var got []string
			for row := 4; get(t, f, "帮扶村", 1, row) != ""; row++ {
				s := get(t, f, "帮扶村", 1, row) + " "
				for c := 6; c <= 12; c++ {
					s += map[string]string{"✓": "✓", "": "-"}[get(t, f, "帮扶村", c, row)]
				}
				got = append(got, s+" "+get(t, f, "帮扶村", 13, row))
			}
			if diff := cmp.Diff(tt.villages, got); diff != "" {
				t.Errorf("帮扶村 (-want +got):\n%s", diff)
			}
			var codes []string
			for row := 4; get(t, f, "汇总", 3, row) != ""; row++ {
				codes = append(codes, get(t, f, "汇总", 1, row))
			}
			if diff := cmp.Diff(tt.districts, codes); diff != "" {
				t.Errorf("汇总 districts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadDistrict(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	var pe *queries.ParamError
	_, err := reportdata.Appraisal(context.Background(), fx.eng, fx.st, reportdata.AppraisalRequest{Force: "first_secretary", Period: "2024-05", District: "999999"})
	if !errors.As(err, &pe) || pe.Param != "district" {
		t.Errorf("appraisal: %v, want a ParamError on district", err)
	}
	_, err = reportdata.Coverage(context.Background(), fx.eng, "2024-05", "12")
	if !errors.As(err, &pe) || pe.Param != "district" {
		t.Errorf("coverage: %v, want a ParamError on district", err)
	}
}

// badXLSX is a first-secretary workbook with a bad 身份证号 (B4), money that is not a number
// (G5), a blank required cell (E6), a formula-looking name, a unit in a cell, and its
// title in bold.
func badXLSX(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"第一书记工作情况统计表（2024年6月）"},
		{"填报单位：市委组织部"},
		{"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金(万元)", "实施项目数", "村集体增收(万元)", "办实事数", "化解矛盾纠纷数"},
		{"甲", "370112198001010010", "市委组织部", "370112001001", 20, 10, 1, 1, 0.5, 2, 1},
		{"=SUM(1,2)", idB, "市财政局", "370124001001", 18, 20, "一万", 0, "3000元", 2, 0},
		{"丙", idC, "市农业农村局", "370124001001", nil, 5, 1, 1, 1, 1, 1},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", "A1", "A1", bold); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const badCSV = `第一书记工作情况统计表（2024年6月）
姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金(万元),实施项目数,村集体增收(万元),办实事数,化解矛盾纠纷数
甲,370112198001010010,市委组织部,370112001001,20,10,1,1,0.5,2,1

+1,` + "%s" + `,市财政局,999999999999,18,20,一万,0,3000元,2,0
丙,%s,市农业农村局,370124001001,,5,1,1,1,1,1
`

// TestReceiptWorkbookFromStore ingests bad files through the real pipeline and checks
// that the receipt workbook marks exactly the cells the receipt names.
func TestReceiptWorkbookFromStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := newFixture(t)
	tests := []struct {
		name  string
		file  string
		data  []byte
		sheet string // the data sheet in the workbook
		badID string // the cell of the bad 身份证号
		name5 string // A5, a name that looks like a formula
	}{
		{"xlsx rebuilt from rows", "第一书记_2024年6月.xlsx", badXLSX(t), "Sheet1", "B4", "=SUM(1,2)"},
		{"csv rebuilt from rows", "第一书记_2024年6月.csv", []byte(fmt.Sprintf(badCSV, idB, idC)), "第一书记_2024年6月", "B3", "+1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := fx.ingest(t, tt.file, tt.data, qiancun.Rejected)
			in, err := reportdata.Receipt(ctx, fx.st, rc.SubmissionID, false)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := reports.WriteReceipt(&buf, in); err != nil {
				t.Fatal(err)
			}
			f := open(t, buf.Bytes())
			if got := f.GetSheetList(); got[0] != "问题清单" || !slices.Contains(got, tt.sheet) {
				t.Fatalf("sheets %q", got)
			}
			// The cells the receipt names, red for an error, yellow for warnings only.
			want := map[string]string{}
			for _, is := range rc.Issues {
				if is.Cell == "" {
					continue
				}
				if is.Severity == qiancun.Error {
					want[is.Cell] = "FFC7CE"
				} else if want[is.Cell] == "" {
					want[is.Cell] = "FFEB9C"
				}
			}
			if len(want) < 3 {
				t.Fatalf("the receipt names too few cells to test: %+v", rc.Issues)
			}
			got := map[string]string{}
			for r := 1; r <= 20; r++ {
				for c := 1; c <= 15; c++ {
					cell, _ := excelize.CoordinatesToCellName(c, r)
					id, err := f.GetCellStyle(tt.sheet, cell)
					if err != nil {
						t.Fatal(err)
					}
					st, _ := f.GetStyle(id)
					if st != nil && len(st.Fill.Color) > 0 {
						got[cell] = st.Fill.Color[0]
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("marked cells (-want +got):\n%s\nissues: %+v", diff, rc.Issues)
			}
			cs, err := f.GetComments(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			var commented []string
			for _, c := range cs {
				commented = append(commented, c.Cell)
			}
			var cells []string
			for c := range want {
				cells = append(cells, c)
			}
			slices.Sort(cells)
			slices.Sort(commented)
			if diff := cmp.Diff(cells, commented); diff != "" {
				t.Errorf("commented cells (-want +got):\n%s", diff)
			}
			// The bad 身份证号 is masked in the sheet; the formula-looking name is text.
			if v, _ := f.GetCellValue(tt.sheet, tt.badID); v != qiancun.MaskID("370112198001010010") {
				t.Errorf("%s: the bad 身份证号 shows as %q", tt.badID, v)
			}
			if v, _ := f.GetCellValue(tt.sheet, "A5"); v != tt.name5 {
				t.Errorf("A5 = %q, want %q", v, tt.name5)
			}
			if formula, _ := f.GetCellFormula(tt.sheet, "A5"); formula != "" {
				t.Errorf("A5 became the formula %q", formula)
			}
		})
	}
}

// wan writes an amount in fen as 万元, exactly: 123456 → "0.123456".
func wan(fen int64) string {
	s := fmt.Sprintf("%07d", fen)
	s = s[:len(s)-6] + "." + s[len(s)-6:]
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

package reports_test

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/reportdata"
	"github.com/qiancun/qiancun/reports"
)

var (
	idGood = qiancun.MakeID("37011219800101001")
	idBad  = "370112198001010010" // wrong check digit
)

// upload is a department's workbook: a notes sheet, then the data sheet with a title row,
// the header in row 2, a money column with a number format, a comment of the department's
// own, and print titles.
func upload(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "说明"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStr("说明", "A1", "填表说明：金额单位万元"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("数据"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"第一书记工作情况统计表（2024年5月）"},
		{"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金(万元)", "实施项目数", "村集体增收(万元)", "办实事数", "化解矛盾纠纷数"},
		{"张三", idBad, "市委组织部", "370112001001", 20, 10, 1.5, 1, 0.5, 2, 1},
		{"李四", idGood, "市财政局", "370112001002", 22, 12, "abc", 0, "3,000元", 2, 0},
		{"王五", idGood, "市农业农村局", "370112001001", 25, 8, 2, 1, 1, 1, 1},
	}
	for i, r := range rows {
		if err := f.SetSheetRow("数据", cellName(1, i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4, Font: &excelize.Font{Italic: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("数据", "G3", "G5", money); err != nil {
		t.Fatal(err)
	}
	if err := f.AddComment("数据", excelize.Comment{Cell: "I4", Author: "填表人", Text: "含利息"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'数据'!$2:$2", Scope: "数据"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// receipt is the hand-made receipt of upload: errors in B3, G4 (after a warning there),
// L2 (a missing column, at the header cell after the last) and E9 (below the data); a
// warning in I4; and a problem with no cell.
func receipt(sheet string) *qiancun.Receipt {
	is := func(cell, column, value string, rule qiancun.Rule, sev qiancun.Severity, msg string) qiancun.Issue {
		return qiancun.Issue{Sheet: sheet, Cell: cell, Column: column, Value: value, Rule: rule, Severity: sev, Message: msg}
	}
	return &qiancun.Receipt{
		SubmissionID: 12, File: "第一书记2024年5月.xlsx", SHA256: strings.Repeat("0f", 32), Template: "first_secretary",
		Period: "2024-05", Status: qiancun.Rejected, Rows: 3, Sheet: sheet, ReceivedAt: made,
		Issues: []qiancun.Issue{
			is("B3", "身份证号", qiancun.MaskID(idBad), qiancun.BadID, qiancun.Error, "「身份证号」不是有效的18位身份证号（校验位不符或格式错误）"),
			is("G4", "协调资金", "abc", qiancun.OutOfRange, qiancun.Warning, "「协调资金」超出允许范围"),
			is("G4", "协调资金", "abc", qiancun.BadNumber, qiancun.Error, "「协调资金」应为数字金额"),
			is("I4", "村集体增收", "3,000元", qiancun.UnitConverted, qiancun.Warning, "「村集体增收」金额单位已换算为元"),
			is("L2", "备注", "", qiancun.MissingColumn, qiancun.Error, "缺少必填列「备注」"),
			is("E9", "驻村天数", "=1+2", qiancun.MissingValue, qiancun.Error, "「驻村天数」为必填项，不能为空"),
			{Rule: qiancun.BadPeriod, Severity: qiancun.Error, Message: "无法确定报告期"},
		},
	}
}

// marked returns the cells of sheet within A1:T30 filled red and filled yellow.
func marked(t *testing.T, f *excelize.File, sheet string) (red, yellow []string) {
	t.Helper()
	for r := 1; r <= 30; r++ {
		for c := 1; c <= 20; c++ {
			cell := cellName(c, r)
			id, err := f.GetCellStyle(sheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Fill.Color) == 0 {
				continue
			}
			switch st.Fill.Color[0] {
			case "FFC7CE":
				red = append(red, cell)
			case "FFEB9C":
				yellow = append(yellow, cell)
			}
		}
	}
	return red, yellow
}

// commented returns the cells of sheet with a comment, and their texts.
func commented(t *testing.T, f *excelize.File, sheet string) map[string]string {
	t.Helper()
	cs, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		text := c.Text
		for _, r := range c.Paragraph {
			text += r.Text
		}
		out[c.Cell] = text
	}
	return out
}

// wantMarks are the cells a receipt marks: red where a cell has an error, yellow where it
// has warnings only, and a comment on each.
func wantMarks(rc *qiancun.Receipt) (red, yellow, comments []string) {
	sev := map[string]bool{}
	for _, is := range rc.Issues {
		if is.Cell == "" {
			continue
		}
		sev[is.Cell] = sev[is.Cell] || is.Severity == qiancun.Error
	}
	for cell, bad := range sev {
		if bad {
			red = append(red, cell)
		} else {
			yellow = append(yellow, cell)
		}
		comments = append(comments, cell)
	}
	return sortCells(red), sortCells(yellow), sortCells(comments)
}

func sortCells(cells []string) []string {
	slices.SortFunc(cells, func(a, b string) int {
		ca, ra, _ := excelize.CellNameToCoordinates(a)
		cb, rb, _ := excelize.CellNameToCoordinates(b)
		if ra != rb {
			return ra - rb
		}
		return ca - cb
	})
	return cells
}

func writeReceipt(t *testing.T, in reports.ReceiptInput) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteReceipt(&buf, in); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkIssueList checks 问题清单: one row per issue of rc, in order, each marked cell
// linked to its cell in sheet.
func checkIssueList(t *testing.T, data []byte, f *excelize.File, rc *qiancun.Receipt, sheet string) {
	t.Helper()
	checkReportSheet(t, data, f, "问题清单", []string{"问题清单", rc.File}, []string{"序号", "工作表", "单元格", "列", "值", "规则", "严重程度", "说明"}, len(rc.Issues))
	got := rows(t, f, "问题清单", 4, len(rc.Issues)+1, 8)
	for i, is := range rc.Issues {
		sev := map[qiancun.Severity]string{qiancun.Error: "错误", qiancun.Warning: "警告"}[is.Severity]
		want := []string{strconv.Itoa(i + 1), is.Sheet, is.Cell, is.Column, is.Value, string(is.Rule), sev, is.Message}
		if is.Sheet == "" {
			want[1] = rc.Sheet
		}
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Errorf("问题清单 row %d (-want +got):\n%s", i+1, diff)
		}
		ok, link, err := f.GetCellHyperLink("问题清单", cellName(3, 4+i))
		if err != nil {
			t.Fatal(err)
		}
		wantLink := ""
		if is.Cell != "" {
			wantLink = "'" + sheet + "'!" + is.Cell
		}
		if ok != (wantLink != "") || link != wantLink {
			t.Errorf("问题清单 row %d links to %q (%v), want %q", i+1, link, ok, wantLink)
		}
		stringCell(t, f, "问题清单", cellName(5, 4+i), is.Value)
	}
	if got[len(rc.Issues)] != nil {
		t.Errorf("问题清单 has a row after the last issue: %q", got[len(rc.Issues)])
	}
}

func TestReceiptOfXLSX(t *testing.T) {
	t.Parallel()
	data := upload(t)
	rc := receipt("数据")
	for _, unmasked := range []bool{false, true} {
		name := "masked"
		if unmasked {
			name = "unmasked"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := writeReceipt(t, receiptOf(rc, data, unmasked))
			f := open(t, out)
			orig := open(t, data)
			if diff := cmp.Diff([]string{"问题清单", "说明", "数据"}, f.GetSheetList()); diff != "" {
				t.Fatalf("sheets (-want +got):\n%s", diff)
			}
			checkIssueList(t, out, f, rc, "数据")

			// The marked cells are exactly the receipt's cells.
			red, yellow := marked(t, f, "数据")
			wantRed, wantYellow, wantComments := wantMarks(rc)
			if diff := cmp.Diff(wantRed, red); diff != "" {
				t.Errorf("red cells (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantYellow, yellow); diff != "" {
				t.Errorf("yellow cells (-want +got):\n%s", diff)
			}
			cs := commented(t, f, "数据")
			var cells []string
			for c := range cs {
				cells = append(cells, c)
			}
			if diff := cmp.Diff(wantComments, sortCells(cells)); diff != "" {
				t.Errorf("commented cells (-want +got):\n%s", diff)
			}
			for _, is := range rc.Issues {
				if is.Cell != "" && (!strings.Contains(cs[is.Cell], string(is.Rule)) || !strings.Contains(cs[is.Cell], is.Message)) {
					t.Errorf("comment on %s %q lacks %s: %s", is.Cell, cs[is.Cell], is.Rule, is.Message)
				}
			}
			if r, y := marked(t, f, "说明"); len(r)+len(y) > 0 || len(commented(t, f, "说明")) > 0 {
				t.Errorf("说明 is marked: %v %v", r, y)
			}

			// Every value at its own address, as text (身份证号 masked unless asked).
			for r := 1; r <= 5; r++ {
				for c := 1; c <= 11; c++ {
					cell := cellName(c, r)
					want, err := orig.GetCellValue("数据", cell, excelize.Options{RawCellValue: true})
					if err != nil {
						t.Fatal(err)
					}
					if !unmasked && (want == idGood || want == idBad) {
						want = qiancun.MaskID(want)
					}
					if got := get(t, f, "数据", cell); got != want {
						t.Errorf("数据!%s = %q, want %q", cell, got, want)
					}
				}
			}
			if n := f.GetActiveSheetIndex(); n != 0 {
				t.Errorf("active sheet %d, want 0 (问题清单)", n)
			}
			if !unmasked {
				if leaks := idLeaks(t, out); len(leaks) > 0 {
					t.Errorf("the masked receipt holds 身份证号: %q", leaks)
				}
			}
		})
	}
}

// receiptOf is the receipt input of an upload as the service makes it, made at made.
func receiptOf(rc *qiancun.Receipt, data []byte, unmasked bool) reports.ReceiptInput {
	in := reportdata.ReceiptOf(rc, data, unmasked)
	in.Made = made
	return in
}

// idLeaks unzips a workbook and returns every part's 18-digit runs shaped like a 身份证号.
func idLeaks(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range idRun.FindAll(b, -1) {
			out = append(out, zf.Name+": "+string(m))
		}
	}
	return out
}

var idRun = regexp.MustCompile(`(^|[^0-9])[0-9]{17}[0-9Xx]([^0-9]|$)`)

// formulas returns the cells of a workbook's sheets that hold a formula, as sheet!cell.
func formulas(t *testing.T, f *excelize.File) []string {
	t.Helper()
	var out []string
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c := range row {
				cell := cellName(c+1, r+1)
				if fx, err := f.GetCellFormula(sh, cell); err != nil || fx != "" {
					out = append(out, sh+"!"+cell+" "+fx)
				}
			}
		}
	}
	return out
}

// quotePrefixed reports whether the cell's format carries the quote prefix, read from the
// saved workbook's styles.xml.
func quotePrefixed(t *testing.T, _ []byte, f *excelize.File, sheet, cell string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	return id < len(f.Styles.CellXfs.Xf) && f.Styles.CellXfs.Xf[id].QuotePrefix != nil && *f.Styles.CellXfs.Xf[id].QuotePrefix
}

var cmpSortNames = cmp.Transformer("sort", func(ds []excelize.DefinedName) []excelize.DefinedName {
	out := slices.Clone(ds)
	slices.SortFunc(out, func(a, b excelize.DefinedName) int { return strings.Compare(a.Scope, b.Scope) })
	return out
})

// rowsOf serves rows as a reader would: ascending numbers, blank rows left out.
func rowsOf(rows map[int][]string) func(yield func(int, []string) bool) error {
	return func(yield func(int, []string) bool) error {
		nums := make([]int, 0, len(rows))
		for n := range rows {
			nums = append(nums, n)
		}
		slices.Sort(nums)
		for _, n := range nums {
			if !yield(n, rows[n]) {
				return nil
			}
		}
		return nil
	}
}

func TestReceiptOfRows(t *testing.T) {
	t.Parallel()
	// A CSV named so that it cannot be a sheet name as it is.
	const csvSheet = "第一书记[2024]年5月工作情况统计表_济南市委组织部_最终版本"
	const sheet = "第一书记_2024_年5月工作情况统计表_济南市委组织部_最终"
	rc := receipt(csvSheet)
	rc.File = csvSheet + ".csv"
	src := map[int][]string{
		1: {"第一书记工作情况统计表（2024年5月）"},
		2: {"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金(万元)", "实施项目数", "村集体增收(万元)", "办实事数", "化解矛盾纠纷数"},
		3: {"=HYPERLINK(\"http://evil.example/\",\"x\")", idBad, "+1", "370112001001", "20", "10", "1.5", "1", "0.5", "2", "1"},
		4: {"李四", idGood, "@SUM(A1)", "370112001002", "22", "12", "abc", "0", "3,000元", "2", "0"},
		// row 5 is blank, the reader skips it
		6: {"王五", idGood, "-2", "370112001001", "25", "8", "2", "1", "1", "1", "1"},
	}
	for _, unmasked := range []bool{false, true} {
		out := writeReceipt(t, reports.ReceiptInput{
			Receipt: rc, Sheets: []reports.Sheet{{Name: csvSheet, Rows: rowsOf(src)}}, Unmasked: unmasked, Made: made,
		})
		f := open(t, out)
		if diff := cmp.Diff([]string{"问题清单", sheet}, f.GetSheetList()); diff != "" {
			t.Fatalf("sheets (-want +got):\n%s", diff)
		}
		checkIssueList(t, out, f, rc, sheet)
		red, yellow := marked(t, f, sheet)
		wantRed, wantYellow, wantComments := wantMarks(rc)
		if diff := cmp.Diff(wantRed, red); diff != "" {
			t.Errorf("red cells (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantYellow, yellow); diff != "" {
			t.Errorf("yellow cells (-want +got):\n%s", diff)
		}
		var cells []string
		for c := range commented(t, f, sheet) {
			cells = append(cells, c)
		}
		if diff := cmp.Diff(wantComments, sortCells(cells)); diff != "" {
			t.Errorf("commented cells (-want +got):\n%s", diff)
		}
		// Every value at its own address, as text; 身份证号 masked unless asked.
		for r := 1; r <= 9; r++ {
			for c := 1; c <= 12; c++ {
				want := ""
				if c <= len(src[r]) {
					want = src[r][c-1]
				}
				if !unmasked && (want == idGood || want == idBad) {
					want = qiancun.MaskID(want)
				}
				if want != "" {
					stringCell(t, f, sheet, cellName(c, r), want)
				} else if got := get(t, f, sheet, cellName(c, r)); got != "" {
					t.Errorf("%s = %q, want empty", cellName(c, r), got)
				}
			}
		}
	}
}

func TestReceiptOfUnreadableFile(t *testing.T) {
	t.Parallel()
	rc := &qiancun.Receipt{File: "坏文件.xlsx", SHA256: strings.Repeat("1", 64), Status: qiancun.Rejected, ReceivedAt: made,
		Issues: []qiancun.Issue{{Rule: qiancun.BadFile, Severity: qiancun.Error, Message: "文件解压后过大，可能已损坏，请检查后重新上传"}}}
	for name, data := range map[string][]byte{
		"truncated": []byte("PK\x03\x04 truncated"),
		// A file the ingest refused (say, a zip bomb) is not opened again, even if it could be.
		"refused": upload(t),
	} {
		t.Run(name, func(t *testing.T) {
			in := reportdata.ReceiptOf(rc, data, false)
			f := open(t, writeReceipt(t, in))
			if diff := cmp.Diff([]string{"问题清单"}, f.GetSheetList()); diff != "" {
				t.Fatalf("sheets (-want +got):\n%s", diff)
			}
			if got := rows(t, f, "问题清单", 4, 2, 8); got[0][5] != "bad_file" || got[1] != nil {
				t.Errorf("问题清单: %q", got)
			}
			if got := in.Filename(); got != "坏文件_回执.xlsx" {
				t.Errorf("Filename() = %q", got)
			}
		})
	}
}

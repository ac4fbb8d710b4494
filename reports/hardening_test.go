package reports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/reports"
)

// ingestReceipt validates data as the service does (nothing stored) and returns its
// receipt.
func ingestReceipt(t *testing.T, name string, data []byte) *qiancun.Receipt {
	t.Helper()
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ingest.New(ts, noSink{}, ingest.DefaultLimits()).Ingest(context.Background(), name, data,
		ingest.Options{DryRun: true, Template: "first_secretary"})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// noSink is a sink with an empty registry that must never be written to.
type noSink struct{}

func (noSink) Registry(context.Context) (ingest.Registry, error) { return emptyRegistry{}, nil }
func (noSink) Current(context.Context, string, string, string) (*qiancun.Receipt, bool, error) {
	return nil, false, nil
}
func (noSink) Begin(context.Context, *ingest.Template) (ingest.Tx, error) { panic("dry run wrote") }

type emptyRegistry struct{}

func (emptyRegistry) Village(string) bool { return false }
func (emptyRegistry) Town(string) bool    { return false }
func (emptyRegistry) Size() int           { return 0 }

// TestReceiptOfHostileWorkbook: a department file written by LibreOffice, with 身份证号 in
// every place a real office puts them (a name cell, full-width, behind a BOM or zero-width
// spaces, a number cell, a 注 line) and live formulas (HYPERLINK, WEBSERVICE) and text that
// reads as a formula. Its masked receipt holds no 18-digit ID in any part of the zip (the
// shared strings included), no formula, and the formula-like text quote-prefixed.
//
// testdata/hostile_libreoffice.xlsx was written by excelize and saved again by
// `soffice --headless --convert-to xlsx` (LibreOffice 7): its xl/sharedStrings.xml holds
// every ID unmasked.
func TestReceiptOfHostileWorkbook(t *testing.T) {
	t.Parallel()
	data := testdataFile(t, "hostile_libreoffice.xlsx")
	if len(idLeaks(t, data)) < 4 {
		t.Fatal("the fixture should hold IDs in its parts")
	}
	rc := ingestReceipt(t, "第一书记_2024-05.xlsx", data)
	out := writeReceipt(t, receiptOf(rc, data, false))
	if leaks := idLeaks(t, out); len(leaks) > 0 {
		t.Errorf("the receipt holds 身份证号:\n%s", strings.Join(leaks, "\n"))
	}
	f := open(t, out)
	if fx := formulas(t, f); len(fx) > 0 {
		t.Errorf("the receipt holds the uploader's formulas: %q", fx)
	}
	sheet := f.GetSheetList()[1]
	for cell, want := range map[string]string{"C5": "=cmd|' /C calc'!A0", "C6": "@SUM(1)", "C7": "+1", "C8": "-1"} {
		stringCell(t, f, sheet, cell, want)
		if !quotePrefixed(t, out, f, sheet, cell) {
			t.Errorf("%s %q has no quote prefix", cell, want)
		}
	}
	if quotePrefixed(t, out, f, sheet, "C3") {
		t.Error("C3, plain text, has the quote prefix")
	}
	// The cached value of a live HYPERLINK is kept as text.
	stringCell(t, f, sheet, "L3", "点击查看")

	// The admin's receipt keeps the IDs.
	if leaks := idLeaks(t, writeReceipt(t, receiptOf(rc, data, true))); len(leaks) == 0 {
		t.Error("the unmasked receipt holds no 身份证号")
	}
}

// TestReceiptOfMinimalWorkbook: a valid workbook with no styles.xml and a sheet without
// <sheetViews> (as some generators write them) gets its receipt without a panic.
func TestReceiptOfMinimalWorkbook(t *testing.T) {
	t.Parallel()
	data := minimalXLSX(t)
	rc := ingestReceipt(t, "第一书记_2024-05.xlsx", data)
	if len(rc.Issues) == 0 {
		t.Fatal("the minimal workbook should have problems to mark (no registry)")
	}
	f := open(t, writeReceipt(t, receiptOf(rc, data, false)))
	if got := f.GetSheetList(); len(got) != 2 {
		t.Errorf("sheets %q, want 问题清单 and the data", got)
	}
}

// minimalXLSX is the smallest package Excel opens: content types, relationships, a
// workbook and one sheet of inline strings; no styles, no theme, no sheet views.
func minimalXLSX(t *testing.T) []byte {
	t.Helper()
	head := []string{"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金", "实施项目数", "村集体增收", "办实事数", "化解矛盾纠纷数"}
	row := []string{"张三", qiancun.MakeID("37011219800101001"), "市委组织部", "370112001001", "20", "10", "1.5", "1", "0.5", "2", "1"}
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r, cells := range [][]string{head, row} {
		sheet.WriteString(`<row r="` + string(rune('1'+r)) + `">`)
		for c, v := range cells {
			sheet.WriteString(`<c r="` + cellName(c+1, r+1) + `" t="inlineStr"><is><t>` + v + `</t></is></c>`)
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testdataFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReceiptRowsBounded: past MaxRows, only the rows with a problem are copied.
func TestReceiptRowsBounded(t *testing.T) {
	t.Parallel()
	src := map[int][]string{}
	for r := 1; r <= 200; r++ {
		src[r] = []string{"行" + strconv.Itoa(r), strconv.Itoa(r)}
	}
	rc := &qiancun.Receipt{File: "大.csv", Sheet: "大", Status: qiancun.Rejected, ReceivedAt: made, Issues: []qiancun.Issue{
		{Sheet: "大", Cell: "B150", Column: "数", Value: "150", Rule: qiancun.BadInteger, Severity: qiancun.Error, Message: "坏"},
	}}
	f := open(t, writeReceipt(t, reports.ReceiptInput{Receipt: rc, Made: made, MaxRows: 100,
		Sheets: []reports.Sheet{{Name: "大", Rows: rowsOf(src)}}}))
	rows, err := f.GetRows("大")
	if err != nil {
		t.Fatal(err)
	}
	var kept []int
	for i, r := range rows {
		if len(r) > 0 {
			kept = append(kept, i+1)
		}
	}
	if len(kept) != 101 || kept[99] != 100 || kept[100] != 150 {
		t.Errorf("rows kept: %v", kept)
	}
	stringCell(t, f, "大", "B150", "150")
}

// TestAppraisalNamesMasked: a 身份证号 typed into a name is masked in the appraisal workbook
// unless it is asked for unmasked; a name that reads as a formula carries the quote prefix.
func TestAppraisalNamesMasked(t *testing.T) {
	t.Parallel()
	id := qiancun.MakeID("37010219660606006")
	for _, unmasked := range []bool{false, true} {
		r := smallRanking()
		r.Members[0].Name = "张三" + id
		var buf bytes.Buffer
		if err := reports.WriteAppraisal(&buf, reports.AppraisalInput{Ranking: r, Unmasked: unmasked, Made: made}); err != nil {
			t.Fatal(err)
		}
		f := open(t, buf.Bytes())
		want := "张三" + qiancun.MaskID(id)
		if unmasked {
			want = "张三" + id
		}
		if got := get(t, f, "排名", "D4"); got != want {
			t.Errorf("unmasked=%v: D4 = %q, want %q", unmasked, got, want)
		}
		if !unmasked && len(idLeaks(t, buf.Bytes())) > 0 {
			t.Errorf("the masked workbook holds 身份证号: %q", idLeaks(t, buf.Bytes()))
		}
		if !quotePrefixed(t, nil, f, "排名", "D5") {
			t.Errorf("D5 %q has no quote prefix", get(t, f, "排名", "D5"))
		}
	}
}

package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/synth"
)

// fastRow is a row as the fast reader gives it, with its kinds.
type fastRow struct {
	Num   int
	Cells []string
	Kinds []cellKind
}

// diffResult says how the fast reader fared on one file.
type diffResult struct {
	declined bool // at open, or for some sheet part-way
	refused  bool // a sheet's rows are out of order
	rows     int
}

// diffRead reads data with the fast reader and with excelize, and fails the test unless
// they give the same sheets and the same cells, or the fast reader declined. Where the
// fast reader read a cell, its kind must match excelize's cell type (checked when
// withTypes, since excelize's GetCellType loads the whole sheet).
func diffRead(t testing.TB, data []byte, lim Limits, withTypes bool) diffResult {
	t.Helper()
	lim = lim.orDefault()
	var res diffResult
	// excelize reads the package that openPackage returns, as openSlowXLSX has it do; the
	// fast reader reads the file itself, as openXLSX has it do, and checks each sheet as
	// it streams it.
	pkg, err := openPackage(data, lim)
	if err != nil {
		res.refused = true
		fastRefuses(t, data, lim, err)
		return res
	}
	slow, slowErr := openExcelize(pkg, lim)
	fb, err := openFastXLSX(bytes.NewReader(data), lim, nil)
	if err != nil {
		var d *declined
		if errors.As(err, &d) {
			res.declined = true
			if slow != nil {
				slow.Close()
			}
			return res
		}
		// The fast reader refused the file outright: excelize must refuse it too.
		if slowErr == nil {
			t.Fatalf("fast reader: %v; excelize opened the file", err)
		}
		return res
	}
	defer fb.Close()
	if slowErr != nil {
		// excelize refuses what the fast reader opened: excelize reads parts the fast
		// reader does not (themes, document properties), and may find fault there.
		t.Logf("excelize refused: %v", slowErr)
		return res
	}
	defer slow.Close()
	if diff := cmp.Diff(slow.Sheets(), fb.Sheets()); diff != "" {
		t.Fatalf("sheets (-excelize +fast):\n%s", diff)
	}
	var xf *excelize.File
	if withTypes {
		xf = slow.(*xlsxBook).f
	}
	for _, sh := range fb.Sheets() {
		want, wantErr := readRows(slow, sh.Name)
		it, err := fb.Rows(sh.Name)
		if err != nil {
			t.Fatalf("fast Rows(%q): %v", sh.Name, err)
		}
		var got []readRow
		var kinds [][]cellKind
		fr, isFast := it.(*fastRows)
		for it.Next() {
			got = append(got, readRow{it.Num(), slices.Clone(it.Cells())})
			if isFast && fr.slow == nil {
				kinds = append(kinds, slices.Clone(fr.Kinds()))
			}
		}
		gotErr := it.Err()
		it.Close()
		if !isFast || fr.slow != nil {
			res.declined = true
		}
		if gotErr != nil && strings.Contains(gotErr.Error(), "行顺序错乱") {
			// rows out of order: excelize merges them into the rows before, so the fast
			// reader refuses the file instead; nothing to compare
			res.refused = true
			continue
		}
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("sheet %q: excelize error %v, fast error %v", sh.Name, wantErr, gotErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("sheet %q rows (-excelize +fast):\n%s", sh.Name, diff)
		}
		res.rows += len(got)
		if xf == nil {
			continue
		}
	types:
		for r, ks := range kinds {
			for c, k := range ks {
				if k == kindEmpty {
					continue
				}
				ref, _ := excelize.CoordinatesToCellName(c+1, got[r].Num)
				ct, err := xf.GetCellType(sh.Name, ref)
				if err != nil {
					// GetCellType parses the whole sheet at once, and may fail where the
					// row iterator did not (XML broken past the rows the fast reader read
					// before it stepped aside): nothing to compare.
					t.Logf("excelize gives no cell types: %v", err)
					break types
				}
				if want := excelizeKind(ct); !kindMatches(k, want) {
					t.Fatalf("sheet %q %s: fast kind %d, excelize type %d", sh.Name, ref, k, ct)
				}
			}
		}
	}
	return res
}

// fastRefuses fails the test unless the fast reader, reading every sheet of data to its
// end, refuses the file that openPackage refused (with why): at once, or with a *FileError
// from some sheet's rows (its own checks, or excelize's package check once it stepped
// aside). It may refuse for another reason than openPackage did.
func fastRefuses(t testing.TB, data []byte, lim Limits, why error) {
	t.Helper()
	fb, err := openFastXLSX(bytes.NewReader(data), lim, nil)
	if err != nil {
		return // refused, or declined: then openSlowXLSX refuses as openPackage did
	}
	defer fb.Close()
	for _, sh := range fb.Sheets() {
		_, err := readRows(fb, sh.Name)
		var fe *FileError
		if errors.As(err, &fe) {
			return
		}
	}
	t.Fatalf("openPackage refused the file (%v); the fast reader read every sheet", why)
}

// excelizeKind maps excelize's cell type to a kind (a date-formatted number is a number
// to excelize).
func excelizeKind(ct excelize.CellType) cellKind {
	switch ct {
	case excelize.CellTypeUnset, excelize.CellTypeNumber:
		return kindNumber
	case excelize.CellTypeSharedString:
		return kindShared
	case excelize.CellTypeInlineString:
		return kindInline
	case excelize.CellTypeFormula:
		return kindFormulaStr
	case excelize.CellTypeBool:
		return kindBool
	case excelize.CellTypeError:
		return kindError
	case excelize.CellTypeDate:
		return kindISODate
	}
	return 255
}

func kindMatches(got, want cellKind) bool {
	return got == want || got == kindDate && want == kindNumber
}

// sheetXLSX is a one-sheet workbook whose sheetData is rows, with the given shared
// strings and cell formats.
func sheetXLSX(t testing.TB, rows string, sst []string, numFmts string, xfs []int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	const decl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	put("[Content_Types].xml", decl+`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`+
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`+
		`</Types>`)
	put("_rels/.rels", decl+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", decl+`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", decl+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`+
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	var xs strings.Builder
	for _, id := range xfs {
		fmt.Fprintf(&xs, `<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0"/>`, id)
	}
	put("xl/styles.xml", decl+`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+numFmts+
		`<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`+xs.String()+`</cellXfs></styleSheet>`)
	put("xl/sharedStrings.xml", decl+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+strings.Join(sst, "")+`</sst>`)
	put("xl/worksheets/sheet1.xml", decl+`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<dimension ref="A1:C3"/><sheetData>`+rows+`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFastReaderCells reads hand-written sheets with the fast reader: each case gives the
// rows and kinds it must read, worked out by hand from the XML, and excelize must agree.
// The cases it must decline give no rows.
func TestFastReaderCells(t *testing.T) {
	t.Parallel()
	sst := []string{
		`<si><t>姓名</t></si>`,
		`<si><r><rPr><b/><sz val="11"/></rPr><t>济南</t></r><r><t xml:space="preserve"> 历城区</t></r></si>`,
		`<si><t>张三</t><rPh sb="0" eb="2"><t>ちょう</t></rPh><phoneticPr fontId="1"/></si>`,
		`<si><t>A&amp;B &lt;1&gt; &#x4E00;&#20108;</t></si>`,
		`<si><t/></si>`,
		`<si><t>a_x000D_b</t></si>`, // 5: an escape only excelize decodes
	}
	numFmts := `<numFmts count="2"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="0.00_);[Red]\(0.00\)"/></numFmts>`
	xfs := []int{14, 176, 177, 4} // s=1 built-in date, s=2 custom date, s=3 custom number, s=4 built-in number
	tests := []struct {
		name    string
		rows    string
		want    []fastRow
		decline bool
	}{{
		name: "types n s str inlineStr b e d",
		rows: `<row r="1" spans="1:9"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>12.5</v></c><c r="C1" t="n"><v>-3</v></c>` +
			`<c r="D1" t="str"><f>A1&amp;"x"</f><v>姓名x</v></c><c r="E1" t="inlineStr"><is><t>内联</t></is></c>` +
			`<c r="F1" t="b"><v>1</v></c><c r="G1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="H1" t="d"><v>2024-05-03T00:00:00Z</v></c>` +
			`<c r="I1" t="s"><v>1</v></c></row>`,
		want: []fastRow{{1,
			[]string{"姓名", "12.5", "-3", "姓名x", "内联", "1", "#DIV/0!", "2024-05-03T00:00:00Z", "济南 历城区"},
			[]cellKind{kindShared, kindNumber, kindNumber, kindFormulaStr, kindInline, kindBool, kindError, kindISODate, kindShared}}},
	}, {
		name: "gaps in rows and cells, refs left out",
		rows: `<row r="2"><c r="C2" t="s"><v>2</v></c></row><row r="5"><c><v>1</v></c><c><v>2</v></c><c r="E5"><v>5</v></c><c><v>6</v></c></row>` +
			`<row><c r="B6" t="s"><v>3</v></c></row><row r="9"/><row r="10"><c r="A10" s="1"/><c r="B10" t="s"><v>4</v></c></row>`,
		want: []fastRow{
			{2, []string{"", "", "张三"}, []cellKind{kindEmpty, kindEmpty, kindShared}},
			{5, []string{"1", "2", "", "", "5", "6"}, []cellKind{kindNumber, kindNumber, kindEmpty, kindEmpty, kindNumber, kindNumber}},
			{6, []string{"", "A&B <1> 一二"}, []cellKind{kindEmpty, kindShared}},
		},
	}, {
		name: "dates by style, formulas cached, exponent numbers",
		rows: `<row r="1"><c r="A1" s="1"><v>45415</v></c><c r="B1" s="2"><v>45415.5</v></c><c r="C1" s="3"><v>1.5</v></c>` +
			`<c r="D1" s="4"><f>C1*2</f><v>3</v></c><c r="E1"><v>3.7011219850312102E+17</v></c><c r="F1"><f>E1</f></c><c r="G1"><v>1E-3</v></c></row>`,
		want: []fastRow{{1,
			[]string{"45415", "45415.5", "1.5", "3", "370112198503121000", "", "0.001"},
			[]cellKind{kindDate, kindDate, kindNumber, kindNumber, kindNumber, kindEmpty, kindNumber}}},
	}, {
		name: "white space and entities kept as typed",
		rows: "<row r=\"1\">\n  <c r=\"A1\" t=\"inlineStr\"><is><r><t xml:space=\"preserve\"> 3,000</t></r><r><rPr><i/></rPr><t>元 </t></r></is></c>\n" +
			"  <c r='B1' t=\"inlineStr\"><is><t>第一行\n第二行&#10;&#9;</t></is></c>\n</row>\n",
		want: []fastRow{{1, []string{" 3,000元 ", "第一行\n第二行\n\t"}, []cellKind{kindInline, kindInline}}},
	}, {
		name: "shared formula followers and an empty shared string",
		rows: `<row r="3"><c r="A3"><f t="shared" ref="A3:A4" si="0">1+1</f><v>2</v></c><c r="B3" t="s"><v>4</v></c><c r="C3" t="s"><v>0</v></c></row>` +
			`<row r="4"><c r="A4"><f t="shared" si="0"/><v>2</v></c></row>`,
		want: []fastRow{
			{3, []string{"2", "", "姓名"}, []cellKind{kindNumber, kindEmpty, kindShared}},
			{4, []string{"2"}, []cellKind{kindNumber}},
		},
	},
		{name: "rows out of order", rows: `<row r="2"><c r="A2"><v>2</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>`, decline: true},
		{name: "cells out of order", rows: `<row r="1"><c r="B1"><v>2</v></c><c r="A1"><v>1</v></c></row>`, decline: true},
		{name: "cell of another row", rows: `<row r="1"><c r="A2"><v>2</v></c></row>`, decline: true},
		{name: "an _x escape in a shared string", rows: `<row r="1"><c r="A1" t="s"><v>5</v></c></row>`, decline: true},
		{name: "shared string out of range", rows: `<row r="1"><c r="A1" t="s"><v>99</v></c></row>`, decline: true},
		{name: "CDATA", rows: `<row r="1"><c r="A1" t="str"><v><![CDATA[x]]></v></c></row>`, decline: true},
		{name: "comment", rows: `<row r="1"><!-- x --><c r="A1"><v>1</v></c></row>`, decline: true},
		{name: "raw carriage return", rows: "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\r\nb</t></is></c></row>", decline: true},
		{name: "unknown entity", rows: `<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>`, decline: true},
		{name: "two texts in a run", rows: `<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t><t>b</t></r></is></c></row>`, decline: true},
		{name: "a text after the runs", rows: `<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><t>b</t></is></c></row>`, decline: true},
		{name: "unknown type", rows: `<row r="1"><c r="A1" t="x"><v>1</v></c></row>`, decline: true},
		{name: "prefixed elements", rows: `<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>`, decline: true},
		{name: "a row wider than Excel's", rows: `<row r="1">` + strings.Repeat(`<c/>`, maxCellsPerRow+1) + `</row>`, decline: true},
		{name: "row beyond Excel", rows: `<row r="1048577"><c r="A1048577"><v>1</v></c></row>`, decline: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := sheetXLSX(t, tt.rows, sst, numFmts, xfs)
			fb, err := openFastXLSX(bytes.NewReader(data), DefaultLimits(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer fb.Close()
			it, err := fb.Rows("数据")
			if err != nil {
				t.Fatal(err)
			}
			fr := it.(*fastRows)
			var got []fastRow
			for it.Next() && fr.slow == nil {
				got = append(got, fastRow{it.Num(), slices.Clone(it.Cells()), slices.Clone(fr.Kinds())})
			}
			if err := it.Err(); err != nil && !tt.decline {
				t.Fatal(err)
			}
			it.Close()
			if stepped := fr.slow != nil || it.Err() != nil; stepped != tt.decline {
				t.Fatalf("stepped aside: %v, want %v", stepped, tt.decline)
			}
			if !tt.decline {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
			}
			diffRead(t, data, Limits{}, true)
		})
	}
}

// TestFastReaderStepsAsidePartWay: a sheet that turns strange after some rows is read by
// the fast reader up to there and by excelize from the next row on, with nothing lost or
// given twice.
func TestFastReaderStepsAsidePartWay(t *testing.T) {
	t.Parallel()
	var rows strings.Builder
	for r := 1; r <= 50; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d"><v>%d</v></c></row>`, r, r, r)
	}
	rows.WriteString(`<row r="51"><c r="A51" t="inlineStr"><is><t>a_x005F_b</t></is></c></row>`)
	for r := 52; r <= 60; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d"><v>%d</v></c></row>`, r, r, r)
	}
	data := sheetXLSX(t, rows.String(), nil, "", nil)
	b, err := Open("a.xlsx", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := readRows(b, "数据")
	if err != nil {
		t.Fatal(err)
	}
	var want []readRow
	for r := 1; r <= 60; r++ {
		v := fmt.Sprint(r)
		if r == 51 {
			v = "a_b"
		}
		want = append(want, readRow{r, []string{v}})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestDateFormat checks the date test of number formats against formats worked by hand.
func TestDateFormat(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{
		"yyyy-mm-dd":                   true,
		`yyyy"年"m"月"d"日"`:              true,
		"[$-804]aaaa;@":                false,
		"h:mm:ss AM/PM":                true,
		"[h]:mm":                       true,
		"0.00":                         false,
		`#,##0.00_);[Red]\(#,##0.00\)`: false,
		`0"天"`:                         false,
		`"d"0`:                         false,
		`\d0`:                          false,
		"General":                      false,
		"dd":                           true,
		`[$-804]d"日"`:                  true,
		"0.00E+00":                     false,
		`[Red]0;[Blue]yyyy`:            false,
		"[$-F800]dddd, mmmm dd, yyyy":  true,
	} {
		if got := dateFormat(code); got != want {
			t.Errorf("dateFormat(%q) = %v, want %v", code, got, want)
		}
	}
	for id, want := range map[int]bool{0: false, 4: false, 14: true, 22: true, 31: true, 49: false, 57: true} {
		if got := builtinDate(id); got != want {
			t.Errorf("builtinDate(%d) = %v, want %v", id, got, want)
		}
	}
}

// TestFastReaderFixtures: the files in testdata and those the readers' tests build are
// read alike by both readers, and the fast reader takes them all.
func TestFastReaderFixtures(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{"fs_libreoffice.xlsx": testdata(t, "fs_libreoffice.xlsx")}
	files["excelize"] = xlsxFile(t, func(f *excelize.File) {
		check(t, f.SetCellStr("Sheet1", "A1", "标题"))
		check(t, f.SetCellInt("Sheet1", "B3", 20))
		check(t, f.SetCellFloat("Sheet1", "C3", -0.07, -1, 64))
		check(t, f.SetCellBool("Sheet1", "D3", true))
		check(t, f.SetCellFormula("Sheet1", "E3", "B3*2"))
		check(t, f.SetCellRichText("Sheet1", "F3", []excelize.RichTextRun{{Text: "济南"}, {Text: "市", Font: &excelize.Font{Bold: true}}}))
		_, err := f.NewSheet("隐藏")
		check(t, err)
		check(t, f.SetSheetVisible("隐藏", false))
		check(t, f.SetCellStr("隐藏", "A1", "隐藏"))
	})
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if res := diffRead(t, data, Limits{}, true); res.declined {
				t.Errorf("the fast reader declined %s", name)
			}
		})
	}
}

// TestFastReaderGenerated: the generator's files at the demo and city scales, clean and
// messy, are read alike by both readers, and the fast reader takes every .xlsx. (The
// national scale is BenchmarkDiffNational's.)
func TestFastReaderGenerated(t *testing.T) {
	t.Parallel()
	scales := []synth.Scale{synth.Demo, synth.City}
	if testing.Short() {
		scales = scales[:1]
	}
	for _, scale := range scales {
		for _, messy := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/messy=%v", scale, messy), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				sum, err := synth.Generate(context.Background(), dir, synth.Options{
					Scale: scale, Messy: messy, Seed: 7, Months: []qiancun.Month{{Year: 2024, Month: 5}}})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, f := range sum.Files {
					if filepath.Ext(f) != ".xlsx" {
						continue
					}
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					res := diffRead(t, data, Limits{}, scale == synth.Demo)
					if res.declined {
						t.Errorf("%s: the fast reader declined", filepath.Base(f))
					}
					n += res.rows
				}
				if n == 0 {
					t.Fatal("no rows read")
				}
			})
		}
	}
}

// FuzzFastXLSX sets fuzzed XML into a sheet's rows (and, in turn, its shared strings):
// the fast reader and excelize must agree, or the fast reader must decline. The seeds
// run with every `go test`.
func FuzzFastXLSX(f *testing.F) {
	for _, s := range []string{
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>12.5</v></c></row>`,
		`<row><c t="s"><v>1</v></c><c t="str"><f>A1</f><v>x</v></c></row><row r="4"><c r="C4" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row>`,
		`<row r="2"><c r="A2" t="b"><v>0</v></c><c r="B2" t="e"><v>#N/A</v></c><c r="C2" t="d"><v>2024-05-03</v></c><c r="D2" s="1"><v>45415</v></c></row>`,
		`<row r="1"><c r="A1" t="inlineStr"><is><t>&amp;&#x4E00;&#20108;&gt;</t></is></c></row>`,
		`<row r="3" spans="1:2" ht="20" customHeight="1"><c r="A3"><v> 3.7E+17 </v></c></row><row r="1"><c r="A1"><v>1</v></c></row>`,
		`<row r="1"><c r="A1" t="s"><v>2</v></c></row>`,
	} {
		f.Add(s, `<si><t>姓名</t></si><si><r><t>济</t></r><r><rPr><b/></rPr><t>南</t></r></si>`)
	}
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`, `<si><t>a_x0041_</t></si>`)
	f.Fuzz(func(t *testing.T, rows, sst string) {
		data := sheetXLSX(t, rows, []string{sst}, "", []int{14})
		diffRead(t, data, fuzzLimits, true)
	})
}

// BenchmarkDiffNational holds the fast reader to excelize on every .xlsx of the national
// scale, clean and messy (cell values; cell types are checked at the smaller scales, since
// excelize's GetCellType loads whole sheets). It is a benchmark so that the normal test run
// does not generate and read half a million rows twice; run it once:
//
//	go test ./ingest -run '^$' -bench DiffNational -benchtime 1x -timeout 60m
func BenchmarkDiffNational(b *testing.B) {
	dir := os.Getenv("QIANCUN_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	for b.Loop() {
		for _, messy := range []bool{false, true} {
			sub := filepath.Join(dir, fmt.Sprintf("diff-national-%s-messy=%v", synth.Version, messy))
			done := filepath.Join(sub, "complete")
			var files []string
			if _, err := os.Stat(done); err != nil {
				sum, err := synth.Generate(context.Background(), sub, synth.Options{
					Scale: synth.National, Seed: 1, Messy: messy, Months: []qiancun.Month{{Year: 2024, Month: 5}}})
				if err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(done, nil, 0o644); err != nil {
					b.Fatal(err)
				}
				files = sum.Files
			} else {
				files, _ = filepath.Glob(filepath.Join(sub, "*.xlsx"))
			}
			for _, f := range files {
				if filepath.Ext(f) != ".xlsx" {
					continue
				}
				data, err := os.ReadFile(f)
				if err != nil {
					b.Fatal(err)
				}
				res := diffRead(b, data, Limits{}, false)
				if res.declined {
					b.Errorf("%s: the fast reader declined", filepath.Base(f))
				}
				b.Logf("%s (messy %v): %d rows alike", filepath.Base(f), messy, res.rows)
			}
		}
	}
}

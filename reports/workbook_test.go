package reports_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// Helpers that read a workbook back as content: its parts, and what every report sheet
// must have (title rows, frozen header, autofilter, print setup).

// part returns a part of the workbook's package, or "" when it has none.
func part(t testing.TB, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("workbook is not a zip: %v", err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	return ""
}

// sheetPart returns the path of the part of the named sheet, through workbook.xml and its
// relationships.
func sheetPart(t testing.TB, data []byte, sheet string) string {
	t.Helper()
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal([]byte(part(t, data, "xl/workbook.xml")), &wb); err != nil {
		t.Fatal(err)
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal([]byte(part(t, data, "xl/_rels/workbook.xml.rels")), &rels); err != nil {
		t.Fatal(err)
	}
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID == s.ID {
				if strings.HasPrefix(r.Target, "/") {
					return strings.TrimPrefix(r.Target, "/")
				}
				return path.Join("xl", r.Target)
			}
		}
	}
	t.Fatalf("no sheet %q", sheet)
	return ""
}

// checkReportSheet checks what every report sheet has: the title in row 1 and what it
// covers in row 2, both merged across the table; the header in row 3, frozen, with an
// autofilter over the table; A4 landscape fitted to the page width, rows 1–3 repeated on
// every page, and the page number and count in the footer.
func checkReportSheet(t *testing.T, data []byte, f *excelize.File, sheet string, titleHas []string, headers []string, bodyRows int) {
	t.Helper()
	title := get(t, f, sheet, "A1")
	for _, s := range titleHas {
		if !strings.Contains(title, s) {
			t.Errorf("%s: title %q lacks %q", sheet, title, s)
		}
	}
	if info := get(t, f, sheet, "A2"); !strings.Contains(info, "制表时间：2024-07-01 10:30") {
		t.Errorf("%s: row 2 %q lacks the time of making", sheet, info)
	}
	var got []string
	for i := range headers {
		got = append(got, get(t, f, sheet, cellName(i+1, 3)))
	}
	if diff := cmp.Diff(headers, got); diff != "" {
		t.Errorf("%s: headers (-want +got):\n%s", sheet, diff)
	}
	last, _ := excelize.ColumnNumberToName(len(headers))
	merges, err := f.GetMergeCells(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, m := range merges {
		refs = append(refs, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	if diff := cmp.Diff([]string{"A1:" + last + "1", "A2:" + last + "2"}, refs); diff != "" {
		t.Errorf("%s: merged cells (-want +got):\n%s", sheet, diff)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 3 || panes.XSplit != 0 || panes.TopLeftCell != "A4" {
		t.Errorf("%s: panes %+v, want rows 1-3 frozen", sheet, panes)
	}
	sx := part(t, data, sheetPart(t, data, sheet))
	wantFilter := `<autoFilter ref="$A$3:$` + last + `$` + strconv.Itoa(3+max(bodyRows, 1)) + `">`
	if !strings.Contains(sx, wantFilter) {
		t.Errorf("%s: no %s in the sheet", sheet, wantFilter)
	}
	layout, err := f.GetPageLayout(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if *layout.Size != 9 || *layout.Orientation != "landscape" || *layout.FitToWidth != 1 || *layout.FitToHeight != 0 {
		t.Errorf("%s: page layout size %d, %s, fit %d×%d; want A4 (9), landscape, fit 1×0", sheet,
			*layout.Size, *layout.Orientation, *layout.FitToWidth, *layout.FitToHeight)
	}
	props, err := f.GetSheetProps(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !*props.FitToPage {
		t.Errorf("%s: fit to page is off", sheet)
	}
	margins, err := f.GetPageMargins(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if *margins.Left != 0.4 || *margins.Top != 0.6 || !*margins.Horizontally {
		t.Errorf("%s: margins left %g top %g centred %v", sheet, *margins.Left, *margins.Top, *margins.Horizontally)
	}
	hf, err := f.GetHeaderFooter(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hf.OddFooter, "&P") || !strings.Contains(hf.OddFooter, "&N") {
		t.Errorf("%s: footer %q has no page number and count", sheet, hf.OddFooter)
	}
	titles := ""
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" && dn.Scope == sheet {
			titles = dn.RefersTo
		}
	}
	if want := "'" + sheet + "'!$1:$3"; titles != want {
		t.Errorf("%s: print titles %q, want %q", sheet, titles, want)
	}
}

// numFmt is the number format of a cell's style.
func numFmt(t testing.TB, f *excelize.File, sheet, cell string) int {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.NumFmt
}

// exact formats v / 10^scale exactly, without trailing zeros: (123456, 6) → "0.123456".
func exact(v int64, scale int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for len(s) <= scale {
		s = "0" + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if neg && s != "0" {
		s = "-" + s
	}
	return s
}

// stringCell checks that a cell holds want as a string, with no formula.
func stringCell(t *testing.T, f *excelize.File, sheet, cell, want string) {
	t.Helper()
	if got := get(t, f, sheet, cell); got != want {
		t.Errorf("%s!%s = %q, want %q", sheet, cell, got, want)
	}
	formula, err := f.GetCellFormula(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	typ, err := f.GetCellType(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	if formula != "" || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
		t.Errorf("%s!%s: formula %q, type %v; want a string cell with no formula", sheet, cell, formula, typ)
	}
}

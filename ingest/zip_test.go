package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// withPart returns the package data with a part added (or replaced) whose header declares
// declared bytes unpacked and whose stored bytes are raw, never a valid deflate stream of
// that size: a reader that inflates the part fails, one that leaves it alone does not.
func withPart(t testing.TB, data []byte, name string, declared uint64, raw []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	check2(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name != name {
			check2(t, zw.Copy(zf))
		}
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: declared, CRC32: 1})
	check2(t, err)
	_, err = w.Write(raw)
	check2(t, err)
	check2(t, zw.Close())
	return out.Bytes()
}

// withSheetXML replaces the first sheet's XML with body, deflated honestly.
func withSheetXML(t testing.TB, data []byte, body string) []byte {
	t.Helper()
	return patchZip(t, data, "xl/worksheets/sheet1.xml", func(string) string { return body })
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

func TestPackageLimits(t *testing.T) {
	t.Parallel()
	base := xlsxFile(t, func(f *excelize.File) {
		check(t, f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "数值"}))
		check(t, f.SetSheetRow("Sheet1", "A2", &[]any{"张三", 1}))
	})
	garbage := bytes.Repeat([]byte{0xFF}, 4096) // not a deflate stream
	const huge = 3 << 29                        // 1.5 GiB
	wide := sheetHead + `<row r="1">` + strings.Repeat(`<c t="inlineStr"><is><t>x</t></is></c>`, maxCellsPerRow+1) + `</row>` + sheetTail
	var blank strings.Builder
	blank.WriteString(sheetHead + `<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>`)
	for r := 2; r <= 3000; r++ {
		fmt.Fprintf(&blank, `<row r="%d"/>`, r)
	}
	blank.WriteString(sheetTail)
	tests := []struct {
		name string
		data []byte
		lim  Limits
		msg  string // "" when the file must read as base does
	}{
		{"a media part is never inflated", withPart(t, base, "xl/media/image1.png", huge, garbage), Limits{}, ""},
		{"an embedded object is never inflated", withPart(t, base, "xl/embeddings/oleObject1.bin", huge, garbage), Limits{}, ""},
		{"a drawing is never inflated", withPart(t, base, "xl/drawings/drawing1.xml", huge, garbage), Limits{}, ""},
		{"styles of 1.5 GiB", withPart(t, base, "xl/styles.xml", huge, garbage), Limits{}, "文件中的样式表解压后过大（超过 16 MB），可能已损坏，请检查后重新上传"},
		{"shared strings of 1.5 GiB", withPart(t, base, "xl/sharedStrings.xml", huge, garbage), Limits{}, "文件中的共享字符串表解压后过大（超过 64 MB），可能已损坏，请检查后重新上传"},
		{"a workbook part of 1.5 GiB", withPart(t, base, "xl/workbook.xml", huge, garbage), Limits{}, "文件中的工作簿结构解压后过大（超过 8 MB），可能已损坏，请检查后重新上传"},
		{"a sheet of 1.5 GiB", withPart(t, base, "xl/worksheets/sheet1.xml", huge, garbage), Limits{}, msgUnpacked},
		{"sheets of 600 MB together", withPart(t, withPart(t, base, "xl/worksheets/sheet2.xml", 300<<20, garbage), "xl/worksheets/sheet3.xml", 300<<20, garbage), Limits{}, msgUnpacked},
		{"a row wider than Excel's", withSheetXML(t, base, wide), Limits{}, fmt.Sprintf(msgTooManyCells, 1, maxCellsPerRow)},
		{"blank rows over the row limit", withSheetXML(t, base, blank.String()), Limits{MaxRows: 1000}, fmt.Sprintf(msgTooManyRowsAll, 1000)},
		{"blank rows within it", withSheetXML(t, base, blank.String()), Limits{MaxRows: 3000}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sheets, err := readAll("a.xlsx", tt.data, tt.lim)
			if tt.msg == "" {
				if err != nil || len(sheets) == 0 || len(sheets[0].Rows) == 0 {
					t.Fatalf("read %v, err %v; want the rows", sheets, err)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Message != tt.msg {
				t.Errorf("err = %v, want a FileError saying %q", err, tt.msg)
			}
		})
	}
}

// TestBlankRowsPastTheLimit: a sheet whose few rows jump past the row limit, the last one
// blank (excelize yields every missing row number as a blank row), is refused when the count
// passes the limit rather than read to its end.
func TestBlankRowsPastTheLimit(t *testing.T) {
	t.Parallel()
	base := xlsxFile(t, func(f *excelize.File) {})
	body := sheetHead + `<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="900000"><c r="A900000" s="0"/></row>` + sheetTail
	_, err := readAll("a.xlsx", withSheetXML(t, base, body), Limits{MaxRows: 5000})
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "行数超过上限（5000 行）") {
		t.Errorf("err = %v, want the row limit", err)
	}
}

// endlessRow is an unbounded sheet: one row of ever more cells.
type endlessRow struct{ n int64 }

func (r *endlessRow) Read(p []byte) (int, error) {
	const cell = `<c r="A1" t="inlineStr"><is><t>x</t></is></c>`
	head := sheetHead + `<row r="1">`
	n := 0
	for n < len(p) {
		var s string
		if r.n == 0 {
			s = head
		} else {
			s = cell
		}
		if len(p)-n < len(s) {
			break
		}
		n += copy(p[n:], s)
		r.n++
	}
	return n, nil
}

// TestWideRowStopsEarly: the scan stops reading a row at the cell limit; the bytes it takes
// are bounded by the limit, not by the row.
func TestWideRowStopsEarly(t *testing.T) {
	t.Parallel()
	sc := &sheetScan{maxRows: 10, maxCells: maxCellsPerRow}
	src := &endlessRow{}
	counted := &countingReader{r: src}
	_, err := io.Copy(sc, io.LimitReader(counted, 1<<30))
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FileError", err)
	}
	if limit := int64(maxCellsPerRow+2) * 64; counted.n > limit+64<<10 {
		t.Errorf("read %d bytes of an endless row, want at most about %d", counted.n, limit)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestTempDir: a sheet too large to unpack in memory is unpacked into Limits.TempDir, and
// removed from it when the book is closed.
func TestTempDir(t *testing.T) {
	t.Parallel()
	var body strings.Builder
	body.WriteString(sheetHead)
	for r := 1; body.Len() < 17<<20; r++ {
		fmt.Fprintf(&body, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>济南市第一书记工作情况统计表</t></is></c></row>`, r, r)
	}
	body.WriteString(sheetTail)
	data := withSheetXML(t, xlsxFile(t, func(f *excelize.File) {}), body.String())
	dir := t.TempDir()
	b, err := Open("a.xlsx", data, Limits{TempDir: dir})
	check(t, err)
	it, err := b.Rows(b.Sheets()[0].Name)
	check(t, err)
	if !it.Next() {
		t.Fatalf("no row: %v", it.Err())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "excelize-*"))
	if len(files) == 0 {
		t.Error("the large sheet was not unpacked into Limits.TempDir")
	}
	check(t, it.Close())
	check(t, b.Close())
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("left behind: %q", files)
	}
}

// TestChartSheetKept: a workbook with a chart sheet beside its data reads as before: the
// chart's drawing is dropped, the chart sheet itself is kept.
func TestChartSheetKept(t *testing.T) {
	t.Parallel()
	data := xlsxFile(t, func(f *excelize.File) {
		check(t, f.SetSheetRow("Sheet1", "A1", &[]any{"月", "数"}))
		check(t, f.SetSheetRow("Sheet1", "A2", &[]any{"五月", 3}))
		check(t, f.AddChartSheet("图表", &excelize.Chart{Type: excelize.Col,
			Series: []excelize.ChartSeries{{Name: "Sheet1!$B$1", Categories: "Sheet1!$A$2", Values: "Sheet1!$B$2"}}}))
	})
	sheets, err := readAll("a.xlsx", data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sheets {
		names = append(names, s.Info.Name)
	}
	if len(names) != 2 || len(sheets[0].Rows) != 2 {
		t.Errorf("sheets %q, rows %v", names, sheets)
	}
}

// TestSheetScanSplit: the scan counts the same however the XML is cut into writes.
func TestSheetScanSplit(t *testing.T) {
	t.Parallel()
	xml := []byte(sheetHead + `<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><c r="B1" t="inlineStr"><is><t>a</t></is></c></x:row>` +
		`<row r="2"><c r="A2"/><c r="B2"></c><cols><col min="1"/></cols></row><row r="3"/>` + sheetTail)
	for _, step := range []int{1, 2, 3, 7, len(xml)} {
		sc := &sheetScan{maxRows: 100, maxCells: 100}
		for i := 0; i < len(xml); i += step {
			if _, err := sc.Write(xml[i:min(i+step, len(xml))]); err != nil {
				t.Fatal(err)
			}
		}
		if sc.rows != 3 || sc.cells != 0 {
			t.Errorf("step %d: %d rows, %d cells in the last; want 3 and 0", step, sc.rows, sc.cells)
		}
		sc = &sheetScan{maxRows: 100, maxCells: 1}
		var err error
		for i := 0; i < len(xml) && err == nil; i += step {
			_, err = sc.Write(xml[i:min(i+step, len(xml))])
		}
		if err == nil || sc.rows != 1 {
			t.Errorf("step %d: a row of two cells passed a limit of one (row %d, err %v)", step, sc.rows, err)
		}
	}
}

// BenchmarkSheetScan compares inflating a 100,000-row sheet to nowhere (the floor: what the
// package check cost before it counted rows and cells) with inflating it through the scan.
func BenchmarkSheetScan(b *testing.B) {
	data := xlsxFile(b, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		check2(b, err)
		for r := 1; r <= 100_000; r++ {
			row := []any{r, "张三", "370112198503121236", "市委组织部", "370112001001", 22, 12.5, -3.5, 45415}
			check2(b, sw.SetRow(fmt.Sprintf("A%d", r), row))
		}
		check2(b, sw.Flush())
	})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	check2(b, err)
	var sheet *zip.File
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" {
			sheet = zf
		}
	}
	run := func(b *testing.B, w func() io.Writer) {
		b.SetBytes(int64(sheet.UncompressedSize64))
		for b.Loop() {
			rc, err := sheet.Open()
			check2(b, err)
			_, err = io.Copy(w(), rc)
			check2(b, err)
			rc.Close()
		}
	}
	b.Run("discard", func(b *testing.B) { run(b, func() io.Writer { return io.Discard }) })
	b.Run("scan", func(b *testing.B) {
		run(b, func() io.Writer { return &sheetScan{maxRows: 1 << 30, maxCells: maxCellsPerRow} })
	})
}

package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// withSheetCRC returns data with the first sheet's XML replaced by body, deflated
// honestly, under a checksum that does not match it.
func withSheetCRC(t testing.TB, data []byte, body string) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestSpeed)
	check2(t, err)
	_, err = io.WriteString(fw, body)
	check2(t, err)
	check2(t, fw.Close())
	return withPart(t, data, "xl/worksheets/sheet1.xml", uint64(len(body)), comp.Bytes())
}

// TestSheetChecksWhileStreaming: the fast reader checks a worksheet as it reads it, rather
// than inflating it once more beforehand: it gives the rows up to the point of failure,
// then ends with the package check's *FileError, without stepping aside for excelize.
func TestSheetChecksWhileStreaming(t *testing.T) {
	t.Parallel()
	base := xlsxFile(t, func(f *excelize.File) {})
	rows := func(n int, row func(r int) string) string {
		var sb strings.Builder
		sb.WriteString(sheetHead)
		for r := 1; r <= n; r++ {
			sb.WriteString(row(r))
		}
		sb.WriteString(sheetTail)
		return sb.String()
	}
	plain := func(r int) string { return fmt.Sprintf(`<row r="%d"><c r="A%d"><v>%d</v></c></row>`, r, r, r) }
	tests := []struct {
		name string
		data []byte
		lim  Limits
		rows int // given before the error
		msg  string
	}{
		{"rows over the limit", withSheetXML(t, base, rows(3000, plain)), Limits{MaxRows: 1000}, 1000, fmt.Sprintf(msgTooManyRowsAll, 1000)},
		{"blank rows over the limit", withSheetXML(t, base, rows(3000, func(r int) string {
			if r <= 10 {
				return plain(r)
			}
			return fmt.Sprintf(`<row r="%d"/>`, r)
		})), Limits{MaxRows: 1000}, 10, fmt.Sprintf(msgTooManyRowsAll, 1000)},
		{"a row wider than Excel's", withSheetXML(t, base, rows(9, func(r int) string {
			if r != 5 {
				return plain(r)
			}
			return `<row r="5">` + strings.Repeat(`<c/>`, maxCellsPerRow+1) + `</row>`
		})), Limits{}, 4, fmt.Sprintf(msgTooManyCells, 5, maxCellsPerRow)},
		{"a checksum that does not match", withSheetCRC(t, base, rows(3000, plain)), Limits{}, 3000, msgCorrupt},
		{"a sheet that does not inflate", withPart(t, base, "xl/worksheets/sheet1.xml", 1<<20, bytes.Repeat([]byte{0xFF}, 4096)), Limits{}, 0, msgCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			b, err := open("a.xlsx", bytes.NewReader(tt.data), tt.lim, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})))
			check(t, err)
			defer b.Close()
			n := 0
			it, err := b.Rows(b.Sheets()[0].Name)
			if err == nil {
				defer it.Close()
				for it.Next() {
					n++
				}
				err = it.Err()
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Message != tt.msg {
				t.Errorf("err = %v, want a FileError saying %q", err, tt.msg)
			}
			if n != tt.rows {
				t.Errorf("%d rows before the error, want %d", n, tt.rows)
			}
			if log.Len() > 0 {
				t.Errorf("the fast reader stepped aside: %s", log.String())
			}
		})
	}
}

// countingSource counts the bytes read from a file.
type countingSource struct {
	*bytes.Reader
	n atomic.Int64
}

func (c *countingSource) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.Reader.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// TestSheetReadOnce: reading every row of an .xlsx through the fast reader reads the file
// from its source about once: its sheets are not inflated beforehand to be checked, nor is
// the file held whole.
func TestSheetReadOnce(t *testing.T) {
	t.Parallel()
	data := xlsxFile(t, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		check(t, err)
		x := uint32(1)
		for r := 1; r <= 20_000; r++ {
			x = x*1664525 + 1013904223 // numbers that do not compress away
			check(t, sw.SetRow(fmt.Sprintf("A%d", r), []any{r, fmt.Sprintf("%08x", x), int(x >> 8)}))
		}
		check(t, sw.Flush())
	})
	src := &countingSource{Reader: bytes.NewReader(data)}
	b, err := OpenFrom("a.xlsx", src, Limits{})
	check(t, err)
	defer b.Close()
	rows, err := readRows(b, "Sheet1")
	check(t, err)
	if len(rows) != 20_000 {
		t.Fatalf("%d rows", len(rows))
	}
	if _, ok := b.(*fastBook); !ok {
		t.Fatalf("read by %T", b)
	}
	if read, size := src.n.Load(), int64(len(data)); read > size+size/10+64<<10 {
		t.Errorf("read %d bytes of a file of %d", read, size)
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

// TestWideRowStopsEarlyStreaming: the fast reader, reading an endless row, stops at the
// cell limit having read about as many bytes as the limit's cells take, far fewer than
// the largest row it would hold.
func TestWideRowStopsEarlyStreaming(t *testing.T) {
	t.Parallel()
	src := &countingReader{r: io.MultiReader(strings.NewReader(sheetHead+`<row r="1">`),
		&endlessCells{cell: `<c t="inlineStr"><is><t>x</t></is></c>`})}
	lim := DefaultLimits()
	b := &fastBook{src: bytes.NewReader(nil), lim: lim, log: slog.New(slog.DiscardHandler)}
	it := &fastRows{b: b, sheet: "Sheet1", rc: io.NopCloser(src), w: newWindow(src, sheetWindow, maxRowXML)}
	check(t, skipTo(it.w, "<sheetData"))
	it.w.pos += tagEnd(it.w.avail()) + 1
	if it.Next() {
		t.Fatal("a row of endless cells was read")
	}
	var fe *FileError
	if err := it.Err(); !errors.As(err, &fe) || fe.Message != fmt.Sprintf(msgTooManyCells, 1, maxCellsPerRow) {
		t.Fatalf("err = %v, want the cell limit", err)
	}
	if limit := int64(maxCellsPerRow) * 64; src.n > 2*limit {
		t.Errorf("read %d bytes of an endless row, want at most about %d", src.n, limit)
	}
}

// endlessCells repeats a cell without end.
type endlessCells struct {
	cell string
	off  int // in cell, of the next byte
}

func (r *endlessCells) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.cell[r.off:])
		n += k
		r.off = (r.off + k) % len(r.cell)
	}
	return n, nil
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

// TestTempDir: a sheet too large to unpack in memory is unpacked by excelize into
// Limits.TempDir, and removed from it when the book is closed. The fast reader, which Open
// tries first, streams the sheet and writes nothing there.
func TestTempDir(t *testing.T) {
	t.Parallel()
	var body strings.Builder
	body.WriteString(sheetHead)
	for r := 1; body.Len() < 17<<20; r++ {
		fmt.Fprintf(&body, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>济南市第一书记工作情况统计表</t></is></c></row>`, r, r)
	}
	body.WriteString(sheetTail)
	data := withSheetXML(t, xlsxFile(t, func(f *excelize.File) {}), body.String())
	for _, reader := range []string{"excelize", "Open"} {
		dir := t.TempDir()
		lim := Limits{TempDir: dir}.orDefault()
		var b Book
		var err error
		if reader == "excelize" {
			pkg, perr := openPackage(data, lim)
			check(t, perr)
			b, err = openExcelize(pkg, lim)
		} else {
			b, err = Open("a.xlsx", data, lim)
		}
		check(t, err)
		it, err := b.Rows(b.Sheets()[0].Name)
		check(t, err)
		if !it.Next() {
			t.Fatalf("%s: no row: %v", reader, it.Err())
		}
		files, _ := filepath.Glob(filepath.Join(dir, "excelize-*"))
		if unpacked := len(files) > 0; unpacked != (reader == "excelize") {
			t.Errorf("%s: the large sheet unpacked into Limits.TempDir: %v", reader, unpacked)
		}
		check(t, it.Close())
		check(t, b.Close())
		if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
			t.Errorf("%s: left behind: %q", reader, files)
		}
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

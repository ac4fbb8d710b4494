package synth

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// xlsxSink streams a sheet with excelize's StreamWriter, so that no sheet is held in memory.
type xlsxSink struct {
	sw                  *excelize.StreamWriter
	title, header, date int
	buf                 []any
}

func (x *xlsxSink) colWidth(col int, w float64) error { return x.sw.SetColWidth(col, col, w) }

func (x *xlsxSink) merge(c1, r1, c2, r2 int) error {
	if c1 == c2 && r1 == r2 {
		return nil
	}
	a, err := excelize.CoordinatesToCellName(c1, r1)
	if err != nil {
		return err
	}
	b, err := excelize.CoordinatesToCellName(c2, r2)
	if err != nil {
		return err
	}
	return x.sw.MergeCell(a, b)
}

func (x *xlsxSink) row(r int, vals []any, st rowStyle) error {
	x.buf = x.buf[:0]
	style := 0
	switch st {
	case titleRow:
		style = x.title
	case headRow:
		style = x.header
	}
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			if st == headRow {
				x.buf = append(x.buf, excelize.Cell{StyleID: style})
			} else {
				x.buf = append(x.buf, nil)
			}
		case time.Time:
			x.buf = append(x.buf, excelize.Cell{StyleID: x.date, Value: v})
		case formula:
			x.buf = append(x.buf, excelize.Cell{Formula: v.expr, Value: v.v})
		default:
			if style != 0 {
				x.buf = append(x.buf, excelize.Cell{StyleID: style, Value: v})
			} else {
				x.buf = append(x.buf, v)
			}
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, r)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.buf)
}

// writeXLSX writes t as a workbook to w. Only the data sheet is streamed: excelize writes
// several streamed sheets in map order, which would make the bytes differ between runs.
func writeXLSX(ctx context.Context, w io.Writer, t table, lk look) error {
	f := excelize.NewFile()
	defer f.Close()
	// Deflate at its fastest: half the time of the default level for 15% more bytes.
	f.SetZipWriter(func(w io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
	data := t.tpl.file
	var notes, hidden string
	if lk.messy {
		r := lk.r
		data = []string{"Sheet1", t.tpl.file, "汇总表"}[r.IntN(3)]
		if r.IntN(3) == 0 {
			notes = []string{"说明", "填报说明"}[r.IntN(2)]
		}
		if r.IntN(3) == 0 {
			hidden = []string{"数据字典", "Sheet2", "下拉选项"}[r.IntN(3)]
			if hidden == data {
				hidden = "隐藏"
			}
		}
	}
	var order []string
	for _, s := range []string{notes, hidden, data} {
		if s != "" {
			order = append(order, s)
		}
	}
	if err := f.SetSheetName("Sheet1", order[0]); err != nil {
		return err
	}
	for _, s := range order[1:] {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	idx, err := f.GetSheetIndex(data)
	if err != nil {
		return err
	}
	f.SetActiveSheet(idx)
	if notes != "" {
		lines := []string{
			"填报说明",
			"一、本表按月填报，每名人员每月一行，不得重复。",
			"二、身份证号码、统一社会信用代码须填写完整。",
			"三、同一人员帮扶多个村的，村代码之间用顿号分隔。",
			"四、金额按表头所列计量单位填写。",
		}
		for i, l := range lines {
			if err := f.SetCellValue(notes, fmt.Sprintf("A%d", i+1), l); err != nil {
				return err
			}
		}
		if err := f.SetColWidth(notes, "A", "A", 60); err != nil {
			return err
		}
	}
	if hidden != "" {
		lists := [][]string{
			{"下拉选项", "一对一", "一对多"},
			{"", "股份合作", "经营合作", "技术合作", "品牌合作"},
			{"", "谋划中", "在建", "已完工"},
		}
		for c, l := range lists {
			for i, v := range l {
				name, _ := excelize.CoordinatesToCellName(c+1, i+1)
				if err := f.SetCellValue(hidden, name, v); err != nil {
					return err
				}
			}
		}
		if err := f.SetSheetVisible(hidden, false); err != nil {
			return err
		}
	}
	title, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Size: 16, Family: "宋体"},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return err
	}
	border := []excelize.Border{{Type: "left", Style: 1, Color: "000000"}, {Type: "right", Style: 1, Color: "000000"}, {Type: "top", Style: 1, Color: "000000"}, {Type: "bottom", Style: 1, Color: "000000"}}
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    border,
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
	})
	if err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(data)
	if err != nil {
		return err
	}
	if err := layout(ctx, &xlsxSink{sw: sw, title: title, header: header, date: date}, t, lk); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// csvSink writes a sheet as CSV, every record as wide as the sheet (as Excel exports it).
type csvSink struct {
	w     *csv.Writer
	width int
	next  int
	rec   []string
}

// colWidth learns the sheet's width: layout declares every column before the first row.
func (c *csvSink) colWidth(col int, _ float64) error {
	c.width = max(c.width, col)
	return nil
}

func (c *csvSink) merge(int, int, int, int) error { return nil }

func (c *csvSink) row(r int, vals []any, _ rowStyle) error {
	if c.rec == nil {
		c.rec = make([]string, c.width)
	}
	for ; c.next < r; c.next++ {
		clear(c.rec)
		if err := c.w.Write(c.rec); err != nil {
			return err
		}
	}
	clear(c.rec)
	for i, v := range vals {
		c.rec[i] = csvText(v)
	}
	c.next = r + 1
	return c.w.Write(c.rec)
}

func csvText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return dateOf(v)
	case formula:
		return csvText(v.v)
	}
	return fmt.Sprint(v)
}

// writeCSV writes t as a GBK-encoded CSV with CRLF line ends, as Excel saves one.
func writeCSV(ctx context.Context, w io.Writer, t table, lk look) error {
	gbk := transform.NewWriter(w, simplifiedchinese.GBK.NewEncoder())
	bw := bufio.NewWriterSize(gbk, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	s := &csvSink{w: cw, next: 1}
	if err := layout(ctx, s, t, lk); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return gbk.Close()
}

package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxBook is an .xlsx opened with excelize. Sheets larger than excelize's stream chunk
// are unpacked to temporary files, which Close removes.
type xlsxBook struct {
	f      *excelize.File
	sheets []SheetInfo
	lim    Limits
}

// openXLSX opens an .xlsx read from src with the fast reader (read_xlsx_fast.go), which
// reads its parts straight from src and checks them as it goes (zip.go), or with excelize
// when the fast reader declines the file, which it says in a debug log.
func openXLSX(src Source, lim Limits, log *slog.Logger) (Book, error) {
	b, err := openFastXLSX(src, lim, log)
	var d *declined
	switch {
	case err == nil:
		return b, nil
	case !errors.As(err, &d):
		return nil, err
	}
	log.LogAttrs(context.Background(), slog.LevelDebug, "fast xlsx reader steps aside", slog.String("reason", d.reason))
	return openSlowXLSX(src, lim)
}

// openSlowXLSX opens an .xlsx with excelize: the file is read whole, checked whole
// (openPackage), and the package openPackage returns opened.
func openSlowXLSX(src Source, lim Limits) (Book, error) {
	data, err := readWhole(src)
	if err != nil {
		return nil, err
	}
	pkg, err := openPackage(data, lim)
	if err != nil {
		return nil, err
	}
	return openExcelize(pkg, lim)
}

// openExcelize opens with excelize a package that openPackage returned.
func openExcelize(data []byte, lim Limits) (b Book, err error) {
	var f *excelize.File
	defer func() {
		if p := recover(); p != nil {
			err = fileErr(msgPanic, fmt.Errorf("excelize panicked: %v", p))
		}
		if err != nil && f != nil {
			_ = f.Close()
		}
	}()
	f, err = excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    lim.MaxUnpackedBytes,
		UnzipXMLSizeLimit: min(lim.MaxUnpackedBytes, excelize.StreamChunkSize),
		TmpDir:            lim.TempDir,
	})
	if err != nil {
		if strings.HasPrefix(err.Error(), "unzip size exceeds") {
			return nil, fileErr(msgUnpacked, err)
		}
		return nil, fileErr(msgCorrupt, err)
	}
	bk := &xlsxBook{f: f, lim: lim}
	for _, name := range f.GetSheetList() {
		visible, err := f.GetSheetVisible(name)
		if err != nil {
			return nil, fileErr(msgCorrupt, err)
		}
		bk.sheets = append(bk.sheets, SheetInfo{Name: name, Hidden: !visible, Rows: dimensionRows(f, name)})
	}
	if len(bk.sheets) == 0 {
		return nil, fileErr(msgNoSheets, errors.New("workbook lists no sheet"))
	}
	return bk, nil
}

// dimensionRows is the last row of the sheet's dimension, which excelize finds by reading
// the start of the sheet only; 0 when the sheet declares no range.
func dimensionRows(f *excelize.File, sheet string) int {
	ref, err := f.GetSheetDimension(sheet)
	if err != nil || ref == "" {
		return 0
	}
	i := strings.LastIndexByte(ref, ':')
	if i < 0 {
		return 0 // "A1": an empty sheet, or a writer (excelize among them) that did not say
	}
	ref = ref[i+1:]
	_, row, err := excelize.CellNameToCoordinates(ref)
	if err != nil {
		return 0
	}
	return row
}

func (b *xlsxBook) Sheets() []SheetInfo { return b.sheets }

func (b *xlsxBook) Rows(sheet string) (r Rows, err error) {
	defer recoverFile(&err, "excelize")
	known := false
	for _, s := range b.sheets {
		known = known || s.Name == sheet
	}
	if !known {
		return nil, fmt.Errorf("no sheet %q", sheet)
	}
	rows, err := b.f.Rows(sheet)
	if err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	return &xlsxRows{rows: rows, sheet: sheet, lim: b.lim, opts: []excelize.Options{{RawCellValue: true}}}, nil
}

func (b *xlsxBook) Close() (err error) {
	defer recoverFile(&err, "excelize")
	return b.f.Close()
}

// xlsxRows wraps excelize's streaming iterator. excelize yields an empty row for every
// row number missing from the sheet's XML, so counting its rows gives the real number.
type xlsxRows struct {
	rows  *excelize.Rows
	sheet string
	lim   Limits
	opts  []excelize.Options // RawCellValue: numbers unformatted, dates as serials
	cells []string
	nums  []int // columns of the current row whose value was a number in exponent form
	num   int
	err   error
	done  bool
}

func (it *xlsxRows) Next() (ok bool) {
	if it.err != nil || it.done {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			it.err, ok = fileErr(msgPanic, fmt.Errorf("excelize panicked: %v", p)), false
		}
	}()
	for it.rows.Next() {
		it.num++
		cells, err := it.rows.Columns(it.opts...)
		if err != nil {
			it.err = fileErr(msgCorrupt, fmt.Errorf("sheet %q row %d: %w", it.sheet, it.num, err))
			return false
		}
		cells = trimEmpty(cells)
		if len(cells) == 0 {
			if it.num > it.lim.MaxRows { // blank rows count: excelize yields one per missing number
				it.err = checkRow(it.sheet, it.num, 0, it.lim)
				return false
			}
			continue
		}
		if err := checkRow(it.sheet, it.num, len(cells), it.lim); err != nil {
			it.err = err
			return false
		}
		it.nums = it.nums[:0]
		for i, c := range cells {
			if p, ok := plainNumber(c); ok {
				cells[i] = p
				it.nums = append(it.nums, i)
			}
		}
		it.cells = cells
		return true
	}
	it.done = true
	if err := it.rows.Error(); err != nil {
		it.err = fileErr(msgCorrupt, fmt.Errorf("sheet %q: %w", it.sheet, err))
	}
	return false
}

func (it *xlsxRows) Num() int        { return it.num }
func (it *xlsxRows) Cells() []string { return it.cells }
func (it *xlsxRows) Err() error      { return it.err }

// Numeric reports whether cell j held a number in exponent form. excelize does not give a
// cell's type while streaming; Excel, WPS and LibreOffice all write a number of more than
// 15 digits in that form (3.70112198001011E+17), which is the case that matters.
func (it *xlsxRows) Numeric(j int) bool { return slices.Contains(it.nums, j) }

func (it *xlsxRows) Close() (err error) {
	defer recoverFile(&err, "excelize")
	it.done = true
	if err := it.rows.Close(); err != nil && it.err == nil {
		return err
	}
	return nil
}

// plainNumber rewrites a number that the file stores in exponent form, as Excel writes
// very large or small values ("3.7011219900101101E+17", "1.5E-3"), in plain decimal. It
// answers false, without allocating, for every other text. Only the shape Excel writes
// (a signed exponent) is taken, so that a text such as "1E5" stays as typed.
func plainNumber(s string) (string, bool) {
	e := strings.IndexByte(s, 'E')
	if e <= 0 || e+2 >= len(s) || (s[e+1] != '+' && s[e+1] != '-') {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'E' {
			return "", false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatFloat(v, 'f', -1, 64), true
}

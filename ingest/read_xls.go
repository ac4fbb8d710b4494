package ingest

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"

	"github.com/shakinm/xlsReader/cfb"
	"github.com/shakinm/xlsReader/xls"
	"github.com/shakinm/xlsReader/xls/record"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// A legacy .xls is a BIFF stream ("Workbook", or "Book" for BIFF5) inside an OLE2 compound
// file. xlsReader opens the compound file and decodes the shared string table, which is the
// hard part of BIFF8; but it drops formula cells, reads negative RK integers as huge
// positive ones, decodes 8-bit text as Windows-1251 and does not say which sheets are
// hidden. So this reader walks the BIFF records itself for everything else (sheet names,
// visibility, numbers, formulas' cached values, labels) and asks xlsReader only for the
// text of LABELSST cells.
//
// xlsReader follows sector chains without bounds, so it only ever reads the file through a
// budgetReader, and every call into it is under recover.

// xlsBook is an opened .xls. Sheets are decoded on their first Rows call and kept.
type xlsBook struct {
	stream []byte // the BIFF workbook stream
	g      xlsGlobals
	wb     xls.Workbook
	lim    Limits
	cells  map[int][]xlsCell // by sheet index
	sheets []SheetInfo
}

// xlsGlobals is what the workbook globals substream says.
type xlsGlobals struct {
	biff8     bool
	codepage  uint16
	encrypted bool
	sheets    []xlsSheet
}

type xlsSheet struct {
	name   string
	offset int // of the sheet's BOF record in the stream
	hidden bool
}

type xlsCell struct {
	row, col int
	val      string
	num      bool // a NUMBER, RK or MULRK record, or a formula's number
}

// BIFF record types the reader uses.
const (
	recFormula    = 0x0006
	recEOF        = 0x000A
	recFilePass   = 0x002F
	recContinue   = 0x003C
	recCodePage   = 0x0042
	recBoundSheet = 0x0085
	recMulRK      = 0x00BD
	recRString    = 0x00D6
	recLabelSST   = 0x00FD
	recDimensions = 0x0200
	recNumber     = 0x0203
	recLabel      = 0x0204
	recBoolErr    = 0x0205
	recString     = 0x0207
	recRK         = 0x027E
	recBOF        = 0x0809
)

var errTruncated = errors.New("biff stream ends inside a record")

func openXLS(data []byte, lim Limits) (b Book, err error) {
	defer recoverFile(&err, "xlsReader")
	stream, err := workbookStream(data, lim)
	if err != nil {
		return nil, err
	}
	g, err := scanGlobals(stream)
	if err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	if g.encrypted {
		return nil, fileErr(msgEncrypted, errors.New("xls workbook has a FILEPASS record"))
	}
	if len(g.sheets) == 0 {
		return nil, fileErr(msgNoSheets, errors.New("xls workbook has no BOUNDSHEET record"))
	}
	wb, err := xls.OpenReader(newBudgetReader(data))
	if err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	if g.biff8 && wb.GetNumberSheets() != len(g.sheets) {
		return nil, fileErr(msgCorrupt, fmt.Errorf("xlsReader read %d sheets of %d", wb.GetNumberSheets(), len(g.sheets)))
	}
	bk := &xlsBook{stream: stream, g: g, wb: wb, lim: lim, cells: map[int][]xlsCell{}}
	for _, s := range g.sheets {
		bk.sheets = append(bk.sheets, SheetInfo{Name: s.name, Hidden: s.hidden, Rows: sheetDimension(stream, s.offset, g.biff8)})
	}
	return bk, nil
}

// workbookStream reads the BIFF stream out of the compound file, refusing one larger
// than the limit or than the file itself.
func workbookStream(data []byte, lim Limits) ([]byte, error) {
	c, err := cfb.OpenReader(newBudgetReader(data))
	if err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	// The same choice as xlsReader makes: the first "Workbook", or else the last "Book".
	var book, root *cfb.Directory
	for _, d := range c.GetDirs() {
		switch d.Name() {
		case "Workbook":
			if book == nil {
				book = d
			}
		case "Book":
			book = d
		case "Root Entry":
			root = d
		}
	}
	if book == nil {
		return nil, fileErr(msgUnknown, errors.New("ole2 file holds no workbook stream"))
	}
	size := int64(book.GetStreamSize())
	switch {
	case size > lim.MaxUnpackedBytes:
		return nil, fileErr(msgUnpacked, fmt.Errorf("workbook stream of %d bytes", size))
	case size > int64(len(data)):
		return nil, fileErr(msgCorrupt, fmt.Errorf("workbook stream of %d bytes in a file of %d", size, len(data)))
	}
	r, err := c.OpenObject(book, root)
	if err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	stream := make([]byte, size)
	if _, err := io.ReadFull(r, stream); err != nil {
		return nil, fileErr(msgCorrupt, fmt.Errorf("read workbook stream: %w", err))
	}
	return stream, nil
}

// budgetReader reads a file held in memory, failing once it has handed out a few times
// the file's size: xlsReader follows sector chains without checking for loops, and a
// loop reads the same sectors for ever.
type budgetReader struct {
	r    *bytes.Reader
	left int64
}

func newBudgetReader(data []byte) *budgetReader {
	return &budgetReader{r: bytes.NewReader(data), left: 4*int64(len(data)) + 64<<10}
}

var errBudget = errors.New("compound file reads past its size: sector chain loops")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errBudget
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *budgetReader) Seek(off int64, whence int) (int64, error) { return b.r.Seek(off, whence) }

// biffRecords walks the records of a BIFF stream from off; fn gets each record's type
// and body, and stops the walk by returning false.
func biffRecords(stream []byte, off int, fn func(typ uint16, body []byte, next int) bool) error {
	for off >= 0 && off < len(stream) {
		if off+4 > len(stream) {
			return errTruncated
		}
		typ := binary.LittleEndian.Uint16(stream[off:])
		n := int(binary.LittleEndian.Uint16(stream[off+2:]))
		next := off + 4 + n
		if next > len(stream) {
			return errTruncated
		}
		if !fn(typ, stream[off+4:next], next) {
			return nil
		}
		off = next
	}
	return errTruncated
}

// scanGlobals reads the workbook globals: the BIFF version, the code page, whether the
// workbook is encrypted, and the sheets in order.
func scanGlobals(stream []byte) (xlsGlobals, error) {
	var g xlsGlobals
	first := true
	var bad error
	err := biffRecords(stream, 0, func(typ uint16, b []byte, _ int) bool {
		if first {
			first = false
			if typ != recBOF || len(b) < 2 {
				bad = errors.New("biff stream does not start with BOF")
				return false
			}
			g.biff8 = binary.LittleEndian.Uint16(b) == 0x0600
			return true
		}
		switch typ {
		case recFilePass:
			g.encrypted = true
			return false
		case recCodePage:
			if len(b) >= 2 {
				g.codepage = binary.LittleEndian.Uint16(b)
			}
		case recBoundSheet:
			if len(b) < 7 {
				bad = errors.New("short BOUNDSHEET record")
				return false
			}
			s := xlsSheet{offset: int(binary.LittleEndian.Uint32(b)), hidden: b[4]&3 != 0}
			if g.biff8 {
				s.name, _ = g.unicodeString(b[6:], 1)
			} else {
				s.name = g.byteString(b[7:min(len(b), 7+int(b[6]))])
			}
			g.sheets = append(g.sheets, s)
		case recEOF:
			return false
		}
		return true
	})
	if bad != nil {
		return g, bad
	}
	return g, err
}

// sheetDimension is the row count of a sheet's DIMENSIONS record, which comes before its
// cells; 0 when there is none.
func sheetDimension(stream []byte, off int, biff8 bool) int {
	rows, seen := 0, 0
	_ = biffRecords(stream, off, func(typ uint16, b []byte, _ int) bool {
		switch {
		case typ == recDimensions && biff8 && len(b) >= 8:
			rows = int(binary.LittleEndian.Uint32(b[4:]))
			return false
		case typ == recDimensions && !biff8 && len(b) >= 4:
			rows = int(binary.LittleEndian.Uint16(b[2:]))
			return false
		case typ == recEOF, typ == 0x0208 /* ROW */, typ == 0x0201 /* BLANK */, typ == 0x00BE, /* MULBLANK */
			typ == recNumber, typ == recRK, typ == recMulRK, typ == recLabelSST, typ == recLabel, typ == recFormula:
			return false
		}
		seen++
		return seen < 4096
	})
	return max(rows, 0)
}

// unicodeString decodes a BIFF8 XLUnicodeString whose character count takes lenSize
// (1 or 2) bytes, and returns what follows it.
func (g *xlsGlobals) unicodeString(b []byte, lenSize int) (string, []byte) {
	if len(b) < lenSize+1 {
		return "", nil
	}
	n := int(b[0])
	if lenSize == 2 {
		n = int(binary.LittleEndian.Uint16(b))
	}
	flags := b[lenSize]
	b = b[lenSize+1:]
	if flags&0x08 != 0 { // rich text: a run count comes first
		b = b[min(len(b), 2):]
	}
	if flags&0x04 != 0 { // phonetic data: its size comes first
		b = b[min(len(b), 4):]
	}
	return decodeChars(b, n, flags&1 != 0)
}

// decodeChars decodes n characters, each two bytes (UTF-16LE) when wide, else one
// (ISO-8859-1, the high bytes of UTF-16 dropped).
func decodeChars(b []byte, n int, wide bool) (string, []byte) {
	if wide {
		n = min(n, len(b)/2)
		u := make([]uint16, n)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		return string(utf16.Decode(u)), b[2*n:]
	}
	n = min(n, len(b))
	r := make([]rune, n)
	for i, c := range b[:n] {
		r[i] = rune(c)
	}
	return string(r), b[n:]
}

// byteString decodes BIFF5 8-bit text in the workbook's code page: GBK for a Chinese
// Windows (936), Windows-1252 otherwise.
func (g *xlsGlobals) byteString(b []byte) string {
	var s []byte
	var err error
	switch g.codepage {
	case 936:
		s, err = simplifiedchinese.GBK.NewDecoder().Bytes(b)
	case 65001:
		return string(b)
	default:
		s, err = charmap.Windows1252.NewDecoder().Bytes(b)
	}
	if err != nil {
		return string(b)
	}
	return string(s)
}

func (b *xlsBook) Sheets() []SheetInfo { return b.sheets }

func (b *xlsBook) Rows(sheet string) (r Rows, err error) {
	defer recoverFile(&err, "xlsReader")
	if b.stream == nil {
		return nil, errors.New("book closed")
	}
	i := slices.IndexFunc(b.g.sheets, func(s xlsSheet) bool { return s.name == sheet })
	if i < 0 {
		return nil, fmt.Errorf("no sheet %q", sheet)
	}
	cells, ok := b.cells[i]
	if !ok {
		if cells, err = b.readSheet(i); err != nil {
			return nil, err
		}
		b.cells[i] = cells
	}
	return &xlsRows{cells: cells, sheet: sheet, lim: b.lim}, nil
}

func (b *xlsBook) Close() error {
	b.cells, b.stream = nil, nil
	return nil
}

// readSheet decodes the cells of sheet i, sorted by row and column, empty ones left out.
func (b *xlsBook) readSheet(i int) ([]xlsCell, error) {
	g := &b.g
	var (
		cells   []xlsCell
		pending = -1 // index in cells of a formula whose string result follows
		depth   = 0  // BOF/EOF nesting: a chart embedded in the sheet has its own
		sst     func(row, col int) string
		bad     error
	)
	add := func(row, col int, val string) {
		if val == "" || bad != nil {
			return
		}
		// Fail on the first cell out of bounds rather than gather a hostile file's cells.
		if bad = checkRow(g.sheets[i].name, row+1, col+1, b.lim); bad == nil {
			cells = append(cells, xlsCell{row: row, col: col, val: val})
		}
	}
	addNum := func(row, col int, v float64) {
		n := len(cells)
		if add(row, col, formatNumber(v)); len(cells) > n {
			cells[n].num = true
		}
	}
	err := biffRecords(b.stream, b.g.sheets[i].offset, func(typ uint16, body []byte, next int) bool {
		switch typ {
		case recBOF:
			depth++
			return true
		case recEOF:
			depth--
			return depth > 0
		}
		if depth == 0 {
			depth = 1 // a sheet that lacks its BOF: read on
		}
		if depth > 1 {
			return true
		}
		var row, col int
		switch typ {
		case recNumber, recRK, recMulRK, recFormula, recLabel, recRString, recLabelSST, recBoolErr:
			if len(body) < 6 {
				return true
			}
			row, col = int(binary.LittleEndian.Uint16(body)), int(binary.LittleEndian.Uint16(body[2:]))
			pending = -1 // a STRING belongs to the formula just before it
		}
		switch typ {
		case recNumber:
			if len(body) >= 14 {
				addNum(row, col, math.Float64frombits(binary.LittleEndian.Uint64(body[6:])))
			}
		case recRK:
			if len(body) >= 10 {
				addNum(row, col, rkValue(binary.LittleEndian.Uint32(body[6:])))
			}
		case recMulRK:
			first := col
			for k, p := 0, body[4:]; len(p) >= 8; k, p = k+1, p[6:] { // the last 2 bytes are colLast
				addNum(row, first+k, rkValue(binary.LittleEndian.Uint32(p[2:])))
			}
		case recFormula:
			if len(body) < 14 {
				return true
			}
			res := body[6:14]
			if res[6] != 0xFF || res[7] != 0xFF {
				addNum(row, col, math.Float64frombits(binary.LittleEndian.Uint64(res)))
				return true
			}
			switch res[0] {
			case 0: // a string, in the STRING record that follows
				cells = append(cells, xlsCell{row: row, col: col})
				pending = len(cells) - 1
			case 1:
				add(row, col, strconv.Itoa(int(res[2]&1)))
			case 2:
				add(row, col, biffError(res[2]))
			}
		case recString:
			if pending >= 0 {
				cells[pending].val = b.stringRecord(body, next)
				pending = -1
			}
		case recLabel, recRString:
			if len(body) < 8 {
				return true
			}
			if g.biff8 {
				s, _ := g.unicodeString(body[6:], 2)
				add(row, col, s)
			} else {
				n := int(binary.LittleEndian.Uint16(body[6:]))
				add(row, col, g.byteString(body[8:min(len(body), 8+n)]))
			}
		case recLabelSST:
			if sst == nil {
				if sst, bad = b.sstLookup(i); bad != nil {
					return false
				}
			}
			add(row, col, sst(row, col))
		case recBoolErr:
			if len(body) >= 8 {
				if body[7] == 0 {
					add(row, col, strconv.Itoa(int(body[6]&1)))
				} else {
					add(row, col, biffError(body[6]))
				}
			}
		}
		return bad == nil
	})
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, fileErr(msgCorrupt, fmt.Errorf("sheet %q: %w", g.sheets[i].name, err))
	}
	// Records come row by row, but nothing forces it; a later record for a cell wins.
	slices.SortStableFunc(cells, func(a, b xlsCell) int {
		return cmp.Or(cmp.Compare(a.row, b.row), cmp.Compare(a.col, b.col))
	})
	out := cells[:0]
	for _, c := range cells {
		if n := len(out); n > 0 && out[n-1].row == c.row && out[n-1].col == c.col {
			out[n-1] = c
			continue
		}
		out = append(out, c)
	}
	return slices.DeleteFunc(out, func(c xlsCell) bool { return c.val == "" }), nil
}

// sstLookup returns a function giving the text of the LABELSST cell at row, col of sheet
// i, from xlsReader's decoding of the shared string table.
func (b *xlsBook) sstLookup(i int) (func(row, col int) string, error) {
	sh, err := b.wb.GetSheet(i)
	if err != nil || sh == nil {
		return nil, fileErr(msgCorrupt, fmt.Errorf("xlsReader has no sheet %d", i))
	}
	return func(row, col int) (s string) {
		r, err := sh.GetRow(row)
		if err != nil {
			return ""
		}
		c, err := r.GetCol(col)
		if err != nil {
			return ""
		}
		if l, ok := c.(*record.LabelSSt); ok {
			return l.GetString()
		}
		return ""
	}, nil
}

// stringRecord decodes the STRING record holding a formula's text result, with the
// CONTINUE records that carry the rest of a long one; next is where the record ends.
func (b *xlsBook) stringRecord(body []byte, next int) string {
	g := &b.g
	if len(body) < 2 {
		return ""
	}
	n := int(binary.LittleEndian.Uint16(body))
	if !g.biff8 {
		return g.byteString(body[2:min(len(body), 2+n)])
	}
	if len(body) < 3 {
		return ""
	}
	s, _ := decodeChars(body[3:], n, body[2]&1 != 0)
	got := len([]rune(s))
	// A CONTINUE goes on with the characters, after a byte of its own saying their width.
	for got < n {
		var more string
		ok := false
		_ = biffRecords(b.stream, next, func(typ uint16, c []byte, after int) bool {
			if typ == recContinue && len(c) > 1 {
				more, _ = decodeChars(c[1:], n-got, c[0]&1 != 0)
				next, ok = after, true
			}
			return false
		})
		if !ok || more == "" {
			break
		}
		s += more
		got += len([]rune(more))
	}
	return s
}

// rkValue decodes an RK number: a 30-bit signed integer or the high 30 bits of a double,
// divided by 100 when its low bit says so.
func rkValue(rk uint32) float64 {
	var v float64
	if rk&2 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&^3) << 32)
	}
	if rk&1 != 0 {
		v /= 100
	}
	return v
}

// formatNumber writes a number in plain decimal, an integer without ".0".
func formatNumber(v float64) string {
	if v == 0 {
		return "0" // and not "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// biffError is the text Excel shows for an error value.
func biffError(code byte) string {
	switch code {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	}
	return "#N/A"
}

// xlsRows iterates decoded cells row by row.
type xlsRows struct {
	cells []xlsCell
	sheet string
	lim   Limits
	row   []string
	nums  []int // columns of the current row that hold numbers
	num   int
	err   error
}

func (it *xlsRows) Next() bool {
	if it.err != nil || len(it.cells) == 0 {
		it.cells = nil
		return false
	}
	r := it.cells[0].row
	n := 1
	for n < len(it.cells) && it.cells[n].row == r {
		n++
	}
	width := it.cells[n-1].col + 1
	if err := checkRow(it.sheet, r+1, width, it.lim); err != nil {
		it.err, it.cells = err, nil
		return false
	}
	it.row = slices.Grow(it.row[:0], width)[:width]
	clear(it.row)
	it.nums = it.nums[:0]
	for _, c := range it.cells[:n] {
		it.row[c.col] = c.val
		if c.num {
			it.nums = append(it.nums, c.col)
		}
	}
	it.num, it.cells = r+1, it.cells[n:]
	return true
}

func (it *xlsRows) Num() int        { return it.num }
func (it *xlsRows) Cells() []string { return it.row }
func (it *xlsRows) Err() error      { return it.err }
func (it *xlsRows) Close() error    { it.cells = nil; return nil }

// Numeric reports whether cell j of the current row was stored as a number.
func (it *xlsRows) Numeric(j int) bool { return slices.Contains(it.nums, j) }

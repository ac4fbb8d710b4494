package reports

import (
	"archive/zip"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/qiancun/qiancun"
)

// Every table sheet has the same layout: a title row, a row saying what the table covers and
// when it was made, the header row, then the body. The three top rows print on every page.
const (
	titleRow  = 1
	infoRow   = 2
	headerRow = 3
	firstRow  = 4
)

// kind is how a column's cells are written and formatted.
type kind int

const (
	kText  kind = iota // text
	kCode              // identifiers, codes, ranks: centred
	kInt               // whole numbers: #,##0
	kDec2              // scores and points: 0.00
	kMoney             // amounts in 万元: #,##0.00
	kPct               // shares: 0.00%
	kCheck             // ✓: centred
	nKinds
)

// Built-in number formats, the same in every locale of Excel, WPS and LibreOffice.
const (
	fmtInt   = 3  // #,##0
	fmtDec2  = 2  // 0.00
	fmtMoney = 4  // #,##0.00
	fmtPct   = 10 // 0.00%
)

// Fills of the grades (conditional formats) and of the receipt marks: Excel's own "good",
// "neutral" and "bad" cell styles, which print legibly in black and white too.
const (
	fillGreen  = "C6EFCE"
	fillBlue   = "DDEBF7"
	fillYellow = "FFEB9C"
	fillRed    = "FFC7CE"
	fontGreen  = "006100"
	fontYellow = "9C5700"
	fontRed    = "9C0006"
)

// book is a workbook being made, with the styles every report uses.
type book struct {
	f     *excelize.File
	made  time.Time
	fresh bool // f came from NewFile: its first table takes over Sheet1
	count int  // table sheets made so far

	body                      [nKinds][2]int // body cell styles by kind: plain, and bold for a totals row
	title, info, header, link int
	quoted                    map[int]int // style -> the same with the quote prefix
}

// newBook starts a new workbook made at made.
func newBook(made time.Time) (*book, error) {
	b := &book{f: excelize.NewFile(), made: made, fresh: true}
	if err := b.addStyles(); err != nil {
		b.f.Close()
		return nil, err
	}
	return b, nil
}

func (b *book) addStyles() error {
	thin := []excelize.Border{
		{Type: "left", Color: "808080", Style: 1}, {Type: "right", Color: "808080", Style: 1},
		{Type: "top", Color: "808080", Style: 1}, {Type: "bottom", Color: "808080", Style: 1},
	}
	var err error
	add := func(s *excelize.Style) int {
		if s.Border == nil {
			s.Border = thin
		}
		id, e := b.f.NewStyle(s)
		if err == nil && e != nil {
			err = fmt.Errorf("make styles: %w", e)
		}
		return id
	}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center"}
	left := &excelize.Alignment{Vertical: "center"}
	right := &excelize.Alignment{Vertical: "center", Horizontal: "right"}
	for bold := 0; bold < 2; bold++ {
		font := &excelize.Font{Bold: bold == 1}
		b.body[kText][bold] = add(&excelize.Style{Font: font, Alignment: left})
		b.body[kCode][bold] = add(&excelize.Style{Font: font, Alignment: center})
		b.body[kInt][bold] = add(&excelize.Style{Font: font, Alignment: right, NumFmt: fmtInt})
		b.body[kDec2][bold] = add(&excelize.Style{Font: font, Alignment: right, NumFmt: fmtDec2})
		b.body[kMoney][bold] = add(&excelize.Style{Font: font, Alignment: right, NumFmt: fmtMoney})
		b.body[kPct][bold] = add(&excelize.Style{Font: font, Alignment: right, NumFmt: fmtPct})
		b.body[kCheck][bold] = add(&excelize.Style{Font: font, Alignment: center})
	}
	none := []excelize.Border{}
	b.title = add(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: center, Border: none})
	b.info = add(&excelize.Style{Font: &excelize.Font{Size: 10, Color: "404040"},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}, Border: none})
	b.header = add(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
	})
	b.link = add(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}, Alignment: center})
	return err
}

// column is a column of a table.
type column struct {
	header string
	kind   kind
	// width is the widest body text in display columns (a CJK character counts 2); 0
	// lets the kind decide.
	width int
}

// table describes a table sheet before it is written.
type table struct {
	sheet  string
	title  string // row 1: what the sheet is
	info   string // row 2: what it covers, and when it was made
	footer string // left part of the printed footer
	cols   []column
	rows   int // body rows, for the autofilter's range
}

// colWidth is the width of a column in Excel's units (about one digit each): the widest of
// its body text and half its header (headers wrap onto two lines), plus a margin.
func colWidth(c column) float64 {
	w := c.width
	if w == 0 {
		w = map[kind]int{kText: 10, kCode: 8, kInt: 8, kDec2: 8, kMoney: 12, kPct: 8, kCheck: 4}[c.kind]
	}
	w = max(w, (textWidth(c.header)+1)/2)
	return float64(min(max(w+2, 6), 60))
}

// textWidth is the width of s in display columns: 2 for a wide (CJK) character, 1 for others.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		if r < 0x1100 {
			n++
			continue
		}
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// sheetRows writes the body of a table sheet, row by row, through a StreamWriter.
type sheetRows struct {
	b    *book
	t    *table
	sw   *excelize.StreamWriter
	next int // the row the next add writes
}

// start makes the sheet of t, the first taking over the new workbook's Sheet1 (the active
// sheet), and prepares it: page setup for printing (A4 landscape, fit to the page width,
// the top three rows repeated on every page, page numbers in the footer), the autofilter on
// the header row, frozen panes below it, and the three top rows.
//
// Whatever excelize's StreamWriter writes out at Flush (autofilter, page setup, conditional
// formats, charts, comments, hyperlinks) is set on the sheet before Flush. After Flush,
// nothing may touch the sheet, not even SetActiveSheet: excelize would parse the whole
// streamed sheet back into memory, and what it changed would be lost.
func (b *book) start(t *table) (*sheetRows, error) {
	f, sheet := b.f, t.sheet
	if b.fresh && b.count == 0 {
		if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
			return nil, err
		}
	} else if _, err := f.NewSheet(sheet); err != nil {
		return nil, err
	}
	b.count++
	return b.setup(t)
}

// setup prepares the existing, empty sheet of t and writes its three top rows.
func (b *book) setup(t *table) (*sheetRows, error) {
	f, sheet := b.f, t.sheet
	last, _ := excelize.ColumnNumberToName(len(t.cols))
	ref := fmt.Sprintf("A%d:%s%d", headerRow, last, headerRow+max(t.rows, 1))
	// AutoFilter replaces the sheet properties, so it comes before SetSheetProps.
	if err := f.AutoFilter(sheet, ref, nil); err != nil {
		return nil, fmt.Errorf("autofilter: %w", err)
	}
	yes, a4, landscape, one, zero := true, 9, "landscape", 1, 0
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return nil, err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero,
	}); err != nil {
		return nil, err
	}
	side, edge, hf := 0.4, 0.6, 0.3
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &hf, Footer: &hf, Horizontally: &yes,
	}); err != nil {
		return nil, err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: b.footer(t.footer)}); err != nil {
		return nil, fmt.Errorf("footer: %w", err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("%s!$%d:$%d", quoteSheet(sheet), titleRow, headerRow), Scope: sheet,
	}); err != nil {
		return nil, fmt.Errorf("print titles: %w", err)
	}

	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	// The StreamWriter puts each column's width before those set earlier, and Excel wants
	// them in column order: set them from the last column to the first.
	for i := len(t.cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, colWidth(t.cols[i])); err != nil {
			return nil, err
		}
	}
	top := fmt.Sprintf("A%d", firstRow)
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: headerRow, TopLeftCell: top, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	if err := sw.SetRow(cellName(1, titleRow), []any{excelize.Cell{StyleID: b.title, Value: t.title}},
		excelize.RowOpts{Height: 30}); err != nil {
		return nil, err
	}
	// The info row wraps: as many lines as its text needs across the table's width.
	total := 0.0
	for _, c := range t.cols {
		total += colWidth(c)
	}
	lines := math.Ceil(float64(textWidth(t.info)) * 0.95 / max(total, 1))
	if err := sw.SetRow(cellName(1, infoRow), []any{excelize.Cell{StyleID: b.info, Value: t.info}},
		excelize.RowOpts{Height: 6 + 14*max(lines, 1)}); err != nil {
		return nil, err
	}
	heads := make([]any, len(t.cols))
	for i, c := range t.cols {
		heads[i] = excelize.Cell{StyleID: b.header, Value: c.header}
	}
	if err := sw.SetRow(cellName(1, headerRow), heads, excelize.RowOpts{Height: 32}); err != nil {
		return nil, err
	}
	if len(t.cols) > 1 {
		for _, r := range []int{titleRow, infoRow} {
			if err := sw.MergeCell(cellName(1, r), cellName(len(t.cols), r)); err != nil {
				return nil, err
			}
		}
	}
	return &sheetRows{b: b, t: t, sw: sw, next: firstRow}, nil
}

// footer is the printed footer: what the sheet is on the left, the page number in the
// middle, the time of making on the right. Text is escaped: & starts a code in a footer.
func (b *book) footer(left string) string {
	left = strings.ReplaceAll(left, "&", "&&")
	if r := []rune(left); len(r) > 80 {
		left = string(r[:80])
	}
	return "&L" + left + "&C第 &P 页，共 &N 页&R制表时间：" + b.stamp()
}

// stamp is the time of making in Beijing time, to the minute.
func (b *book) stamp() string {
	return b.made.In(beijing()).Format("2006-01-02 15:04")
}

// beijing is China Standard Time. China keeps no daylight saving time, so a fixed zone is
// exact and needs no time zone database.
func beijing() *time.Location { return time.FixedZone("CST", 8*3600) }

// cell is a body cell of kind k.
func (r *sheetRows) cell(k kind, bold bool, v any) excelize.Cell {
	i := 0
	if bold {
		i = 1
	}
	id := r.b.body[k][i]
	if s, ok := v.(string); ok {
		id = r.b.textStyle(id, s)
	}
	return excelize.Cell{StyleID: id, Value: v}
}

// textStyle is style for a text cell of value v: the same style with the quote prefix
// when v is qiancun.FormulaLike, so that editing the cell never brings it to life. excelize's Style has no quote prefix, so the cell format is copied
// and the attribute set on the copy.
func (b *book) textStyle(style int, v string) int {
	if !qiancun.FormulaLike(v) {
		return style
	}
	if id, ok := b.quoted[style]; ok {
		return id
	}
	if b.quoted == nil {
		b.quoted = map[int]int{}
	}
	// GetStyle loads the style sheet; the cell formats are then excelize's exported model.
	if _, err := b.f.GetStyle(style); err != nil || b.f.Styles == nil || b.f.Styles.CellXfs == nil ||
		style >= len(b.f.Styles.CellXfs.Xf) {
		b.quoted[style] = style
		return style
	}
	xfs := b.f.Styles.CellXfs
	xf := xfs.Xf[style]
	yes := true
	xf.QuotePrefix = &yes
	xfs.Xf = append(xfs.Xf, xf)
	xfs.Count = len(xfs.Xf)
	id := len(xfs.Xf) - 1
	b.quoted[style] = id
	return id
}

// add writes the next body row. The values are excelize.Cell or *excelize.Cell; strings
// are written as string cells, never as formulas.
func (r *sheetRows) add(vals []any) error {
	if err := r.sw.SetRow(cellName(1, r.next), vals); err != nil {
		return err
	}
	r.next++
	return nil
}

// rangeOf is the body range of column col (1-based), e.g. "Q4:Q200003".
func (r *sheetRows) rangeOf(col int) string {
	return cellName(col, firstRow) + ":" + cellName(col, max(r.next-1, firstRow))
}

// end finishes the sheet.
func (r *sheetRows) end() error { return r.sw.Flush() }

// cellName is the A1 name of (col, row), both 1-based.
func cellName(col, row int) string {
	c, _ := excelize.ColumnNumberToName(col)
	return c + strconv.Itoa(row)
}

// quoteSheet quotes a sheet name for a reference, doubling any quote inside it.
func quoteSheet(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// save writes the workbook to w. excelize's Write would first build the whole zip in a
// buffer; giving it a zip writer on w makes it write the parts straight to w instead
// (WriteToBuffer's own buffer stays empty). path only sets the package's content type
// (a workbook opened from an .xlsm is saved as an .xlsx).
func (b *book) save(w io.Writer, props *excelize.DocProperties) error {
	if props != nil {
		if err := b.f.SetDocProps(props); err != nil {
			return fmt.Errorf("document properties: %w", err)
		}
	}
	b.f.Path = "report.xlsx"
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := b.f.Write(io.Discard); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// docProps are the document properties of a report made at made.
func docProps(title, subject, description, keywords string, made time.Time) *excelize.DocProperties {
	ts := made.UTC().Format(time.RFC3339)
	return &excelize.DocProperties{
		Title:          title,
		Subject:        subject,
		Description:    description,
		Keywords:       keywords,
		Category:       "万人下乡、千村提升",
		Creator:        "qiancun",
		LastModifiedBy: "qiancun",
		Created:        ts,
		Modified:       ts,
		Language:       "zh-CN",
	}
}

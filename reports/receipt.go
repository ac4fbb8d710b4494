package reports

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
)

// ReceiptInput is what the receipt workbook of a submission is made from.
type ReceiptInput struct {
	// Receipt is the submission's receipt. Required.
	Receipt *qiancun.Receipt
	// Sheets are the sheets of the upload (.xlsx, .xls or CSV) read back as rows by the
	// readers of the ingest: the receipt writes them afresh as text cells, every value at
	// its own address, and marks them. Nothing else of the upload is copied: not its shared
	// strings (which would keep every unmasked 身份证号), formulas (a live HYPERLINK or
	// WEBSERVICE), styles, defined names or hidden parts. A file the readers cannot take
	// gets 问题清单 alone.
	Sheets []Sheet
	// Unmasked keeps 身份证号 in the sheets as uploaded. By default every run shaped like
	// one (qiancun.MaskText), in any cell, is masked, as the contract asks of what anyone
	// but an administrator sees.
	Unmasked bool
	// Made is the time of making shown in 问题清单; zero means now.
	Made time.Time
	// MaxRows bounds the rows of each sheet copied; past it only the rows with a problem
	// are. Zero means 100,000.
	MaxRows int
}

// Sheet is a sheet of an upload read back as rows.
type Sheet struct {
	Name   string
	Hidden bool
	// Rows calls yield with each row's 1-based number, in ascending order, and its cells,
	// column A first; the cells are valid only during the call. It stops early when yield
	// returns false, and returns the reader's error.
	Rows func(yield func(num int, cells []string) bool) error
}

// Filename is the receipt workbook's file name: the upload's name without its extension,
// then _回执.xlsx.
func (in ReceiptInput) Filename() string {
	base := "数据报送"
	if in.Receipt != nil && in.Receipt.File != "" {
		base = in.Receipt.File
		if i := strings.LastIndexAny(base, `/\`); i >= 0 {
			base = base[i+1:]
		}
		base = strings.TrimSuffix(base, path.Ext(base))
	}
	return base + "_回执.xlsx"
}

// Limits of a receipt workbook. Every problem is listed in 问题清单 whatever its number,
// and every cell with one is filled; past these limits cells are no longer commented and
// list entries no longer link to their cells: excelize adds a comment or a hyperlink in
// time linear in those already there, so n of them take time in n², 2–3 s for 10,000
// of each. A file with more problems than that needs fixing at its source anyway.
const (
	maxComments   = 10_000
	maxHyperlinks = 10_000
)

// maxSheetRows is ReceiptInput.MaxRows by default: past it, only the rows with a problem
// are copied (problems are at most qiancun.MaxIssues). A receipt of a million-row file thus
// costs what one of a hundred thousand rows costs.
const maxSheetRows = 100_000

// The sheet of the problems, first in the workbook.
const issuesSheet = "问题清单"

// WriteReceipt writes the receipt workbook of a submission: 问题清单 first, listing every
// problem (sheet, cell, column, value, rule, severity, message) with a link to its cell,
// then the department's own sheets with each cell that has a problem filled (red for an
// error, yellow for a warning) and commented with the rule and the message. Problems with
// no cell (no period, no data, an unreadable file) are in 问题清单 only.
func WriteReceipt(w io.Writer, in ReceiptInput) (err error) {
	defer func() {
		// excelize is not meant to panic, but a receipt is made of a stranger's file: a
		// panic is an error of this workbook, never a crash of the service or the CLI.
		if p := recover(); p != nil {
			err = fmt.Errorf("receipt workbook: excelize panicked: %v", p)
		}
	}()
	rc := in.Receipt
	if rc == nil {
		return errors.New("receipt workbook: no receipt")
	}
	made := in.Made
	if made.IsZero() {
		made = time.Now()
	}
	b, err := rebuild(in, made)
	if err != nil {
		return fmt.Errorf("receipt workbook: %w", err)
	}
	defer b.f.Close()
	file := qiancun.MaskText(rc.File)
	title := file + " 数据报送回执"
	desc := fmt.Sprintf("文件 %s（SHA-256 %s），模板 %s，报告期 %s，状态 %s：错误 %d 个，警告 %d 个。",
		file, rc.SHA256, orNone(rc.Template), orNone(rc.Period), statusText(rc.Status), rc.Errors(), rc.Warnings())
	if err := b.save(w, docProps(title, "数据报送回执", desc, "回执,"+rc.Template+","+rc.Period, made)); err != nil {
		return fmt.Errorf("receipt workbook: %w", err)
	}
	return nil
}

// mark is what a marked cell carries: its issues, in receipt order.
type mark struct {
	sheet, cell string // the workbook's sheet name, and the cell as the receipt names it
	col, row    int
	issues      []qiancun.Issue
}

// severe reports whether any of the cell's issues is an error.
func (m *mark) severe() bool {
	return slices.ContainsFunc(m.issues, func(is qiancun.Issue) bool { return is.Severity == qiancun.Error })
}

// comment is the text of the cell's comment: each issue's severity, rule and message, and
// the value as found.
func (m *mark) comment() string {
	var sb strings.Builder
	for i, is := range m.issues {
		if i > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "【%s】%s：%s", severityText(is.Severity), is.Rule, qiancun.MaskText(is.Message))
		if is.Value != "" {
			fmt.Fprintf(&sb, "（值：%s）", qiancun.MaskText(is.Value))
		}
	}
	return sb.String()
}

// marks groups the receipt's issues by cell. sheetOf maps a sheet name of the receipt to the
// workbook's, and reports whether the workbook has it; issues elsewhere get no mark. The
// marks of each sheet come in row, then column order.
func marks(rc *qiancun.Receipt, sheetOf func(string) (string, bool)) map[string][]*mark {
	out := map[string][]*mark{}
	index := map[[2]string]*mark{}
	for _, is := range rc.Issues {
		if is.Cell == "" {
			continue
		}
		name := cmp.Or(is.Sheet, rc.Sheet)
		sheet, ok := sheetOf(name)
		if !ok {
			continue
		}
		col, row, err := excelize.CellNameToCoordinates(is.Cell)
		if err != nil {
			continue
		}
		k := [2]string{sheet, is.Cell}
		m := index[k]
		if m == nil {
			m = &mark{sheet: sheet, cell: is.Cell, col: col, row: row}
			index[k] = m
			out[sheet] = append(out[sheet], m)
		}
		m.issues = append(m.issues, is)
	}
	for _, ms := range out {
		slices.SortFunc(ms, func(a, b *mark) int { return cmp.Or(cmp.Compare(a.row, b.row), cmp.Compare(a.col, b.col)) })
	}
	return out
}

// comment adds the comment of m.
func comment(f *excelize.File, m *mark) error {
	text := m.comment()
	lines := strings.Count(text, "\n") + 1 + textWidth(text)/40
	return f.AddComment(m.sheet, excelize.Comment{
		Cell: m.cell, Author: "数据校验", Text: text, Width: 320, Height: uint(min(40+lines*16, 400)),
	})
}

// rebuild makes a new workbook of 问题清单 and the upload's sheets rebuilt from their rows.
func rebuild(in ReceiptInput, made time.Time) (*book, error) {
	b, err := newBook(made)
	if err != nil {
		return nil, err
	}
	used := []string{issuesSheet}
	names := map[string]string{}
	for _, sh := range in.Sheets {
		n := uniqueSheetName(sheetName(sh.Name), used)
		used = append(used, n)
		names[sh.Name] = n
	}
	all := marks(in.Receipt, func(s string) (string, bool) { n, ok := names[s]; return n, ok })
	// The list first (it takes over Sheet1), then the sheets it links to.
	if err := b.f.SetSheetName(b.f.GetSheetName(0), issuesSheet); err != nil {
		b.f.Close()
		return nil, err
	}
	b.count++
	if err := writeIssues(b, issuesSheet, in.Receipt, all); err != nil {
		b.f.Close()
		return nil, err
	}
	comments := 0
	for _, sh := range in.Sheets {
		if err := rebuildSheet(b, names[sh.Name], sh, all[names[sh.Name]], !in.Unmasked, cmp.Or(in.MaxRows, maxSheetRows), &comments); err != nil {
			b.f.Close()
			return nil, fmt.Errorf("sheet %q: %w", sh.Name, err)
		}
	}
	return b, nil
}

// rebuildSheet writes an upload's sheet from its rows, as text cells at their own
// addresses, with ms marked. Rows with a mark that the reader does not yield (a blank row)
// are written with their marked cells alone.
func rebuildSheet(b *book, name string, sh Sheet, ms []*mark, mask bool, maxRows int, comments *int) error {
	f := b.f
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	if sh.Hidden {
		if err := f.SetSheetVisible(name, false); err != nil {
			return err
		}
	}
	red, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillRed}}})
	if err != nil {
		return err
	}
	yellow, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillYellow}}})
	if err != nil {
		return err
	}
	// Comments go in before the rows are streamed (see book.start).
	for _, m := range ms {
		if *comments >= maxComments {
			break
		}
		if err := comment(f, m); err != nil {
			return err
		}
		*comments++
	}

	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	// Column widths are set before the first row; they are taken from the first rows.
	const sample = 50
	var head [][]string
	var headNums []int
	widths := []int{}
	flushed := false
	next := 0 // index into ms of the first mark not yet written
	var row []any
	written := 0 // rows written

	writeRow := func(num int, cells []string) error {
		// Marked rows the reader skipped come first, in order.
		for next < len(ms) && ms[next].row < num {
			r := ms[next].row
			row = row[:0]
			for next < len(ms) && ms[next].row == r {
				row = put(row, ms[next].col, styled(ms[next], red, yellow, ""))
				next++
			}
			if err := sw.SetRow(cellName(1, r), row); err != nil {
				return err
			}
		}
		row = row[:0]
		for i, v := range cells {
			if v == "" {
				continue
			}
			if mask {
				v = qiancun.MaskText(v)
			}
			row = put(row, i+1, excelize.Cell{StyleID: b.textStyle(0, v), Value: v})
		}
		for next < len(ms) && ms[next].row == num {
			m := ms[next]
			v := ""
			if m.col <= len(cells) {
				v = cells[m.col-1]
				if mask {
					v = qiancun.MaskText(v)
				}
			}
			c := styled(m, red, yellow, v)
			c.StyleID = b.textStyle(c.StyleID, v)
			row = put(row, m.col, c)
			next++
		}
		written++
		if len(row) == 0 {
			return nil
		}
		return sw.SetRow(cellName(1, num), row)
	}
	flushHead := func() error {
		flushed = true
		for i := len(widths) - 1; i >= 0; i-- { // in column order: see book.setup
			if err := sw.SetColWidth(i+1, i+1, float64(min(max(widths[i]+2, 8), 50))); err != nil {
				return err
			}
		}
		for i, cells := range head {
			if err := writeRow(headNums[i], cells); err != nil {
				return err
			}
		}
		head = nil
		return nil
	}
	var werr error
	rerr := sh.Rows(func(num int, cells []string) bool {
		if !flushed {
			head = append(head, slices.Clone(cells))
			headNums = append(headNums, num)
			for i, v := range cells {
				if i >= len(widths) {
					widths = append(widths, 0)
				}
				widths[i] = max(widths[i], textWidth(v))
			}
			if len(head) < sample {
				return true
			}
			werr = flushHead()
			return werr == nil
		}
		if written >= maxRows && (next >= len(ms) || ms[next].row > num) {
			return true // past the limit, only the rows with a problem are copied
		}
		werr = writeRow(num, cells)
		return werr == nil
	})
	if werr == nil && !flushed {
		werr = flushHead()
	}
	if werr == nil {
		werr = writeRow(1<<30, nil) // the marks below the last row
	}
	if werr != nil {
		return werr
	}
	if rerr != nil {
		return fmt.Errorf("read rows: %w", rerr)
	}
	return sw.Flush()
}

// put sets row[col-1] = v, growing row with nils (cells not written).
func put(row []any, col int, v excelize.Cell) []any {
	for len(row) < col {
		row = append(row, nil)
	}
	row[col-1] = v
	return row
}

func styled(m *mark, red, yellow int, v string) excelize.Cell {
	if m.severe() {
		return excelize.Cell{StyleID: red, Value: v}
	}
	return excelize.Cell{StyleID: yellow, Value: v}
}

// writeIssues writes 问题清单 into the existing, empty sheet name: every issue of the
// receipt, each marked one linked to its cell.
func writeIssues(b *book, name string, rc *qiancun.Receipt, all map[string][]*mark) error {
	marked := map[[2]string]string{} // {receipt sheet, cell} -> workbook sheet
	for sheet, ms := range all {
		for _, m := range ms {
			for _, is := range m.issues {
				marked[[2]string{cmp.Or(is.Sheet, rc.Sheet), is.Cell}] = sheet
			}
		}
	}
	msgW, valW, sheetW := 20, 6, 6
	for _, is := range rc.Issues {
		msgW = max(msgW, textWidth(is.Message))
		valW = max(valW, textWidth(is.Value))
		sheetW = max(sheetW, textWidth(cmp.Or(is.Sheet, rc.Sheet)))
	}
	errs := rc.Errors()
	info := fmt.Sprintf("模板：%s　报告期：%s　状态：%s　数据行：%d　接收：%d　错误 %d 个，警告 %d 个　SHA-256：%s　制表时间：%s",
		orNone(rc.Template), orNone(rc.Period), statusText(rc.Status), rc.Rows, rc.Accepted, errs, rc.Warnings(),
		rc.SHA256, b.stamp())
	if len(rc.Omitted) > 0 {
		var parts []string
		for _, o := range rc.Omitted {
			parts = append(parts, fmt.Sprintf("%s（%s）%d 个", o.Rule, severityText(o.Severity), o.Count))
		}
		info += "　另有未列出的问题：" + strings.Join(parts, "，")
	}
	file := qiancun.MaskText(rc.File)
	t := &table{
		sheet:  name,
		title:  "数据报送问题清单：" + file,
		info:   info,
		footer: "问题清单 " + file,
		cols: []column{
			{header: "序号", kind: kCode, width: len(strconv.Itoa(len(rc.Issues)))},
			{header: "工作表", kind: kText, width: min(sheetW, 30)},
			{header: "单元格", kind: kCode, width: 6}, {header: "列", kind: kText, width: 12},
			{header: "值", kind: kText, width: min(valW, 30)}, {header: "规则", kind: kCode, width: 15},
			{header: "严重程度", kind: kCode, width: 4}, {header: "说明", kind: kText, width: min(msgW, 60)},
		},
		rows: len(rc.Issues),
	}
	sw, err := b.setup(t)
	if err != nil {
		return err
	}
	links := 0
	for i, is := range rc.Issues {
		sheet := cmp.Or(is.Sheet, rc.Sheet)
		target, ok := marked[[2]string{sheet, is.Cell}]
		if ok && links < maxHyperlinks {
			ref := cellName(3, sw.next)
			if err := b.f.SetCellHyperLink(name, ref, quoteSheet(target)+"!"+is.Cell, "Location"); err != nil {
				return err
			}
			links++
		} else {
			ok = false
		}
		c := sw.cell(kCode, false, is.Cell)
		if ok {
			c.StyleID = b.link
		}
		if err := sw.add([]any{
			sw.cell(kCode, false, i+1), sw.cell(kText, false, sheet), c, sw.cell(kText, false, is.Column),
			sw.cell(kText, false, qiancun.MaskText(is.Value)), sw.cell(kCode, false, string(is.Rule)),
			sw.cell(kCode, false, severityText(is.Severity)), sw.cell(kText, false, qiancun.MaskText(is.Message)),
		}); err != nil {
			return err
		}
	}
	var opts []excelize.ConditionalFormatOptions
	for _, s := range []struct{ text, fill, font string }{{"错误", fillRed, fontRed}, {"警告", fillYellow, fontYellow}} {
		id, err := b.f.NewConditionalStyle(&excelize.Style{
			Font: &excelize.Font{Color: s.font},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{s.fill}},
		})
		if err != nil {
			return err
		}
		opts = append(opts, excelize.ConditionalFormatOptions{Type: "cell", Criteria: "==", Value: strconv.Quote(s.text), Format: &id})
	}
	if err := b.f.SetConditionalFormat(name, sw.rangeOf(7), opts); err != nil {
		return err
	}
	return sw.end()
}

func severityText(s qiancun.Severity) string {
	if s == qiancun.Error {
		return "错误"
	}
	return "警告"
}

// sheetName makes s a valid sheet name: none of : \ / ? * [ ], not starting or ending
// with ', at most 31 characters.
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < ' ' {
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, "'")
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if strings.TrimSpace(s) == "" {
		s = "Sheet"
	}
	return s
}

// uniqueSheetName is name, or name(2), name(3)..., whichever is not in used (sheet names
// are compared ignoring case, as Excel does).
func uniqueSheetName(name string, used []string) string {
	taken := func(n string) bool {
		return slices.ContainsFunc(used, func(u string) bool { return strings.EqualFold(u, n) })
	}
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		suffix := "(" + strconv.Itoa(i) + ")"
		base := []rune(name)
		if len(base)+len([]rune(suffix)) > 31 {
			base = base[:31-len([]rune(suffix))]
		}
		if n := string(base) + suffix; !taken(n) {
			return n
		}
	}
}

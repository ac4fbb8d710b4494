package reports

import (
	"bytes"
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
	// XLSX is the file as uploaded, when it is an .xlsx workbook: the receipt is that
	// workbook with the bad cells marked and everything else kept. A file the receipt
	// calls unreadable (bad_file), or that excelize cannot open, gets 问题清单 alone.
	XLSX []byte
	// Sheets are the sheets of any other upload (CSV, .xls) read back as rows: the receipt
	// rebuilds them as text cells, every value at its own address, and marks them.
	Sheets []Sheet
	// Unmasked keeps 身份证号 in the sheets as uploaded. By default every value shaped like
	// one (18 characters, or 15 digits) is masked, as the contract asks of what anyone but
	// an administrator sees.
	Unmasked bool
	// Made is the time of making shown in 问题清单; zero means now.
	Made time.Time
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

// maxUnzipped bounds an uploaded workbook unpacked, as ingest.DefaultLimits does.
const maxUnzipped = 2 << 30

// The sheet of the problems, first in the workbook.
const issuesSheet = "问题清单"

// WriteReceipt writes the receipt workbook of a submission: 问题清单 first, listing every
// problem (sheet, cell, column, value, rule, severity, message) with a link to its cell,
// then the department's own sheets with each cell that has a problem filled (red for an
// error, yellow for a warning) and commented with the rule and the message. Problems with
// no cell (no period, no data, an unreadable file) are in 问题清单 only.
func WriteReceipt(w io.Writer, in ReceiptInput) error {
	rc := in.Receipt
	if rc == nil {
		return errors.New("receipt workbook: no receipt")
	}
	made := in.Made
	if made.IsZero() {
		made = time.Now()
	}
	var (
		b   *book
		err error
	)
	if len(in.XLSX) > 0 {
		b, err = markXLSX(in, made)
	} else {
		b, err = rebuild(in, made)
	}
	if err != nil {
		return fmt.Errorf("receipt workbook: %w", err)
	}
	defer b.f.Close()
	title := rc.File + " 数据报送回执"
	desc := fmt.Sprintf("文件 %s（SHA-256 %s），模板 %s，报告期 %s，状态 %s：错误 %d 个，警告 %d 个。",
		rc.File, rc.SHA256, orNone(rc.Template), orNone(rc.Period), statusText(rc.Status), rc.Errors(), rc.Warnings())
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
		fmt.Fprintf(&sb, "【%s】%s：%s", severityText(is.Severity), is.Rule, is.Message)
		if is.Value != "" {
			fmt.Fprintf(&sb, "（值：%s）", is.Value)
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

// markStyles makes the fill styles of marked cells, deriving each from the cell's own
// style so that its number format, font, borders and alignment are kept.
type markStyles struct {
	f     *excelize.File
	cache map[[2]int]int // {original style, severe} -> style
}

func (ms *markStyles) style(orig int, severe bool) (int, error) {
	k := [2]int{orig, 0}
	fill := fillYellow
	if severe {
		k[1], fill = 1, fillRed
	}
	if id, ok := ms.cache[k]; ok {
		return id, nil
	}
	st, err := ms.f.GetStyle(orig)
	if err != nil || st == nil {
		st = &excelize.Style{}
	}
	st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}}
	id, err := ms.f.NewStyle(st)
	if err != nil {
		// A style excelize cannot write back: mark the cell with the fill alone.
		if id, err = ms.f.NewStyle(&excelize.Style{Fill: st.Fill}); err != nil {
			return 0, err
		}
	}
	ms.cache[k] = id
	return id, nil
}

// comment adds the comment of m, keeping a comment the cell already had below it.
func comment(f *excelize.File, m *mark, existing map[string]string) error {
	text := m.comment()
	if old, ok := existing[m.cell]; ok {
		if err := f.DeleteComment(m.sheet, m.cell); err != nil {
			return err
		}
		text += "\n——原批注——\n" + old
	}
	lines := strings.Count(text, "\n") + 1 + textWidth(text)/40
	return f.AddComment(m.sheet, excelize.Comment{
		Cell: m.cell, Author: "数据校验", Text: text, Width: 320, Height: uint(min(40+lines*16, 400)),
	})
}

// markXLSX opens the uploaded workbook and marks it in place. A file the ingest found
// unreadable (bad_file: corrupt, encrypted, a zip bomb) is not opened again.
func markXLSX(in ReceiptInput, made time.Time) (*book, error) {
	if slices.ContainsFunc(in.Receipt.Issues, func(is qiancun.Issue) bool { return is.Rule == qiancun.BadFile }) {
		return rebuild(ReceiptInput{Receipt: in.Receipt, Made: made}, made)
	}
	f, err := excelize.OpenReader(bytes.NewReader(in.XLSX), excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		// Not a workbook excelize can read (the receipt says why): list the problems only.
		if f != nil {
			f.Close()
		}
		return rebuild(ReceiptInput{Receipt: in.Receipt, Made: made}, made)
	}
	b, err := onFile(f, made)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := markFile(b, in); err != nil {
		f.Close()
		return nil, err
	}
	return b, nil
}

func markFile(b *book, in ReceiptInput) error {
	f := b.f
	sheets := f.GetSheetList()
	if !in.Unmasked {
		for _, sh := range sheets {
			if err := maskSheet(f, sh); err != nil {
				return fmt.Errorf("mask sheet %q: %w", sh, err)
			}
		}
	}
	byName := map[string]string{}
	for _, sh := range sheets {
		byName[sh] = sh
	}
	all := marks(in.Receipt, func(s string) (string, bool) { n, ok := byName[s]; return n, ok })
	ms := &markStyles{f: f, cache: map[[2]int]int{}}
	comments := 0
	for _, sh := range sheets {
		existing := map[string]string{}
		if len(all[sh]) > 0 {
			cs, err := f.GetComments(sh)
			if err != nil {
				return err
			}
			for _, c := range cs {
				existing[c.Cell] = commentText(c)
			}
		}
		for _, m := range all[sh] {
			orig, err := f.GetCellStyle(sh, m.cell)
			if err != nil {
				return err
			}
			id, err := ms.style(orig, m.severe())
			if err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, m.cell, m.cell, id); err != nil {
				return err
			}
			if comments < maxComments {
				if err := comment(f, m, existing); err != nil {
					return fmt.Errorf("comment %s!%s: %w", sh, m.cell, err)
				}
				comments++
			}
		}
	}

	name := uniqueSheetName(issuesSheet, sheets)
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	if err := moveFirst(f, name); err != nil {
		return err
	}
	f.SetActiveSheet(0) // while 问题清单 is still empty: see book.start
	return writeIssues(b, name, in.Receipt, all)
}

// commentText is a comment's text, its runs joined.
func commentText(c excelize.Comment) string {
	if len(c.Paragraph) == 0 {
		return c.Text
	}
	var sb strings.Builder
	for _, r := range c.Paragraph {
		sb.WriteString(r.Text)
	}
	return sb.String()
}

// moveFirst moves sheet to the front of the workbook. excelize's MoveSheet leaves the
// sheet-scoped defined names (print areas, print titles, filters) pointing at sheet
// positions, which the move shifts: they are taken out before and put back after, by name.
func moveFirst(f *excelize.File, sheet string) error {
	var local []excelize.DefinedName
	for _, dn := range f.GetDefinedName() {
		if dn.Scope != "Workbook" {
			local = append(local, dn)
		}
	}
	for _, dn := range local {
		if err := f.DeleteDefinedName(&excelize.DefinedName{Name: dn.Name, Scope: dn.Scope}); err != nil {
			return fmt.Errorf("defined name %s: %w", dn.Name, err)
		}
	}
	if err := f.MoveSheet(sheet, f.GetSheetName(0)); err != nil {
		return err
	}
	for _, dn := range local {
		if err := f.SetDefinedName(&dn); err != nil {
			return fmt.Errorf("defined name %s: %w", dn.Name, err)
		}
	}
	return nil
}

// maskSheet masks every value of sheet shaped like a 身份证号.
func maskSheet(f *excelize.File, sheet string) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return err
	}
	type hit struct{ cell, value string }
	var hits []hit
	for r := 1; rows.Next(); r++ {
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return err
		}
		for c, v := range cols {
			if looksLikeID(v) {
				hits = append(hits, hit{cellName(c+1, r), qiancun.MaskID(strings.TrimSpace(v))})
			}
		}
	}
	if err := rows.Error(); err != nil {
		rows.Close()
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, h := range hits {
		if err := f.SetCellStr(sheet, h.cell, h.value); err != nil {
			return err
		}
	}
	return nil
}

// looksLikeID reports whether s is shaped like a 身份证号: 17 digits and a digit or X, or
// the 15 digits of the old cards. The check digit is not checked: a wrong one is still
// someone's number.
func looksLikeID(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 18 && len(s) != 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || i == 17 && (c == 'X' || c == 'x') {
			continue
		}
		return false
	}
	return true
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
		if err := rebuildSheet(b, names[sh.Name], sh, all[names[sh.Name]], !in.Unmasked, &comments); err != nil {
			b.f.Close()
			return nil, fmt.Errorf("sheet %q: %w", sh.Name, err)
		}
	}
	return b, nil
}

// rebuildSheet writes an upload's sheet from its rows, as text cells at their own
// addresses, with ms marked. Rows with a mark that the reader does not yield (a blank row)
// are written with their marked cells alone.
func rebuildSheet(b *book, name string, sh Sheet, ms []*mark, mask bool, comments *int) error {
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
		if err := comment(f, m, nil); err != nil {
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
			if mask && looksLikeID(v) {
				v = qiancun.MaskID(strings.TrimSpace(v))
			}
			row = put(row, i+1, excelize.Cell{Value: v})
		}
		for next < len(ms) && ms[next].row == num {
			m := ms[next]
			v := ""
			if m.col <= len(cells) {
				v = cells[m.col-1]
				if mask && looksLikeID(v) {
					v = qiancun.MaskID(strings.TrimSpace(v))
				}
			}
			row = put(row, m.col, styled(m, red, yellow, v))
			next++
		}
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
		orNone(rc.Template), orNone(rc.Period), statusText(rc.Status), rc.Rows, rc.Accepted, errs, len(rc.Issues)-errs,
		rc.SHA256, b.stamp())
	t := &table{
		sheet:  name,
		title:  "数据报送问题清单：" + rc.File,
		info:   info,
		footer: "问题清单 " + rc.File,
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
			sw.cell(kText, false, is.Value), sw.cell(kCode, false, string(is.Rule)),
			sw.cell(kCode, false, severityText(is.Severity)), sw.cell(kText, false, is.Message),
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

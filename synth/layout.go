package synth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
)

// unit is the unit a money column's values are written in.
type unit uint8

const (
	yuan unit = iota // 元
	wan              // 万元
)

func (u unit) String() string {
	if u == wan {
		return "万元"
	}
	return "元"
}

// look is how a file is written: clean (one title row, one header row, numbers as numbers,
// standard headers in the template's order) or messy, as offices fill files in. A messy
// look draws its choices from r, never from the stream that draws the facts, so clean and
// messy files of one seed carry the same facts.
type look struct {
	messy bool
	csv   bool
	r     *rand.Rand // messy choices; nil when clean
	p     *pools
}

// table is one data sheet to write: a template, its month (zero for the registry and the
// ledger) and its n rows.
type table struct {
	tpl   template
	month qiancun.Month
	n     int
	rows  rowFunc
}

// rowStyle is the style of a whole row.
type rowStyle uint8

const (
	plainRow rowStyle = iota
	titleRow
	headRow
)

// formula is a cell with a formula and its cached value.
type formula struct {
	expr string
	v    any
}

// sink is where a sheet's rows go: an excelize StreamWriter or a CSV writer. Values are nil
// (no cell), string, int64, float64, time.Time (a date) or formula.
type sink interface {
	colWidth(col int, w float64) error        // 1-based column; before the first row
	row(r int, vals []any, st rowStyle) error // 1-based row numbers, ascending, gaps blank
	merge(col1, row1, col2, row2 int) error   // an xlsx merge; a CSV ignores it
}

// colPlan is one column of a sheet as written.
type colPlan struct {
	src   int // the template column; -1 for 序号
	head  string
	group string // the upper header cell of a grouped column in a two-row header
	unit  unit   // money: the unit the values are written in
	width float64
	sum   int64 // ints, or money in fen, for the totals row
}

// layout writes table t to s as lk says: title rows, (messy) the 填报单位 line and a unit
// line, the header in one or two rows, the data, and (messy) a totals row and the footer.
func layout(ctx context.Context, s sink, t table, lk look) error {
	lineUnit, hasLine := wan, false
	if lk.messy && hasMoney(t.tpl) {
		switch x := lk.r.IntN(10); {
		case x < 3:
			lineUnit, hasLine = yuan, true
		case x < 5:
			lineUnit, hasLine = wan, true
		}
	}
	cols := planColumns(t.tpl, lk, lineUnit)
	for i, c := range cols {
		if err := s.colWidth(i+1, c.width); err != nil {
			return err
		}
	}
	w := &rowWriter{s: s, width: len(cols), row: 1}
	twoRows := w.preamble(t, lk, lineUnit, hasLine)
	w.header(cols, twoRows)
	first := w.row
	if err := w.data(ctx, t, lk, cols); err != nil {
		return err
	}
	if lk.messy {
		w.totals(t, lk, cols, first, w.row-1)
		w.footer(t, lk)
	}
	return w.err
}

// rowWriter writes rows one after the other; the first error sticks and stops the rest.
type rowWriter struct {
	s     sink
	width int
	row   int // the next row
	err   error
}

func (w *rowWriter) put(vals []any, st rowStyle) {
	if w.err == nil {
		w.err = w.s.row(w.row, vals, st)
	}
	w.row++
}

func (w *rowWriter) merge(c1, r1, c2, r2 int) {
	if w.err == nil {
		w.err = w.s.merge(c1, r1, c2, r2)
	}
}

// line is a row with text in one cell.
func (w *rowWriter) line(at int, text string) []any {
	vals := make([]any, w.width)
	vals[at] = text
	return vals
}

// title writes a title row merged across the sheet.
func (w *rowWriter) title(text string) {
	w.merge(1, w.row, w.width, w.row)
	w.put(w.line(0, text), titleRow)
}

// preamble writes the rows above the header and says whether the header takes two rows.
func (w *rowWriter) preamble(t table, lk look, lineUnit unit, hasLine bool) bool {
	if !lk.messy {
		title := t.tpl.title
		if !t.month.IsZero() {
			title += fmt.Sprintf("（%d年%d月）", t.month.Year, t.month.Month)
		}
		w.title(title)
		return false
	}
	r := lk.r
	w.title(messyTitle(t, r))
	if r.IntN(2) == 0 {
		w.title("——“万人下乡、千村提升”工程")
	}
	w.put(fillerLine(t, w.width, r), plainRow)
	if hasLine {
		text := "金额单位：" + lineUnit.String()
		if r.IntN(2) == 0 {
			text = "单位：" + lineUnit.String()
		}
		at := w.width - 1
		if r.IntN(2) == 0 {
			at = 0
		}
		w.put(w.line(at, text), plainRow)
	}
	return !lk.csv && r.IntN(4) > 0
}

// header writes the header: one row, or two with each group's name merged over its columns
// and every other column merged down both rows.
func (w *rowWriter) header(cols []colPlan, twoRows bool) {
	if !twoRows {
		head := make([]any, w.width)
		for i, c := range cols {
			head[i] = c.head
		}
		w.put(head, headRow)
		return
	}
	upper, lower := make([]any, w.width), make([]any, w.width)
	for i := 0; i < w.width; {
		c := cols[i]
		if c.group == "" {
			upper[i] = c.head
			w.merge(i+1, w.row, i+1, w.row+1)
			i++
			continue
		}
		j := i
		for j < w.width && cols[j].group == c.group {
			lower[j] = cols[j].head
			j++
		}
		upper[i] = c.group
		w.merge(i+1, w.row, j, w.row)
		i = j
	}
	w.put(upper, headRow)
	w.put(lower, headRow)
}

// data writes the data rows; a messy sheet has a blank row among them now and then.
func (w *rowWriter) data(ctx context.Context, t table, lk look, cols []colPlan) error {
	blankAt := -1
	if lk.messy && t.n > 2 {
		blankAt = 1 + lk.r.IntN(t.n-1)
	}
	cells := make([]cell, len(t.tpl.cols))
	vals := make([]any, w.width)
	for i := 0; i < t.n && w.err == nil; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if lk.messy && i > 0 && (i == blankAt || lk.r.IntN(500) == 0) {
			w.row++ // a blank row
		}
		clear(cells)
		t.rows(i, cells)
		for j := range cols {
			c := &cols[j]
			if c.src < 0 {
				vals[j] = int64(i + 1)
				continue
			}
			vals[j] = lk.value(t.tpl.cols[c.src], cells[c.src], c)
		}
		w.put(vals, plainRow)
	}
	return nil
}

// totals writes a 合计 row (most of the time), with SUM formulas and their cached values in
// a workbook, over the data rows first..last.
func (w *rowWriter) totals(t table, lk look, cols []colPlan, first, last int) {
	r := lk.r
	if r.IntN(7) == 0 || t.n == 0 || !hasNumbers(t.tpl) {
		return
	}
	if r.IntN(4) == 0 {
		w.row++
	}
	total := make([]any, w.width)
	for j := 1; j < w.width; j++ {
		c := cols[j]
		if c.src < 0 {
			continue
		}
		var v any
		switch t.tpl.cols[c.src].kind {
		case kInt:
			v = c.sum
		case kMoney:
			v = number(c.sum, c.unit)
		default:
			continue
		}
		if lk.csv || r.IntN(3) == 0 {
			total[j] = v
			continue
		}
		name, _ := excelize.ColumnNumberToName(j + 1)
		total[j] = formula{fmt.Sprintf("SUM(%s%d:%s%d)", name, first, name, last), v}
	}
	total[0] = []string{"合计", "总计"}[r.IntN(2)]
	w.put(total, plainRow)
}

// footer writes, most of the time, who filled the sheet in and who checked it, and a note.
func (w *rowWriter) footer(t table, lk look) {
	r := lk.r
	if r.IntN(7) == 0 {
		return
	}
	if r.IntN(2) == 0 {
		w.row++
	}
	lines := []string{"填表人：" + lk.p.person(r) + "　　　　审核人：" + lk.p.person(r)}
	if r.IntN(2) == 0 {
		lines = []string{"填表人：" + lk.p.person(r), "审核人：" + lk.p.person(r)}
	}
	lines = append(lines, "注："+footNote(t.tpl))
	for _, text := range lines {
		w.put(w.line(0, text), plainRow)
	}
}

func hasNumbers(t template) bool {
	for _, c := range t.cols {
		if c.kind == kInt || c.kind == kMoney {
			return true
		}
	}
	return false
}

func hasMoney(t template) bool {
	for _, c := range t.cols {
		if c.kind == kMoney {
			return true
		}
	}
	return false
}

// planColumns decides the columns of a sheet: their order, header text and money units.
// A clean sheet has the standard headers in the template's order, money in 元 (万元 for a
// column marked wan) with the unit in the header. A messy sheet may lead with 序号, shuffles
// the columns (keeping each group together), uses aliases and spacing, and gives each money
// column a unit in its header, or none (the line above the header decides, else 万元).
func planColumns(t template, lk look, lineUnit unit) []colPlan {
	var cols []colPlan
	if !lk.messy {
		for i, c := range t.cols {
			cp := colPlan{src: i, head: c.header, width: c.width}
			if c.kind == kMoney {
				if c.wan {
					cp.unit = wan
				}
				cp.head += "(" + cp.unit.String() + ")"
			}
			cols = append(cols, cp)
		}
		return cols
	}
	r := lk.r
	if r.IntN(7) > 0 {
		cols = append(cols, colPlan{src: -1, head: "序号", width: 6})
	}
	// Units are a group's columns, or one column on its own.
	var units [][]int
	seen := map[string]int{}
	for i, c := range t.cols {
		if c.group == "" {
			units = append(units, []int{i})
			continue
		}
		if u, ok := seen[c.group]; ok {
			units[u] = append(units[u], i)
			continue
		}
		seen[c.group] = len(units)
		units = append(units, []int{i})
	}
	if r.IntN(5) > 0 {
		r.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
		for _, u := range units {
			r.Shuffle(len(u), func(i, j int) { u[i], u[j] = u[j], u[i] })
		}
	}
	for _, u := range units {
		for _, i := range u {
			c := t.cols[i]
			head := c.header
			if len(c.aliases) > 0 && r.IntN(10) < 4 {
				head = pick(r, c.aliases)
			}
			if utf8.RuneCountInString(head) == 2 && r.IntN(6) == 0 {
				rs := []rune(head)
				head = string(rs[0]) + []string{"  ", "　", " "}[r.IntN(3)] + string(rs[1])
			}
			cp := colPlan{src: i, head: head, group: c.group, width: c.width}
			if c.kind == kMoney {
				hu, inHead := yuan, true
				x := r.IntN(100)
				switch {
				case c.wan && x < 85, !c.wan && x >= 45 && x < 80:
					hu = wan
				case c.wan, x >= 80:
					inHead = false
				}
				cp.unit = hu
				if !inHead {
					cp.unit = lineUnit
				} else if r.IntN(2) == 0 {
					cp.head += "（" + hu.String() + "）"
				} else {
					cp.head += "(" + hu.String() + ")"
				}
			}
			cols = append(cols, cp)
		}
	}
	return cols
}

// value returns how cell v of template column c is written in column p, and adds it to
// p's total.
func (lk look) value(c column, v cell, p *colPlan) any {
	switch c.kind {
	case kInt:
		p.sum += v.n
		return lk.integer(v.n)
	case kMoney:
		p.sum += v.n
		return lk.money(v.n, p.unit)
	case kCodes, kList:
		sep := "、"
		if lk.messy && len(v.list) > 1 && lk.r.IntN(10) < 3 {
			sep = []string{"，", ",", "；", ";"}[lk.r.IntN(4)]
		}
		return strings.Join(v.list, sep)
	case kDate:
		if v.t.IsZero() {
			return nil
		}
		if !lk.messy {
			return v.t
		}
		switch lk.r.IntN(5) {
		case 0:
			return v.t.Format("2006-01-02")
		case 1:
			return v.t.Format("2006/1/2")
		case 2:
			return v.t.Format("2006年1月2日")
		}
		return v.t
	}
	if v.s == "" {
		return nil
	}
	return v.s
}

func (lk look) integer(n int64) any {
	if !lk.messy || n < 0 {
		return n
	}
	s := strconv.FormatInt(n, 10)
	switch x := lk.r.IntN(100); {
	case x < 78:
		return n
	case x < 84:
		return " " + s + " "
	case x < 90:
		return fullWidth(s)
	case x < 95 && n >= 1000:
		return group3(s)
	}
	return s
}

func (lk look) money(fen int64, u unit) any {
	if !lk.messy || fen < 0 {
		return number(fen, u)
	}
	switch x := lk.r.IntN(100); {
	case x < 60:
		return number(fen, u)
	case x < 68:
		return decimal(fen, u, false)
	case x < 76:
		return decimal(fen, u, true)
	case x < 82:
		return " " + decimal(fen, u, false) + " "
	case x < 87:
		return fullWidth(decimal(fen, u, false))
	case x < 94:
		return decimal(fen, wan, false) + "万"
	}
	return decimal(fen, yuan, true) + "元"
}

// number returns fen as a number in unit u. The float is the nearest to the decimal and its
// shortest form is the decimal itself (amounts are far below 15 significant digits), so
// the file stores exactly 12.35 or 123456.78.
func number(fen int64, u unit) float64 {
	if u == wan {
		return float64(fen) / fenPerWan
	}
	return float64(fen) / 100
}

// decimal formats fen exactly in unit u, without trailing zeros, with thousands separators
// if sep.
func decimal(fen int64, u unit, sep bool) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	div, digits := int64(100), 2
	if u == wan {
		div, digits = fenPerWan, 6
	}
	ip := strconv.FormatInt(fen/div, 10)
	if sep {
		ip = group3(ip)
	}
	fp := strings.TrimRight(fmt.Sprintf("%0*d", digits, fen%div), "0")
	s := ip
	if fp != "" {
		s += "." + fp
	}
	if neg {
		s = "-" + s
	}
	return s
}

// group3 puts thousands separators into a string of digits.
func group3(digits string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fullWidth turns ASCII digits into full-width ones (１２３).
func fullWidth(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			c = '０' + (c - '0')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// messyTitle names the month in one of the ways offices do.
func messyTitle(t table, r *rand.Rand) string {
	if t.month.IsZero() {
		return t.tpl.title
	}
	y, m := t.month.Year, t.month.Month
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf("%s（%d年%02d月）", t.tpl.title, y, m)
	case 1:
		return fmt.Sprintf("%s（%d.%d）", t.tpl.title, y, m)
	case 2:
		return fmt.Sprintf("%d年%d月%s", y, m, strings.TrimPrefix(t.tpl.title, "济南市"))
	}
	return fmt.Sprintf("%s（%d年%d月）", t.tpl.title, y, m)
}

// fillerLine is the 填报单位 line. Its 填报日期 is the month's last day, so that a reader
// looking for the period above the header finds no other month there.
func fillerLine(t table, width int, r *rand.Rand) []any {
	vals := make([]any, width)
	unit := "填报单位：" + t.tpl.filler
	if r.IntN(3) == 0 {
		unit += "（盖章）"
	}
	if t.month.IsZero() {
		vals[0] = unit
		return vals
	}
	date := fmt.Sprintf("填报日期：%d年%d月%d日", t.month.Year, t.month.Month, daysIn(t.month))
	if r.IntN(3) == 0 {
		vals[0] = unit + "　　　　" + date
		return vals
	}
	vals[0] = unit
	vals[width-2] = date
	if r.IntN(4) == 0 {
		vals[width/2-1] = fmt.Sprintf("报告期：%d年%d月", t.month.Year, t.month.Month)
	}
	return vals
}

func footNote(t template) string {
	switch t.slug {
	case "villages":
		return "本名册由各区县核实后报送，村代码为统计用区划代码。"
	case "projects":
		return "项目编号全市统一，谋划中的项目可不填开工日期。"
	}
	return "本表由各区县汇总后按月报送，身份证号码须填写完整。"
}

// dateOf is for CSV: the text of a date cell.
func dateOf(t time.Time) string { return t.Format("2006-01-02") }

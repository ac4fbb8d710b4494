package ingest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qiancun/qiancun"
)

// validator checks the data rows of one sheet against its template.
type validator struct {
	l       *layout
	t       *Template
	sheet   string
	sub     *Submission
	reg     Registry
	numIdx  []int // per template column: its index in Fact.Values, or -1
	nvals   int   // the numeric columns
	keys    keySet
	months  map[qiancun.Month]string
	unitsOK []bool // per column: a unit-conversion warning was given
	accept  bool
	errors  int     // issues of severity Error so far
	w       *writer // where valid rows go
	// nums says which cells of the current row were numbers.
	nums Rows
	// keyCol is the sheet column of the member key, or -1.
	keyCol int
	// groups are the names that may come before a totals label (历城区小计, 市级小计).
	groups map[string]bool
	// periods tallies the months of the 报告期 column: the rows giving each month, in the
	// order first seen.
	periods []periodTally
	// attrs gathers the current row's Fact.Attrs.
	attrs attrRow
	// Each fact's slices are cut from slabs of a thousand rows or so, rather than made per
	// row: a slab is never written again where it has been cut, and a slab goes when the
	// last of its rows has been stored.
	valSlab  []int64
	villSlab []string
	attrSlab []byte
	codes    []string // the village codes of the cell being read
	// districts are Jinan's, for the district columns.
	districts []qiancun.District
}

// periodTally is one month found in the 报告期 column, and where.
type periodTally struct {
	month qiancun.Month
	n     int      // the rows that give it
	rows  []int32  // the first maxPeriodCells of them
	raws  []string // each of those rows' cell as found
}

// maxPeriodCells bounds the cells kept per month of a 报告期 column, so that a file of a
// million rows costs no more: a receipt names that many cells of a month at most, and
// counts the rest.
const maxPeriodCells = 1000

func newValidator(in *Ingester, l *layout, sheet string, sub *Submission, opt Options, w *writer) *validator {
	v := &validator{
		l: l, t: l.tmpl, sheet: sheet, sub: sub, w: w,
		numIdx:    make([]int, len(l.tmpl.Columns)),
		months:    map[qiancun.Month]string{},
		unitsOK:   make([]bool, len(l.tmpl.Columns)),
		accept:    opt.AcceptValid,
		keyCol:    -1,
		groups:    totalsGroups(l.tmpl),
		attrs:     newAttrRow(l.tmpl),
		districts: qiancun.Districts(),
	}
	if k := slices.IndexFunc(l.tmpl.Columns, func(c Column) bool { return c.Role == RoleKey }); k >= 0 {
		v.keyCol = l.cols[k]
	}
	n := 0
	for i := range v.t.Columns {
		v.numIdx[i] = -1
		if v.t.Columns[i].Numeric() {
			v.numIdx[i] = n
			n++
		}
	}
	v.nvals = n
	return v
}

func (v *validator) issue(col *Column, cell, value string, rule qiancun.Rule, sev qiancun.Severity, detail string) {
	v.issueMsg(col, cell, value, rule, sev, ruleMessage(rule, col, detail))
}

// issueMsg records an issue whose message is not the rule's usual one.
func (v *validator) issueMsg(col *Column, cell, value string, rule qiancun.Rule, sev qiancun.Severity, msg string) {
	if sev == qiancun.Error {
		v.errors++
	}
	h := ""
	if col != nil {
		h = col.Header
	}
	v.sub.Receipt.Add(qiancun.Issue{
		Sheet: v.sheet, Cell: cell, Column: h, Value: maskValue(col, value),
		Rule: rule, Severity: sev, Message: msg,
	})
}

func (v *validator) headerRow() int { return v.l.headerRows[len(v.l.headerRows)-1] }

// checkHeader reports the required columns that are missing and the columns no template
// declares.
func (v *validator) checkHeader() {
	for i := range v.t.Columns {
		c := &v.t.Columns[i]
		if v.l.cols[i] < 0 && c.Required {
			v.issue(c, cellName(len(v.l.headers), v.headerRow()), "", qiancun.MissingColumn, qiancun.Error, "")
		}
	}
	for _, j := range v.l.extra {
		v.sub.Receipt.Add(qiancun.Issue{
			Sheet: v.sheet, Cell: cellName(j, v.headerRow()), Column: v.l.headers[j], Value: v.l.headers[j],
			Rule: qiancun.ExtraColumn, Severity: qiancun.Warning, Message: ruleMessage(qiancun.ExtraColumn, nil, ""),
		})
	}
}

func firstCell(cells []string) int {
	for j, c := range cells {
		if cleanCell(c) != "" {
			return j
		}
	}
	return 0
}

// row validates one data row and keeps it as a fact or sets it aside.
func (v *validator) row(num int, cells []string) {
	if isBlank(cells) {
		return
	}
	if j, ok := v.totalsRow(cells); ok {
		v.sub.Receipt.Add(qiancun.Issue{
			Sheet: v.sheet, Cell: cellName(j, num), Value: cleanCell(cells[j]),
			Rule: qiancun.SkippedRow, Severity: qiancun.Warning, Message: ruleMessage(qiancun.SkippedRow, nil, "合计行"),
		})
		return
	}
	if isFooter(cells) {
		j := firstCell(cells)
		v.sub.Receipt.Add(qiancun.Issue{
			Sheet: v.sheet, Cell: cellName(j, num), Value: cleanCell(cells[j]),
			Rule: qiancun.SkippedRow, Severity: qiancun.Warning, Message: ruleMessage(qiancun.SkippedRow, nil, "表尾说明行"),
		})
		return
	}
	v.sub.Receipt.Rows++
	before := v.errors
	f := Fact{Row: num, Values: v.values()}
	v.attrs.reset()
	for i := range v.t.Columns {
		j := v.l.cols[i]
		if j < 0 {
			continue
		}
		raw := ""
		if j < len(cells) {
			raw = cells[j]
		}
		v.cell(&f, i, cellRef{j, num}, raw)
	}
	if pc := v.l.periodCol; pc >= 0 && pc < len(cells) && cleanCell(cells[pc]) != "" {
		if m, ok := findMonth(cells[pc]); ok {
			v.tallyPeriod(m, num, cleanCell(cells[pc]))
		} else {
			v.issue(nil, cellName(pc, num), cells[pc], qiancun.BadPeriod, qiancun.Error, "报告期应为年月，如2024年5月")
		}
	}
	if f.Key != "" {
		if first, dup := v.keys.add(f.Key, num); dup {
			k := slices.IndexFunc(v.t.Columns, func(c Column) bool { return c.Role == RoleKey })
			v.issue(&v.t.Columns[k], cellName(v.l.cols[k], num), f.Key, qiancun.DuplicateKey, qiancun.Error, fmt.Sprintf("与第%d行重复", first))
		}
	}
	if v.errors > before {
		if v.accept {
			v.sub.Quarantined = append(v.sub.Quarantined, Quarantined{Row: num, Cells: slices.Clone(cells)})
		}
		return
	}
	f.Attrs = v.attrs.json(&v.attrSlab)
	v.w.add(f)
}

// slabRows is how many rows' values a slab holds.
const slabRows = 1024

// values returns a row's Fact.Values, zero, cut from the slab.
func (v *validator) values() []int64 {
	n := v.nvals
	if cap(v.valSlab)-len(v.valSlab) < n {
		v.valSlab = make([]int64, 0, n*slabRows)
	}
	k := len(v.valSlab)
	v.valSlab = v.valSlab[:k+n]
	return v.valSlab[k : k+n : k+n]
}

// villages returns a copy of codes cut from the slab, or nil for none.
func (v *validator) villages(codes []string) []string {
	n := len(codes)
	if n == 0 {
		return nil
	}
	if cap(v.villSlab)-len(v.villSlab) < n {
		v.villSlab = make([]string, 0, max(n, slabRows))
	}
	k := len(v.villSlab)
	v.villSlab = append(v.villSlab, codes...)
	return v.villSlab[k : k+n : k+n]
}

// cellRef is a cell's place, named (A1) only when an issue needs it.
type cellRef struct{ col, row int }

func (r cellRef) String() string { return cellName(r.col, r.row) }

// cell validates the cell of template column i and stores its value in f.
func (v *validator) cell(f *Fact, i int, at cellRef, raw string) {
	c := &v.t.Columns[i]
	if hasRuneError(raw) {
		v.issue(c, at.String(), raw, qiancun.BadEncoding, qiancun.Error, "")
		return
	}
	s := cleanCell(raw)
	if isNil(s) && (c.Numeric() || s == "") {
		if c.Required {
			v.issue(c, at.String(), raw, qiancun.MissingValue, qiancun.Error, "")
		}
		return
	}
	switch c.Type {
	case Code, Village, Town:
		// A code stored as a number: 12 digits are exact in a double, read them.
		if p, ok := plainNumber(s); ok {
			s = p
		}
	}
	switch c.Type {
	case Integer:
		n, e := parseInteger(s)
		switch e {
		case numBad:
			v.issue(c, at.String(), raw, qiancun.BadInteger, qiancun.Error, "")
			return
		case numNotInteger:
			v.issue(c, at.String(), raw, qiancun.BadInteger, qiancun.Error, "不能有小数")
			return
		}
		if !v.inRange(c, float64(n)) {
			v.issue(c, at.String(), raw, qiancun.OutOfRange, qiancun.Error, rangeText(c))
			return
		}
		f.Values[v.numIdx[i]] = n * 100
	case Money:
		unit := v.l.units[i]
		if unit == "" {
			unit = v.l.sheetUnit
		}
		if unit == "" {
			unit = "万元"
		}
		fen, converted, ok := parseMoney(s, unit)
		if !ok {
			v.issue(c, at.String(), raw, qiancun.BadNumber, qiancun.Error, "")
			return
		}
		if c.Min != nil && float64(fen) < *c.Min*100 || c.Max != nil && float64(fen) > *c.Max*100 {
			v.issue(c, at.String(), raw, qiancun.OutOfRange, qiancun.Error, rangeText(c))
			return
		}
		if converted && !v.unitsOK[i] {
			v.unitsOK[i] = true
			v.issue(c, at.String(), raw, qiancun.UnitConverted, qiancun.Warning, "按万元计")
		}
		f.Values[v.numIdx[i]] = fen
	case IDType:
		if v.numeric(at.col) {
			v.issueMsg(c, at.String(), raw, qiancun.BadID, qiancun.Error, numberStoredMessage(c))
			return
		}
		id := upper(foldWidth(s))
		if !qiancun.ValidID(id) {
			v.issue(c, at.String(), raw, qiancun.BadID, qiancun.Error, "")
			return
		}
		v.role(f, i, id)
	case USCCType:
		if v.numeric(at.col) {
			v.issueMsg(c, at.String(), raw, qiancun.BadUSCC, qiancun.Error, numberStoredMessage(c))
			return
		}
		code := upper(foldWidth(s))
		if !qiancun.ValidUSCC(code) {
			v.issue(c, at.String(), raw, qiancun.BadUSCC, qiancun.Error, "")
			return
		}
		v.role(f, i, code)
	case Code:
		code := normCode(s)
		if !allDigits(code, 12) || qiancun.DistrictName(code[:6]) == "" {
			v.issue(c, at.String(), raw, qiancun.BadCode, qiancun.Error, "应为12位统计用区划代码，前6位为济南市区县代码")
			return
		}
		v.role(f, i, code)
	case Village:
		codes := v.codes[:0]
		for rest := s; ; {
			var p string
			if p, rest = cutItem(rest); p == "" {
				break
			}
			code := normCode(p)
			switch {
			case !allDigits(code, 12):
				v.issue(c, at.String(), raw, qiancun.BadCode, qiancun.Error, fmt.Sprintf("「%s」不是12位村代码", p))
				return
			case v.reg == nil || !v.reg.Village(code):
				v.issue(c, at.String(), raw, qiancun.UnknownVillage, qiancun.Error, code+v.noRegistry())
				return
			}
			if !slices.Contains(codes, code) {
				codes = append(codes, code)
			}
		}
		v.codes = codes
		if len(codes) > 1 && !c.Multi {
			v.issue(c, at.String(), raw, qiancun.BadCode, qiancun.Error, "只能填写一个村代码")
			return
		}
		f.Villages = v.villages(codes)
		if c.Role != RoleVillages && c.Role != RoleTown {
			v.attr(f, i, strings.Join(codes, "、"))
		}
	case Town:
		code := normCode(s)
		if !allDigits(code, 9) {
			v.issue(c, at.String(), raw, qiancun.BadCode, qiancun.Error, "应为9位镇街代码")
			return
		}
		if v.reg == nil || !v.reg.Town(code) {
			v.issue(c, at.String(), raw, qiancun.UnknownTown, qiancun.Error, code+v.noRegistry())
			return
		}
		f.Town = code
		v.attr(f, i, code)
	case DistType:
		name := foldWidth(s)
		found := false
		for _, d := range v.districts {
			if d.Name == name || d.Code == name {
				name, found = d.Name, true
			}
		}
		if !found {
			v.issue(c, at.String(), raw, qiancun.BadChoice, qiancun.Error, "不是济南市的区县")
			return
		}
		v.attr(f, i, name)
	case Choice:
		if !c.Multi {
			if !slices.Contains(c.Choices, s) {
				v.issue(c, at.String(), raw, qiancun.BadChoice, qiancun.Error, "可选："+strings.Join(c.Choices, "、"))
				return
			}
			v.attr(f, i, s)
			return
		}
		vals := splitList(s)
		for _, x := range vals {
			if !slices.Contains(c.Choices, x) {
				v.issue(c, at.String(), raw, qiancun.BadChoice, qiancun.Error, "可选："+strings.Join(c.Choices, "、"))
				return
			}
		}
		v.attr(f, i, strings.Join(vals, "、"))
	case Date:
		d, ok := parseDate(s)
		if !ok {
			v.issue(c, at.String(), raw, qiancun.BadDate, qiancun.Error, "")
			return
		}
		v.attr(f, i, d.Format("2006-01-02"))
	default:
		v.role(f, i, s)
	}
}

// upper is strings.ToUpper(s), without its work for the identifiers that are upper case
// already.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'a' <= c && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// noRegistry explains an unknown village when no registry has been submitted at all.
func (v *validator) noRegistry() string {
	if v.reg == nil || v.reg.Size() == 0 {
		return "（系统中尚无帮扶村名册，请先上传帮扶村名册）"
	}
	return ""
}

// role stores the text value of template column i where its role puts it.
func (v *validator) role(f *Fact, i int, s string) {
	switch v.t.Columns[i].Role {
	case RoleKey:
		f.Key = s
	case RoleName:
		f.Name = s
	default:
		v.attr(f, i, s)
	}
}

// attr stores the value of template column i: in Fact.Name or Fact.Key for those roles,
// else among the row's attrs, which become Fact.Attrs once the row is found valid.
func (v *validator) attr(f *Fact, i int, s string) {
	switch v.t.Columns[i].Role {
	case RoleVillages, RoleTown:
		return // kept in Fact.Villages and Fact.Town
	case RoleName:
		f.Name = s
		return
	case RoleKey:
		f.Key = s
		return
	}
	v.attrs.set(i, s)
}

func (v *validator) inRange(c *Column, x float64) bool {
	return (c.Min == nil || x >= *c.Min) && (c.Max == nil || x <= *c.Max)
}

func rangeText(c *Column) string {
	switch {
	case c.Min != nil && c.Max != nil:
		return fmt.Sprintf("应在%g至%g之间", *c.Min, *c.Max)
	case c.Min != nil:
		return fmt.Sprintf("不能小于%g", *c.Min)
	case c.Max != nil:
		return fmt.Sprintf("不能大于%g", *c.Max)
	}
	return ""
}

// finish settles the period and the file-level rules once every row is read.
func (v *validator) finish(name string, opt Options) error {
	rc := v.sub.Receipt
	if rc.Rows == 0 {
		v.issue(nil, "", "", qiancun.NoData, qiancun.Error, "")
	}
	if v.t.Kind != KindMonthly {
		return nil
	}
	if m, ok := v.periodColumn(); ok {
		v.months[m] = "报告期列"
	}
	if opt.Period != "" {
		rc.Period = opt.Period
		return nil
	}
	// A file's month: a 报告期 column or cell, the title rows, the file name. Every source
	// found must agree.
	for _, line := range v.l.titles {
		if m, ok := periodCell(line); ok {
			v.months[m] = "报告期单元格"
		} else if m, ok := findMonth(line); ok && isTitleLine(line) {
			if _, seen := v.months[m]; !seen {
				v.months[m] = "标题行"
			}
		}
	}
	if m, ok := findMonth(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))); ok {
		if _, seen := v.months[m]; !seen {
			v.months[m] = "文件名"
		}
	}
	switch len(v.months) {
	case 0:
		v.issue(nil, "", filepath.Base(name), qiancun.BadPeriod, qiancun.Error, "报告期列、标题行和文件名中都没有年月，请在上传时指定报告期")
	case 1:
		for m := range v.months {
			rc.Period = m.String()
		}
	default:
		var found []string
		for m, src := range v.months {
			found = append(found, src+"为"+m.String())
		}
		slices.Sort(found)
		v.issue(nil, "", strings.Join(found, "，"), qiancun.BadPeriod, qiancun.Error, "文件中的年月不一致（"+strings.Join(found, "，")+"），请在上传时指定报告期")
	}
	return nil
}

// numeric reports whether sheet column j of the current row was stored as a number.
func (v *validator) numeric(j int) bool { return v.nums != nil && v.nums.Numeric(j) }

// numberStoredMessage tells a department that Excel turned an identifier into a number.
func numberStoredMessage(c *Column) string {
	return "「" + c.Header + "」被 Excel 存成了数字，超过15位的末几位已丢失，无法恢复：" +
		"请将该列设置为“文本”格式，再重新输入完整的号码"
}

// totalsGroups are the names a totals label may follow in a template's files: Jinan's
// districts (历城区, or 历城), the values of the template's choice columns (市级, 县级, 乡级),
// and the levels and the city as offices write them.
func totalsGroups(t *Template) map[string]bool {
	g := map[string]bool{"全市": true, "全区": true, "全县": true, "本市": true,
		"市级": true, "县级": true, "区级": true, "乡级": true, "镇级": true, "乡镇级": true, "村级": true}
	for _, d := range qiancun.Districts() {
		g[d.Name] = true
		r := []rune(d.Name)
		g[string(r[:len(r)-1])] = true // 历城区 -> 历城
	}
	for _, c := range t.Columns {
		if c.Type == Choice {
			for _, ch := range c.Choices {
				g[ch] = true
			}
		}
	}
	return g
}

// totalsLabel reports whether a cell labels a totals row: 合计, 小计 or 总计 as the whole cell
// (spaces and a final colon aside), or after a group's name (历城区小计, 市级小计).
func (v *validator) totalsLabel(s string) bool {
	if len(s) > 64 || !strings.Contains(s, "计") { // every label ends in 计: most cells go no further
		return false
	}
	s = foldWidth(cleanCell(s))
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u3000' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, ":")
	for w := range totalsWords {
		if rest, ok := strings.CutSuffix(s, w); ok && (rest == "" || v.groups[rest]) {
			return true
		}
	}
	return false
}

// mayBeTotals is false for most cells that totalsLabel refuses, looking at their end: a
// label, spaces and colons aside, ends in 计, so a cell whose last character is a digit, a
// letter or another ideograph is none.
func mayBeTotals(s string) bool {
	n := len(s)
	if n < len("计") {
		return false
	}
	switch b := s[n-1]; {
	case b < utf8.RuneSelf:
		// What totalsLabel removes at the end: spaces, controls, colons.
		return b <= ' ' || b == ':'
	case 0xE4 <= s[n-3] && s[n-3] <= 0xE9 && s[n-2]&0xC0 == 0x80 && b&0xC0 == 0x80:
		// A CJK ideograph, which nothing folds or trims.
		return s[n-3:] == "计"
	}
	return true
}

// totalsRow reports whether a row is a totals row, and the column of its label: a cell of
// the row, in any column, is a totals label, and the row has no member key (the key cell
// is empty, or is the label itself). A member whose name or unit merely contains 合计 is
// no totals row: the label must be the whole cell, and a member has a key.
func (v *validator) totalsRow(cells []string) (int, bool) {
	label := -1
	for j, c := range cells {
		if mayBeTotals(c) && v.totalsLabel(c) {
			label = j
			break
		}
	}
	if label < 0 {
		return 0, false
	}
	if k := v.keyCol; k >= 0 && k < len(cells) && cleanCell(cells[k]) != "" && !v.totalsLabel(cells[k]) {
		return 0, false
	}
	return label, true
}

// tallyPeriod records the month a row's 报告期 cell gives.
func (v *validator) tallyPeriod(m qiancun.Month, row int, raw string) {
	i := slices.IndexFunc(v.periods, func(p periodTally) bool { return p.month == m })
	if i < 0 {
		v.periods = append(v.periods, periodTally{month: m})
		i = len(v.periods) - 1
	}
	p := &v.periods[i]
	if p.n++; len(p.rows) < maxPeriodCells {
		p.rows = append(p.rows, int32(row))
		p.raws = append(p.raws, raw)
	}
}

// periodColumn settles the 报告期 column: the month most of its rows give (on a tie, the
// one seen first), and bad_period at every cell that gives another, with the value found.
// It answers false when the column gave no month.
func (v *validator) periodColumn() (qiancun.Month, bool) {
	if len(v.periods) == 0 {
		return qiancun.Month{}, false
	}
	best := 0
	for i, p := range v.periods {
		if p.n > v.periods[best].n {
			best = i
		}
	}
	m, most := v.periods[best].month, v.periods[best].n
	type cell struct {
		row int32
		raw string
		got qiancun.Month
	}
	var odd []cell
	for i, p := range v.periods {
		if i == best {
			continue
		}
		for k, r := range p.rows {
			odd = append(odd, cell{r, p.raws[k], p.month})
		}
	}
	slices.SortFunc(odd, func(a, b cell) int { return int(a.row - b.row) })
	for _, c := range odd {
		v.issue(nil, cellName(v.l.periodCol, int(c.row)), c.raw, qiancun.BadPeriod, qiancun.Error,
			fmt.Sprintf("本行报告期为%s，与多数行（%d行）的%s不一致", c.got, most, m))
	}
	for i, p := range v.periods {
		if i != best && p.n > len(p.rows) {
			v.issue(nil, "", p.month.String(), qiancun.BadPeriod, qiancun.Error,
				fmt.Sprintf("另有%d行的报告期为%s，与多数行（%d行）的%s不一致", p.n-len(p.rows), p.month, most, m))
		}
	}
	return m, true
}

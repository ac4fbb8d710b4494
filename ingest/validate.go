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
	numIdx  []int          // per template column: its index in Fact.Values, or -1
	keys    map[string]int // member key -> first row
	months  map[qiancun.Month]string
	unitsOK []bool // per column: a unit-conversion warning was given
	accept  bool
	errors  int     // issues of severity Error so far
	w       *writer // where valid rows go
}

func newValidator(in *Ingester, l *layout, sheet string, sub *Submission, opt Options, w *writer) *validator {
	v := &validator{
		l: l, t: l.tmpl, sheet: sheet, sub: sub, w: w,
		numIdx:  make([]int, len(l.tmpl.Columns)),
		keys:    map[string]int{},
		months:  map[qiancun.Month]string{},
		unitsOK: make([]bool, len(l.tmpl.Columns)),
		accept:  opt.AcceptValid,
	}
	n := 0
	for i := range v.t.Columns {
		v.numIdx[i] = -1
		if v.t.Columns[i].Numeric() {
			v.numIdx[i] = n
			n++
		}
	}
	return v
}

func (v *validator) issue(col *Column, cell, value string, rule qiancun.Rule, sev qiancun.Severity, detail string) {
	if sev == qiancun.Error {
		v.errors++
	}
	h := ""
	if col != nil {
		h = col.Header
	}
	v.sub.Receipt.Add(qiancun.Issue{
		Sheet: v.sheet, Cell: cell, Column: h, Value: maskValue(col, value),
		Rule: rule, Severity: sev, Message: ruleMessage(rule, col, detail),
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
	if isTotals(cells) || isFooter(cells) {
		j := firstCell(cells)
		v.sub.Receipt.Add(qiancun.Issue{
			Sheet: v.sheet, Cell: cellName(j, num), Value: cleanCell(cells[j]),
			Rule: qiancun.SkippedRow, Severity: qiancun.Warning, Message: ruleMessage(qiancun.SkippedRow, nil, ""),
		})
		return
	}
	v.sub.Receipt.Rows++
	before := v.errors
	f := Fact{Row: num, Values: make([]int64, len(v.numIdx)-countNeg(v.numIdx))}
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
			v.months[m] = "报告期列"
		} else {
			v.issue(nil, cellName(pc, num), cells[pc], qiancun.BadPeriod, qiancun.Error, "报告期应为年月，如2024年5月")
		}
	}
	if f.Key != "" {
		if first, dup := v.keys[f.Key]; dup {
			k := slices.IndexFunc(v.t.Columns, func(c Column) bool { return c.Role == RoleKey })
			v.issue(&v.t.Columns[k], cellName(v.l.cols[k], num), f.Key, qiancun.DuplicateKey, qiancun.Error, fmt.Sprintf("与第%d行重复", first))
		} else {
			v.keys[f.Key] = num
		}
	}
	if v.errors > before {
		if v.accept {
			v.sub.Quarantined = append(v.sub.Quarantined, Quarantined{Row: num, Cells: slices.Clone(cells)})
		}
		return
	}
	v.w.add(f)
}

func countNeg(xs []int) int {
	n := 0
	for _, x := range xs {
		if x < 0 {
			n++
		}
	}
	return n
}

// cellRef is a cell's place, named (A1) only when an issue needs it.
type cellRef struct{ col, row int }

func (r cellRef) String() string { return cellName(r.col, r.row) }

// cell validates the cell of template column i and stores its value in f.
func (v *validator) cell(f *Fact, i int, at cellRef, raw string) {
	c := &v.t.Columns[i]
	if strings.ContainsRune(raw, utf8.RuneError) {
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
		id := strings.ToUpper(foldWidth(s))
		if !qiancun.ValidID(id) {
			v.issue(c, at.String(), raw, qiancun.BadID, qiancun.Error, "")
			return
		}
		v.role(f, c, id)
	case USCCType:
		code := strings.ToUpper(foldWidth(s))
		if !qiancun.ValidUSCC(code) {
			v.issue(c, at.String(), raw, qiancun.BadUSCC, qiancun.Error, "")
			return
		}
		v.role(f, c, code)
	case Code:
		code := normCode(s)
		if !allDigits(code, 12) || qiancun.DistrictName(code[:6]) == "" {
			v.issue(c, at.String(), raw, qiancun.BadCode, qiancun.Error, "应为12位统计用区划代码，前6位为济南市区县代码")
			return
		}
		v.role(f, c, code)
	case Village:
		var codes []string
		for _, p := range splitList(s) {
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
		if len(codes) > 1 && !c.Multi {
			v.issue(c, at.String(), raw, qiancun.BadCode, qiancun.Error, "只能填写一个村代码")
			return
		}
		f.Villages = codes
		v.attr(f, c, strings.Join(codes, "、"))
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
		v.attr(f, c, code)
	case DistType:
		name := foldWidth(s)
		found := false
		for _, d := range qiancun.Districts() {
			if d.Name == name || d.Code == name {
				name, found = d.Name, true
			}
		}
		if !found {
			v.issue(c, at.String(), raw, qiancun.BadChoice, qiancun.Error, "不是济南市的区县")
			return
		}
		v.attr(f, c, name)
	case Choice:
		vals := []string{s}
		if c.Multi {
			vals = splitList(s)
		}
		for _, x := range vals {
			if !slices.Contains(c.Choices, x) {
				v.issue(c, at.String(), raw, qiancun.BadChoice, qiancun.Error, "可选："+strings.Join(c.Choices, "、"))
				return
			}
		}
		v.attr(f, c, strings.Join(vals, "、"))
	case Date:
		d, ok := parseDate(s)
		if !ok {
			v.issue(c, at.String(), raw, qiancun.BadDate, qiancun.Error, "")
			return
		}
		v.attr(f, c, d.Format("2006-01-02"))
	default:
		v.role(f, c, s)
	}
}

// noRegistry explains an unknown village when no registry has been submitted at all.
func (v *validator) noRegistry() string {
	if v.reg == nil || v.reg.Size() == 0 {
		return "（系统中尚无帮扶村名册，请先上传帮扶村名册）"
	}
	return ""
}

// role stores a text value where its column's role puts it.
func (v *validator) role(f *Fact, c *Column, s string) {
	switch c.Role {
	case RoleKey:
		f.Key = s
	case RoleName:
		f.Name = s
	default:
		v.attr(f, c, s)
	}
}

func (v *validator) attr(f *Fact, c *Column, s string) {
	if c.Role == RoleVillages || c.Role == RoleTown {
		return // kept in Fact.Villages and Fact.Town
	}
	if c.Role == RoleName {
		f.Name = s
		return
	}
	if c.Role == RoleKey {
		f.Key = s
		return
	}
	if f.Attrs == nil {
		f.Attrs = make(map[string]string, 2)
	}
	f.Attrs[c.Header] = s
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

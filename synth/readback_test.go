package synth_test

// A small reader for the files the generator writes, independent of package synth's own
// tables and of package ingest: the headers, aliases and types below are copied from the
// data contract, and the parsing follows the contract's rules (units, text numbers, totals
// and footer rows). Money is parsed by string arithmetic, never through a float.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/width"
)

// tcol is a template column as the contract defines it.
type tcol struct {
	std      string
	aliases  []string
	kind     byte // t text, k key, c village codes, l choice list, i integer, m money, d date
	required bool
}

// contractTemplates returns the contract's templates by slug, and the file base names that
// name them.
func contractTemplates() (map[string][]tcol, map[string]string) {
	parse := func(spec ...string) []tcol {
		var out []tcol
		for _, s := range spec {
			names, k, _ := strings.Cut(s, ":")
			parts := strings.Split(names, "|")
			out = append(out, tcol{std: parts[0], aliases: parts[1:], kind: strings.TrimSuffix(k, "?")[0], required: !strings.HasSuffix(k, "?")})
		}
		return out
	}
	id := "身份证号|身份证号码|公民身份号码:k"
	codes := "村代码|帮扶村代码:c"
	tpls := map[string][]tcol{
		"villages": parse("村代码|行政村代码|区划代码:k", "区县|县区|县(市、区):t", "镇街|乡镇(街道)|镇(街道):t", "村名|行政村|村庄名称:t", "管理主体|功能区:t?"),
		"first_secretary": parse("姓名|第一书记姓名:t", id, "派出单位|选派单位:t", codes, "驻村天数|本月驻村天数|在岗天数:i",
			"走访农户数|走访户数:i", "协调资金|争取协调资金:m", "实施项目数|实施产业项目数:i", "村集体增收|村集体经济增收:m",
			"办实事数|为民办实事数:i", "化解矛盾纠纷数|化解纠纷数:i"),
		"enterprise": parse("企业名称|企业(团体)名称:t", "统一社会信用代码|信用代码:k", "联建方式|结对方式:t", "合作模式|合作方式:l",
			"联建村代码|帮扶村代码:c", "投入资金|投入帮扶资金:m", "实施项目数:i", "带动就业人数|带动就业:i",
			"采购销售农产品金额|助销农产品金额:m", "村集体增收|带动村集体增收:m"),
		"finance":  parse("姓名:t", id, "所属银行:t", codes, "发放贷款金额:m", "授信农户数:i", "金融知识宣传场次:i", "新增开户数:i"),
		"law":      parse("姓名:t", id, "所属单位:t", codes, "入村服务次数:i", "法律咨询件数:i", "化解矛盾纠纷件数:i", "法治宣传场次:i", "解决实际问题数:i"),
		"postal":   parse("姓名:t", id, "联系镇街代码|镇街代码:k", "农产品寄递金额:m", "助农销售额:m", "协助融资金额:m", "直播带货场次:i"),
		"tech":     parse("姓名:t", id, "层级:t", "专业领域:t?", codes, "技术培训场次:i", "培训人次:i", "引进推广技术数:i", "指导项目数:i"),
		"culture":  parse("姓名:t", id, "专业:t?", codes, "文化活动场次:i", "参与群众人次:i", "培养文艺骨干人数:i", "打造文化品牌数:i"),
		"projects": parse("项目编号:k", "项目名称:t", "村代码|帮扶村代码:k", "牵头力量:t", "总投资:m", "状态:t", "开工日期:d?"),
	}
	files := map[string]string{
		"帮扶村名册": "villages", "第一书记工作情况表": "first_secretary", "村企联建情况表": "enterprise",
		"金融专员工作表": "finance", "法治专员工作表": "law", "邮政专员工作表": "postal", "科技顾问工作表": "tech",
		"文化顾问工作表": "culture", "产业项目台账": "projects",
	}
	return tpls, files
}

// sheetData is a data sheet read back: its facts, one map per data row from standard header
// to a canonical text (integers in decimal, money in fen, codes joined by 、, dates as
// 2006-01-02), plus what the reader saw on the way.
type sheetData struct {
	slug, month string // month from the file name, "" for the registry and the ledger
	title       string // the rows above the header, joined
	rows        []map[string]string
	skipped     int  // totals and footer rows
	blank       int  // blank rows among the data
	textNumbers int  // number cells stored as text
	cellUnits   int  // money cells with a unit inside
	twoRowHead  bool // a two-row header
	merges      int
	hidden      int // hidden sheets in the workbook
	sheets      int
	csv         bool
}

// readFile reads one generated file and checks it against the contract as it goes: every
// required column present, every required value there and well formed, money exact to the
// fen. Any departure is an error. Counting the merged cells (merges) doubles the time.
func readFile(path string, merges bool) (*sheetData, error) {
	tpls, files := contractTemplates()
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name, month, _ := strings.Cut(base, "_")
	slug, ok := files[name]
	if !ok {
		return nil, fmt.Errorf("%s: no template is named so", base)
	}
	sd := &sheetData{slug: slug, month: month}
	var grid [][]string
	if filepath.Ext(path) == ".csv" {
		sd.csv = true
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		utf8, err := simplifiedchinese.GBK.NewDecoder().Bytes(raw)
		if err != nil {
			return nil, err
		}
		cr := csv.NewReader(bytes.NewReader(utf8))
		cr.FieldsPerRecord = -1
		if grid, err = cr.ReadAll(); err != nil {
			return nil, err
		}
		sd.sheets = 1
	} else {
		f, err := excelize.OpenFile(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var data string
		for _, sh := range f.GetSheetList() {
			sd.sheets++
			if v, _ := f.GetSheetVisible(sh); !v {
				sd.hidden++
				continue
			}
			rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
			if err != nil {
				return nil, err
			}
			if findHeader(rows, tpls[slug]) >= 0 {
				if data != "" {
					return nil, fmt.Errorf("%s: two data sheets %q and %q", base, data, sh)
				}
				data, grid = sh, rows
			}
		}
		if data == "" {
			return nil, fmt.Errorf("%s: no data sheet", base)
		}
		if merges {
			mc, err := f.GetMergeCells(data)
			if err != nil {
				return nil, err
			}
			sd.merges = len(mc)
		}
	}
	return sd, sd.parse(base, grid, tpls[slug])
}

// normHeader folds a header as the contract matches it: no spaces, half-width, and a unit in
// brackets taken off and returned.
func normHeader(s string) (string, string) {
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u3000' || r == '\n' {
			return -1
		}
		return r
	}, s)
	for _, u := range []string{"(万元)", "(元)"} {
		if strings.HasSuffix(s, u) {
			return strings.TrimSuffix(s, u), strings.Trim(u, "()")
		}
	}
	return s, ""
}

func matchHeader(s string, cols []tcol) (int, string) {
	h, u := normHeader(s)
	if h == "" {
		return -1, ""
	}
	for i, c := range cols {
		if normed(c.std) == h || slices.ContainsFunc(c.aliases, func(a string) bool { return normed(a) == h }) {
			return i, u
		}
	}
	return -1, ""
}

func normed(s string) string { h, _ := normHeader(s); return h }

// findHeader returns the index of the first row that, alone or with the row below it (a
// two-row header), names at least three of the template's columns, or -1.
func findHeader(rows [][]string, cols []tcol) int {
	count := func(i int) int {
		n := 0
		if i < len(rows) {
			for _, c := range rows[i] {
				if k, _ := matchHeader(c, cols); k >= 0 {
					n++
				}
			}
		}
		return n
	}
	for i := range rows {
		if n := count(i); n > 0 && n+count(i+1) >= 3 {
			return i
		}
	}
	return -1
}

func (sd *sheetData) parse(base string, grid [][]string, cols []tcol) error {
	h := findHeader(grid, cols)
	if h < 0 {
		return fmt.Errorf("%s: no header row", base)
	}
	var above []string
	lineUnit := ""
	for _, r := range grid[:h] {
		for _, c := range r {
			if c == "" {
				continue
			}
			above = append(above, c)
			if _, u, ok := strings.Cut(c, "单位："); ok && !strings.Contains(c, "填报单位") {
				lineUnit = strings.TrimSpace(u)
			}
		}
	}
	sd.title = strings.Join(above, " ")
	at := map[int]int{}       // sheet column → template column
	units := map[int]string{} // sheet column → header unit
	head := slices.Clone(grid[h])
	if h+1 < len(grid) {
		for j, c := range grid[h+1] {
			if k, _ := matchHeader(c, cols); k >= 0 {
				sd.twoRowHead = true
				for len(head) <= j {
					head = append(head, "")
				}
				head[j] = c
			}
		}
	}
	for j, c := range head {
		if k, u := matchHeader(c, cols); k >= 0 {
			if _, dup := at[j]; dup {
				return fmt.Errorf("%s: column %d named twice", base, j)
			}
			at[j], units[j] = k, u
		}
	}
	for k, c := range cols {
		found := false
		for _, kk := range at {
			found = found || kk == k
		}
		if !found && c.required {
			return fmt.Errorf("%s: missing column %s", base, c.std)
		}
	}
	start := h + 1
	if sd.twoRowHead {
		start++
	}
	seenData := false
	for i := start; i < len(grid); i++ {
		r := grid[i]
		first := ""
		for _, c := range r {
			if strings.TrimSpace(c) != "" {
				first = strings.TrimSpace(c)
				break
			}
		}
		switch {
		case first == "":
			if seenData {
				sd.blank++
			}
			continue
		case strings.HasPrefix(first, "合计") || strings.HasPrefix(first, "总计") || strings.HasPrefix(first, "小计") ||
			strings.HasPrefix(first, "填表人") || strings.HasPrefix(first, "审核人") || strings.HasPrefix(first, "注："):
			sd.skipped++
			continue
		}
		if sd.skipped > 0 {
			return fmt.Errorf("%s row %d: data after a totals or footer row", base, i+1)
		}
		seenData = true
		fact := map[string]string{}
		for j, k := range at {
			c := cols[k]
			v := ""
			if j < len(r) {
				v = r[j]
			}
			out, err := sd.value(c, v, units[j], lineUnit)
			if err != nil {
				return fmt.Errorf("%s row %d %s: %w", base, i+1, c.std, err)
			}
			fact[c.std] = out
		}
		sd.rows = append(sd.rows, fact)
	}
	// Blank rows counted before the totals row are the ones among the data.
	return nil
}

// value checks and canonicalises one cell.
func (sd *sheetData) value(c tcol, v, headUnit, lineUnit string) (string, error) {
	t := strings.TrimSpace(width.Narrow.String(v))
	if t == "" {
		if c.required {
			return "", fmt.Errorf("missing value")
		}
		return "", nil
	}
	switch c.kind {
	case 'i':
		if t != v {
			sd.textNumbers++
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(t, ",", ""), 10, 64)
		if err != nil {
			return "", fmt.Errorf("bad integer %q", v)
		}
		if n < 0 {
			return "", fmt.Errorf("negative integer %q", v)
		}
		return strconv.FormatInt(n, 10), nil
	case 'm':
		u := headUnit
		if u == "" {
			u = lineUnit
		}
		if u == "" {
			u = "万元"
		}
		if s, ok := strings.CutSuffix(t, "万"); ok {
			t, u = strings.TrimSpace(s), "万元"
			sd.cellUnits++
		} else if s, ok := strings.CutSuffix(t, "元"); ok {
			t, u = strings.TrimSpace(s), "元"
			sd.cellUnits++
		}
		if t != v {
			sd.textNumbers++
		}
		fen, err := parseFen(strings.ReplaceAll(t, ",", ""), u)
		if err != nil {
			return "", fmt.Errorf("%q: %w", v, err)
		}
		return strconv.FormatInt(fen, 10), nil
	case 'c', 'l':
		parts := strings.FieldsFunc(t, func(r rune) bool { return strings.ContainsRune("、､,，;；", r) })
		return strings.Join(parts, "、"), nil
	case 'd':
		if serial, err := strconv.ParseFloat(t, 64); err == nil {
			d, err := excelize.ExcelDateToTime(serial, false)
			if err != nil {
				return "", err
			}
			return d.Format("2006-01-02"), nil
		}
		for _, layout := range []string{"2006-01-02", "2006/1/2", "2006年1月2日"} {
			if d, err := time.Parse(layout, t); err == nil {
				return d.Format("2006-01-02"), nil
			}
		}
		return "", fmt.Errorf("bad date %q", v)
	}
	return t, nil
}

// parseFen parses a plain decimal amount in unit u (元 or 万元) into fen, exactly: an amount
// finer than the fen is an error.
func parseFen(s, u string) (int64, error) {
	scale := 2
	if u == "万元" {
		scale = 6
	} else if u != "元" {
		return 0, fmt.Errorf("unknown unit %q", u)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" || strings.Trim(ip+fp, "0123456789") != "" {
		return 0, fmt.Errorf("not a number")
	}
	if len(fp) > scale {
		if strings.Trim(fp[scale:], "0") != "" {
			return 0, fmt.Errorf("finer than the fen")
		}
		fp = fp[:scale]
	}
	fp += strings.Repeat("0", scale-len(fp))
	if scale == 6 {
		ip, fp = ip+fp[:4], fp[4:]
	}
	n, err := strconv.ParseInt(ip+fp, 10, 64)
	if err != nil {
		return 0, err
	}
	if neg {
		n = -n
	}
	return n, nil
}

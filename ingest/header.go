package ingest

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/qiancun/qiancun"
)

// headerScan is how many rows from the top of a sheet are searched for the header.
const headerScan = 40

// ignoredHeaders are columns offices add that carry nothing to keep.
var ignoredHeaders = map[string]bool{"序号": true, "编号": true, "备注": true, "说明": true}

// periodHeaders name a column or a labelled cell that gives the report's month.
var periodHeaders = map[string]bool{"报告期": true, "填报月份": true, "报告月份": true, "统计月份": true, "所属月份": true}

// headerIndex maps every folded header and alias of every template to its columns.
type headerIndex map[string][]colRef

type colRef struct {
	t   *Template
	col int // index into t.Columns
}

func newHeaderIndex(ts []*Template) headerIndex {
	idx := headerIndex{}
	for _, t := range ts {
		for i, c := range t.Columns {
			for _, h := range append([]string{c.Header}, c.Aliases...) {
				n := normHeader(h)
				idx[n] = append(idx[n], colRef{t, i})
			}
		}
	}
	return idx
}

// layout is what the header told us about a sheet.
type layout struct {
	tmpl       *Template
	headerRow  int   // the last header row's index in the scanned rows (0-based)
	headerRows []int // 1-based sheet row numbers of the header rows
	cols       []int // per template column: the sheet column index, or -1
	headers    []string
	units      []string // per template column: the unit named in its header
	periodCol  int      // a 报告期 column, or -1
	extra      []int    // columns that no template declares
	score      int
	sheetUnit  string // 单位：万元 above the header
	titles     []string
}

// findLayout searches the first rows of a sheet for the header of one of the templates. It
// tries each row alone and with the row below (a two-row header whose upper row is merged
// across groups), and keeps the reading that matches the most columns of one template.
// forced, when not nil, is the only template considered.
func findLayout(rows [][]string, nums []int, idx headerIndex, ts []*Template, forced *Template) *layout {
	var best *layout
	for r := range rows {
		for span := 1; span <= 2 && r+span <= len(rows); span++ {
			names := combineHeader(rows[r:r+span], idx)
			for _, t := range ts {
				if forced != nil && t != forced {
					continue
				}
				l := matchTemplate(t, names, idx)
				if l == nil {
					continue
				}
				// On a tie the reading with fewer header rows wins: a title row above a
				// one-row header adds nothing.
				if best == nil || l.score > best.score || (l.score == best.score && span < len(best.headerRows)) {
					l.headerRow = r + span - 1
					l.headerRows = nums[r : r+span]
					best = l
				}
			}
		}
	}
	if best == nil {
		return nil
	}
	first := best.headerRow - len(best.headerRows) + 1
	for _, row := range rows[:first] {
		line := strings.TrimSpace(strings.Join(row, " "))
		if line == "" {
			continue
		}
		if u := unitLine(line); u != "" && best.sheetUnit == "" {
			best.sheetUnit = u
		}
		best.titles = append(best.titles, line)
	}
	return best
}

// combineHeader reads one or two header rows as one: for each column the lower cell when it
// names a known header, else the upper one (a single column merged down over both rows).
func combineHeader(rows [][]string, idx headerIndex) []string {
	n := 0
	for _, r := range rows {
		n = max(n, len(r))
	}
	out := make([]string, n)
	for j := range n {
		for k := len(rows) - 1; k >= 0; k-- {
			if j < len(rows[k]) {
				c := cleanCell(rows[k][j])
				if c == "" {
					continue
				}
				if k == len(rows)-1 || known(c, idx) || out[j] == "" {
					out[j] = c
				}
				if known(c, idx) {
					break
				}
			}
		}
	}
	return out
}

func known(h string, idx headerIndex) bool {
	n := normHeader(h)
	return len(idx[n]) > 0 || ignoredHeaders[n] || periodHeaders[n]
}

// matchTemplate maps header names onto t's columns. It returns nil when fewer than two of
// t's columns are found.
func matchTemplate(t *Template, names []string, idx headerIndex) *layout {
	l := &layout{tmpl: t, cols: make([]int, len(t.Columns)), units: make([]string, len(t.Columns)), periodCol: -1}
	for i := range l.cols {
		l.cols[i] = -1
	}
	l.headers = names
	for j, h := range names {
		if h == "" {
			continue
		}
		n := normHeader(h)
		matched := false
		for _, ref := range idx[n] {
			if ref.t == t && l.cols[ref.col] < 0 {
				l.cols[ref.col] = j
				l.units[ref.col] = headerUnit(h)
				l.score++
				matched = true
				break
			}
		}
		switch {
		case matched:
		case periodHeaders[n]:
			l.periodCol = j
		case ignoredHeaders[n]:
		default:
			l.extra = append(l.extra, j)
		}
	}
	if l.score < 2 {
		return nil
	}
	// Prefer the template whose required columns are all there, then the one with the
	// fewest columns left over.
	missing := 0
	for i, c := range t.Columns {
		if c.Required && l.cols[i] < 0 {
			missing++
		}
	}
	l.score = l.score*4 - missing*2 - len(l.extra)
	return l
}

var unitRE = regexp.MustCompile(`单位\s*[:：]\s*(万元|元)`)

// unitLine returns the unit of a "单位：万元" or "金额单位：元" line, or "".
func unitLine(s string) string {
	if m := unitRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

var (
	monthCN  = regexp.MustCompile(`(\d{4})\s*年\s*(\d{1,2})\s*月`)
	monthSep = regexp.MustCompile(`(?:^|[^\d])(\d{4})[-./_](\d{1,2})(?:[^\d]|$)`)
	monthRaw = regexp.MustCompile(`(?:^|[^\d])(20\d{2})(0[1-9]|1[0-2])(?:[^\d]|$)`)
)

// findMonth returns the first month named in s: 2024年5月, 2024-05, 2024.5, 2024_05 or 202405.
func findMonth(s string) (qiancun.Month, bool) {
	s = foldWidth(s)
	for _, re := range []*regexp.Regexp{monthCN, monthSep, monthRaw} {
		if m := re.FindStringSubmatch(s); m != nil {
			y, _ := strconv.Atoi(m[1])
			mo, _ := strconv.Atoi(m[2])
			if mo >= 1 && mo <= 12 && y >= 1900 && y <= 2999 {
				return qiancun.Month{Year: y, Month: mo}, true
			}
		}
	}
	return qiancun.Month{}, false
}

// periodCell returns the month of a "报告期：2024年5月" or "填报月份: 2024-05" line, if any.
func periodCell(line string) (qiancun.Month, bool) {
	f := foldWidth(line)
	for h := range periodHeaders {
		if i := strings.Index(f, h); i >= 0 {
			return findMonth(f[i+len(h):])
		}
	}
	return qiancun.Month{}, false
}

// isTitleLine reports whether a line above the header may name the period: not the
// 填报单位/填报日期 line, whose date is when the form was filled.
func isTitleLine(s string) bool {
	return !strings.Contains(s, "填报日期") && !strings.Contains(s, "日期")
}

// totalsWords label a totals row (see validator.totalsRow); footerPrefixes start a footer
// line.
var (
	totalsWords    = map[string]bool{"合计": true, "小计": true, "总计": true, "总合计": true, "累计": true}
	footerPrefixes = []string{"填表人", "审核人", "注:", "注：", "注 ", "说明:", "说明：", "负责人", "制表人", "填报人", "联系电话", "联系人", "单位负责人", "统计人"}
)

func isFooter(cells []string) bool {
	for _, c := range cells {
		c = cleanCell(c)
		if c == "" {
			continue
		}
		for _, p := range footerPrefixes {
			if strings.HasPrefix(c, p) {
				return true
			}
		}
		return false
	}
	return false
}

func isBlank(cells []string) bool {
	for _, c := range cells {
		if cleanCell(c) != "" {
			return false
		}
	}
	return true
}

// cellName gives a cell's A1 name from a 0-based column and a 1-based row.
func cellName(col, row int) string {
	return colName(col) + strconv.Itoa(row)
}

func colName(col int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name
}

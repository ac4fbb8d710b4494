package ingest

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qiancun/qiancun"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, unit string
		fen            int64
		converted, ok  bool
	}{
		{"plain yuan", "3000", "元", 300000, false, true},
		{"yuan with fen", "12.34", "元", 1234, false, true},
		{"default wan", "12.5", "万元", 12500000, true, true},
		{"unit in cell wins over header", "3,000元", "万元", 300000, false, true},
		{"wan in cell", "12.5万", "元", 12500000, true, true},
		{"wanyuan in cell", "1.2345万元", "元", 1234500, true, true},
		{"thousands separators", "1,234,567.89", "元", 123456789, false, true},
		{"full-width digits", "１２３．５", "元", 12350, false, true},
		{"surrounding spaces", "  88  ", "元", 8800, false, true},
		{"negative", "-15.5", "元", -1550, false, true},
		{"rounds half away from zero", "0.005", "元", 1, false, true},
		{"rounds negative half away", "-0.005", "元", -1, false, true},
		{"float artefact", "0.30000000000000004", "元", 30, false, true},
		{"scientific", "1.5E+3", "元", 150000, false, true},
		{"yen sign", "¥200", "元", 20000, false, true},
		{"word", "十万", "元", 0, false, false},
		{"two points", "1.2.3", "元", 0, false, false},
		{"unknown unit", "12美元", "元", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fen, conv, ok := parseMoney(tt.in, tt.unit)
			if ok != tt.ok || (ok && (fen != tt.fen || conv != tt.converted)) {
				t.Errorf("parseMoney(%q, %q) = %d, %v, %v; want %d, %v, %v", tt.in, tt.unit, fen, conv, ok, tt.fen, tt.converted, tt.ok)
			}
		})
	}
}

func TestParseInteger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		err  numberError
	}{
		{"12", 12, numOK},
		{"12.0", 12, numOK},
		{"1,200", 1200, numOK},
		{"２３", 23, numOK},
		{"20天", 20, numOK},
		{"12.5", 0, numNotInteger},
		{"abc", 0, numBad},
		{"3万", 0, numBad},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseInteger(tt.in)
			if err != tt.err || got != tt.want {
				t.Errorf("parseInteger(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	want := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
	for _, in := range []string{"45415", "2024-05-03", "2024/5/3", "2024年5月3日", "2024.5.3", "2024-05-03 00:00:00"} {
		got, ok := parseDate(in)
		if !ok || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"2024-02-30", "明天", "2024-13-01", "0"} {
		if _, ok := parseDate(in); ok {
			t.Errorf("parseDate(%q) accepted a bad date", in)
		}
	}
}

func TestNormHeader(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"协调资金(万元)":   "协调资金",
		"协调资金（万元）":   "协调资金",
		" 驻村 天数 ":    "驻村天数",
		"*姓名":        "姓名",
		"县(市、区)":     "县(市、区)",
		"投入资金（元）":    "投入资金",
		"企业（团体）名称":   "企业(团体)名称",
		"走访农户数\n(户)": "走访农户数",
	}
	for in, want := range tests {
		if got := normHeader(in); got != want {
			t.Errorf("normHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindMonth(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"济南市第一书记工作情况统计表（2024年5月）": "2024-05",
		"2024年05月":          "2024-05",
		"统计表 2024.5":        "2024-05",
		"第一书记工作情况表_2024-06": "2024-06",
		"fs202407":          "2024-07",
	}
	for in, want := range tests {
		m, ok := findMonth(in)
		if !ok || m.String() != want {
			t.Errorf("findMonth(%q) = %v, %v; want %s", in, m, ok, want)
		}
	}
	if m, ok := findMonth("第一书记工作情况表"); ok {
		t.Errorf("findMonth found %v in a title without a month", m)
	}
}

func TestCellName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		col, row int
		want     string
	}{{0, 1, "A1"}, {5, 7, "F7"}, {25, 3, "Z3"}, {26, 3, "AA3"}, {701, 9, "ZZ9"}, {702, 1, "AAA1"}} {
		if got := cellName(tt.col, tt.row); got != tt.want {
			t.Errorf("cellName(%d, %d) = %q, want %q", tt.col, tt.row, got, tt.want)
		}
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12.5", "3,000元", "1.2E5", "-0.005", "１２", "万", "", "9999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, _, ok := parseMoney(s, "元")
		if !ok {
			return
		}
		// Whatever parsed must print and parse back to the same fen.
		back, _, ok2 := parseMoney(qiancun.Hundredths(fen), "元")
		if !ok2 || back != fen {
			t.Fatalf("parseMoney(%q) = %d, but its text %q reads back as %d, %v", s, fen, qiancun.Hundredths(fen), back, ok2)
		}
	})
}

func FuzzParseInteger(f *testing.F) {
	for _, s := range []string{"12", "12.0", "1,200", "12.5", "-3", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseInteger(s)
		_, _ = parseDate(s)
		_ = splitList(s)
		_ = normHeader(s)
		_, _ = findMonth(s)
	})
}

// checkCellHelpers holds each fast path to the general path it stands for, on s (the
// general paths themselves are held to hand-worked answers above).
func checkCellHelpers(t *testing.T, s string) {
	if got, want := cleanCell(s), cleanCellText(s); got != want {
		t.Errorf("cleanCell(%q) = %q; want %q", s, got, want)
	}
	got, unit := normNumber(s)
	if want, wantUnit := normNumberText(s); got != want || unit != wantUnit {
		t.Errorf("normNumber(%q) = %q, %q; want %q, %q", s, got, unit, want, wantUnit)
	}
	n, e := parseInteger(s)
	if wn, we := parseIntegerText(s); n != wn || e != we {
		t.Errorf("parseInteger(%q) = %d, %v; want %d, %v", s, n, e, wn, we)
	}
	var items []string
	for rest := s; ; {
		var p string
		if p, rest = cutItem(rest); p == "" {
			break
		}
		items = append(items, p)
	}
	if want := splitList(s); !slices.Equal(items, want) {
		t.Errorf("cutItem over %q = %q; want %q", s, items, want)
	}
	if got, want := hasRuneError(s), strings.ContainsRune(s, utf8.RuneError); got != want {
		t.Errorf("hasRuneError(%q) = %v; want %v", s, got, want)
	}
	if got, want := upper(s), strings.ToUpper(s); got != want {
		t.Errorf("upper(%q) = %q; want %q", s, got, want)
	}
	if !mayBeTotals(s) && totalsValidator.totalsLabel(s) {
		t.Errorf("mayBeTotals(%q) = false for a totals label", s)
	}
}

// totalsValidator knows the first-secretary template's totals labels.
var totalsValidator = func() *validator {
	ts, err := LoadTemplates("")
	if err != nil {
		panic(err)
	}
	return &validator{groups: totalsGroups(ts.All()[0])}
}()

// TestCellHelpers holds the fast paths of the cell helpers to the plain helpers, on odd
// strings and on numbers of every shape.
func TestCellHelpers(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	inputs := oddStrings(r, 50_000)
	for range 20_000 {
		n := strconv.FormatInt(r.Int64()-1<<62, 10)
		inputs = append(inputs, n[:1+r.IntN(len(n))],
			strconv.FormatFloat(r.NormFloat64()*1e6, 'f', r.IntN(4), 64))
	}
	inputs = append(inputs, "合计", "历城区小计：", "总计\u3000", " 小 计 ", "合计\ufeff", "市级小计:", "累计：\u00a0", "合计\t",
		"9223372036854775807", "-9223372036854775808", "999999999999999999", "-999999999999999999",
		"1000000000000000000", "9999999999999999999", "-9999999999999999999", "-", "+5", "00012", "-0", "１２")
	for _, s := range inputs {
		checkCellHelpers(t, s)
		if t.Failed() {
			return
		}
	}
}

// FuzzCellHelpers is TestCellHelpers on any string:
//
//	go test ./ingest -run '^$' -fuzz FuzzCellHelpers -fuzztime 1m
func FuzzCellHelpers(f *testing.F) {
	for _, s := range oddStrings(rand.New(rand.NewPCG(11, 12)), 50) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkCellHelpers(t, s) })
}

// TestCleanCellAndNormNumber: hand-worked answers for the general paths that the fast paths
// are held to (checkCellHelpers).
func TestCleanCellAndNormNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "张三": "张三", " 张三 ": "张三", "\u3000李四\u00a0": "李四", "\u200b王五\t\r\n": "王五",
		"王 五": "王 五", "\ufeff370112": "370112",
	} {
		if got := cleanCell(in); got != want {
			t.Errorf("cleanCell(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct{ in, num, unit string }{
		{"12", "12", ""}, {"1,234.5", "1234.5", ""}, {"1，234", "1234", ""}, {"1 234_5", "12345", ""},
		{"１２３", "123", ""}, {"12.5万元", "12.5", "万元"}, {"3 人次", "3", "人次"}, {"￥12", "12", ""}, {"¥ 7", "7", ""},
		{"12元 ", "12", "元"}, {"12 元", "12", "元"}, // spaces go before the unit is looked for
	} {
		if num, unit := normNumber(c.in); num != c.num || unit != c.unit {
			t.Errorf("normNumber(%q) = %q, %q; want %q, %q", c.in, num, unit, c.num, c.unit)
		}
	}
}

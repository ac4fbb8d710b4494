package reports_test

import (
	"bytes"
	"html"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/reports"
)

func sources() []reports.Source {
	return []reports.Source{
		{ID: 7, Template: "first_secretary", Period: "2024-05", File: "第一书记工作情况表（2024年5月）.xlsx",
			SHA256: strings.Repeat("ab", 32), Status: qiancun.Accepted, Rows: 5, Accepted: 5,
			ReceivedAt: time.Date(2024, 6, 3, 1, 2, 3, 0, time.UTC)},
		{ID: 3, Template: "first_secretary", Period: "2024-04", File: "=cmd|' /C calc'!A0.csv",
			SHA256: strings.Repeat("cd", 32), Status: qiancun.Partial, Rows: 6, Accepted: 5,
			ReceivedAt: time.Date(2024, 5, 2, 16, 0, 0, 0, time.UTC)},
	}
}

func writeAppraisal(t *testing.T, in reports.AppraisalInput) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteAppraisal(&buf, in); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rankingHeaders(r *qiancun.Ranking) []string {
	h := []string{"排名", "区县排名", "身份证号", "姓名", "区县"}
	for _, ind := range r.Indicators {
		if ind.Money {
			h = append(h, ind.Name+"(万元)")
		} else {
			h = append(h, ind.Name)
		}
		h = append(h, ind.Name+"得分")
	}
	return append(h, "总分", "等级", "一票否决")
}

func TestAppraisalWorkbook(t *testing.T) {
	t.Parallel()
	r := smallRanking()
	data := writeAppraisal(t, reports.AppraisalInput{Ranking: r, Sources: sources(), Made: made})
	f := open(t, data)

	if diff := cmp.Diff([]string{"汇总", "排名", "指标说明", "数据来源"}, f.GetSheetList()); diff != "" {
		t.Fatalf("sheets (-want +got):\n%s", diff)
	}
	if n := f.GetActiveSheetIndex(); n != 0 {
		t.Errorf("active sheet %d, want 0 (汇总)", n)
	}
	title := []string{"第一书记", "2024年第2季度", "全市"}

	t.Run("汇总", func(t *testing.T) {
		headers := []string{"区县代码", "区县", "考核人数", "平均分", "优秀人数", "称职人数", "基本称职人数", "不称职人数", "其中一票否决", "协调资金合计(万元)"}
		checkReportSheet(t, data, f, "汇总", title, headers, 3)
		// Worked by hand from smallRanking: 历城区 has members 1, 3 and 5, 平阴县 2 and 4.
		want := [][]string{
			{"370112", "历城区", "3", "67.07", "1", "1", "0", "1", "1", "0.123456"}, // (91.23+70+39.99)/3 = 67.0733
			{"370124", "平阴县", "2", "60", "0", "1", "1", "0", "0", "2800.000001"}, // 28,000,000.00 元 + 0.01 元
			{"", "全市", "5", "64.24", "1", "2", "1", "1", "1", "2800.123457"},     // 321.22/5 = 64.244
		}
		got := rows(t, f, "汇总", 4, len(want), len(headers))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("汇总 (-want +got):\n%s", diff)
		}
		if n := numFmt(t, f, "汇总", "D4"); n != 2 {
			t.Errorf("average score format %d, want 2 (0.00)", n)
		}
		if n := numFmt(t, f, "汇总", "J6"); n != 4 {
			t.Errorf("funds format %d, want 4 (#,##0.00)", n)
		}
		// The chart of the average scores is drawn on 汇总, from its cells.
		rels := part(t, data, "xl/worksheets/_rels/"+baseName(sheetPart(t, data, "汇总"))+".rels")
		if !strings.Contains(rels, "drawing") {
			t.Fatalf("汇总 has no drawing: %s", rels)
		}
		chart := html.UnescapeString(part(t, data, "xl/charts/chart1.xml"))
		for _, ref := range []string{"<f>'汇总'!$B$4:$B$5</f>", "<f>'汇总'!$D$4:$D$5</f>", "<barChart>", `<barDir val="col">`} {
			if !strings.Contains(chart, ref) {
				t.Errorf("chart lacks %s", ref)
			}
		}
	})

	t.Run("排名", func(t *testing.T) {
		headers := rankingHeaders(r)
		checkReportSheet(t, data, f, "排名", title, headers, len(r.Members))
		got := rows(t, f, "排名", 4, len(r.Members)+1, len(headers))
		if got[len(got)-1] != nil {
			t.Errorf("a row after the last member: %q", got[len(got)-1])
		}
		for i, m := range r.Members {
			want := []string{strconv.Itoa(m.Rank), strconv.Itoa(m.DistrictRank), qiancun.MaskID(m.Key), m.Name, m.District}
			for j, ind := range r.Indicators {
				if ind.Money {
					want = append(want, exact(m.Values[j], 6)) // fen → 万元, exactly
				} else {
					want = append(want, exact(m.Values[j], 2))
				}
				p, _ := strconv.ParseFloat(qiancun.Hundredths(m.PointValues[j]), 64)
				want = append(want, strconv.FormatFloat(p, 'f', -1, 64))
			}
			want = append(want, exact(m.ScoreHundredths, 2), m.Grade, m.VetoReason)
			if diff := cmp.Diff(want, got[i]); diff != "" {
				t.Errorf("member %d (-want +got):\n%s", i+1, diff)
			}
		}
		for col, want := range map[string]int{"A4": 0, "F4": 3, "G4": 2, "J4": 4, "T4": 2} {
			if n := numFmt(t, f, "排名", col); n != want {
				t.Errorf("%s format %d, want %d", col, n, want)
			}
		}
		// Text from an upload stays text: never a formula.
		for i, m := range r.Members {
			stringCell(t, f, "排名", cellName(4, 4+i), m.Name)
		}
		// The grade column is coloured by conditional formats.
		cfs, err := f.GetConditionalFormats("排名")
		if err != nil {
			t.Fatal(err)
		}
		rules := cfs["U4:U8"]
		fills := map[string]string{}
		for _, c := range rules {
			st, err := f.GetConditionalStyle(*c.Format)
			if err != nil {
				t.Fatal(err)
			}
			if c.Type != "cell" || c.Criteria != "equal to" || len(st.Fill.Color) != 1 {
				t.Errorf("rule %+v, fill %+v", c, st.Fill)
				continue
			}
			fills[c.Value] = st.Fill.Color[0]
		}
		want := map[string]string{`"优秀"`: "C6EFCE", `"称职"`: "DDEBF7", `"基本称职"`: "FFEB9C", `"不称职"`: "FFC7CE"}
		if diff := cmp.Diff(want, fills); diff != "" {
			t.Errorf("grade colours on U4:U8 (-want +got):\n%s\nall: %v", diff, cfs)
		}
		// Widths count a CJK character as two.
		w, err := f.GetColWidth("排名", "E")
		if err != nil {
			t.Fatal(err)
		}
		if w < float64(2*len([]rune("平阴县"))) {
			t.Errorf("district column width %g is too narrow for 平阴县", w)
		}
	})

	t.Run("指标说明", func(t *testing.T) {
		checkReportSheet(t, data, f, "指标说明", []string{"第一书记", "2024年第2季度"}, []string{"项目", "名称", "权重", "满分基准", "基准值", "考核期最高值", "说明"}, 18)
		got := rows(t, f, "指标说明", 4, 18, 7)
		if diff := cmp.Diff([]string{"考核指标", "协调资金(万元)", "20", "第80百分位（p80）", "1200", "2800"}, got[2][:6]); diff != "" {
			t.Errorf("协调资金 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"考核指标", "驻村天数", "15", "目标值（target:20）", "60", "100"}, got[0][:6]); diff != "" {
			t.Errorf("驻村天数 (-want +got):\n%s", diff)
		}
		all := strings.Join(flatten(got), "|")
		for _, s := range []string{"一票否决|驻村天数不足|", "考核期内驻村天数合计低于 每月 15 × 3 个月 = 45",
			"⌊20% × 考核人数 5⌋ = 1 人", "|优秀|", "|不称职|", "|2024-p80|", "|缺报月份|2024-06|",
			// One sentence per mode, with this ranking's figures.
			"以计划目标为基准值：每月 20 × 3 个月 = 60.00，得分 = 权重 × 本人数值 ÷ 基准值",
			"以全市第80百分位数为基准值：把 5 人的数值由小到大排列（负值按 0 计），取第 ⌈80% × 5⌉ = 4 位的数值，若其 ≤ 0 则改取最高值",
			"本期该位数值 ≤ 0，已改取最高值",
			"以考核期内全市最高值为基准值（以最高值为满分，其余按比例计分）"} {
			if !strings.Contains(all, s) {
				t.Errorf("指标说明 lacks %q", s)
			}
		}
	})

	t.Run("数据来源", func(t *testing.T) {
		headers := []string{"提交编号", "模板", "报告期", "文件名", "SHA-256", "接收时间", "状态", "数据行数", "接收行数"}
		checkReportSheet(t, data, f, "数据来源", []string{"第一书记", "2024年第2季度"}, headers, 2)
		want := [][]string{
			{"7", "第一书记（first_secretary）", "2024-05", "第一书记工作情况表（2024年5月）.xlsx", strings.Repeat("ab", 32), "2024-06-03 09:02:03", "已接收", "5", "5"},
			{"3", "第一书记（first_secretary）", "2024-04", "=cmd|' /C calc'!A0.csv", strings.Repeat("cd", 32), "2024-05-03 00:00:00", "部分接收", "6", "5"},
		}
		if diff := cmp.Diff(want, rows(t, f, "数据来源", 4, 2, len(headers))); diff != "" {
			t.Errorf("数据来源 (-want +got):\n%s", diff)
		}
		stringCell(t, f, "数据来源", "D5", "=cmd|' /C calc'!A0.csv")
		if info := get(t, f, "数据来源", "A2"); !strings.Contains(info, "缺报月份：2024-06") {
			t.Errorf("数据来源 row 2 %q does not name the missing month", info)
		}
	})

	t.Run("document properties", func(t *testing.T) {
		p, err := f.GetDocProps()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Title, "第一书记") || p.Creator != "qiancun" || p.Created != "2024-07-01T02:30:00Z" ||
			!strings.Contains(p.Description, "2024-p80") || p.Language != "zh-CN" {
			t.Errorf("document properties %+v", p)
		}
	})
}

func TestAppraisalKeysAndDistrict(t *testing.T) {
	t.Parallel()
	r := smallRanking()
	tests := []struct {
		name     string
		in       reports.AppraisalInput
		keys     []string // 排名's key column
		summary  []string // 汇总's district column
		filename string
	}{
		{
			name:     "masked by default",
			in:       reports.AppraisalInput{Ranking: r, Made: made},
			keys:     []string{qiancun.MaskID(r.Members[0].Key), qiancun.MaskID(r.Members[1].Key), qiancun.MaskID(r.Members[2].Key), qiancun.MaskID(r.Members[3].Key), qiancun.MaskID(r.Members[4].Key)},
			summary:  []string{"历城区", "平阴县", "全市"},
			filename: "第一书记考核结果_2024-Q2.xlsx",
		},
		{
			name:     "unmasked for an administrator",
			in:       reports.AppraisalInput{Ranking: r, Unmasked: true, Made: made},
			keys:     []string{r.Members[0].Key, r.Members[1].Key, r.Members[2].Key, r.Members[3].Key, r.Members[4].Key},
			summary:  []string{"历城区", "平阴县", "全市"},
			filename: "第一书记考核结果_2024-Q2.xlsx",
		},
		{
			name:     "one district",
			in:       reports.AppraisalInput{Ranking: r, District: "370124", Made: made},
			keys:     []string{qiancun.MaskID(r.Members[1].Key), qiancun.MaskID(r.Members[3].Key)},
			summary:  []string{"平阴县", "全市（参考）"},
			filename: "第一书记考核结果_2024-Q2_平阴县.xlsx",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := open(t, writeAppraisal(t, tt.in))
			var keys, districts []string
			for _, row := range rows(t, f, "排名", 4, len(r.Members), 3) {
				if row != nil {
					keys = append(keys, row[2])
				}
			}
			for _, row := range rows(t, f, "汇总", 4, 4, 2) {
				if row != nil {
					districts = append(districts, row[1])
				}
			}
			if diff := cmp.Diff(tt.keys, keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.summary, districts); diff != "" {
				t.Errorf("汇总 districts (-want +got):\n%s", diff)
			}
			if got := tt.in.Filename(); got != tt.filename {
				t.Errorf("Filename() = %q, want %q", got, tt.filename)
			}
		})
	}
}

func TestAppraisalEnterprise(t *testing.T) {
	t.Parallel()
	// A force keyed by credit codes: they are public, shown as they are; names are 企业名称.
	r := smallRanking()
	r.Force, r.ForceName, r.KeyKind, r.Rules = qiancun.Enterprise, "企业团体", qiancun.KeyUSCC, nil
	r.Members = r.Members[:1]
	r.Members[0].Key = qiancun.MakeUSCC("91370100MA3C1234X")
	f := open(t, writeAppraisal(t, reports.AppraisalInput{Ranking: r, Made: made}))
	if got := rows(t, f, "排名", 3, 2, 4); !cmp.Equal(got[0][2:], []string{"统一社会信用代码", "企业名称"}) || got[1][2] != r.Members[0].Key {
		t.Errorf("排名 rows 3-4: %q", got)
	}
}

// rows reads n rows of width columns from row first; a row with no value is nil.
func rows(t testing.TB, f *excelize.File, sheet string, first, n, width int) [][]string {
	t.Helper()
	out := make([][]string, n)
	for i := range out {
		row := make([]string, width)
		empty := true
		for j := range row {
			row[j] = get(t, f, sheet, cellName(j+1, first+i))
			empty = empty && row[j] == ""
		}
		if !empty {
			out[i] = row
		}
	}
	return out
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// baseName is the file name of a part's path.
func baseName(p string) string { return p[strings.LastIndex(p, "/")+1:] }

package reports

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
)

// AppraisalInput is what the appraisal workbook of a force for a period shows.
type AppraisalInput struct {
	// Ranking is the force's appraisal for the period, as the engine made it. Required;
	// it is only read.
	Ranking *qiancun.Ranking
	// District, a district code, limits 汇总 and 排名 to that district's members (their
	// ranks stay those of the city); empty for the whole city.
	District string
	// Unmasked shows members' 身份证号 in full. Only an administrator may ask for it; by
	// default they are masked (370112********123X). Credit codes are public either way.
	Unmasked bool
	// Sources are the submissions the ranking was computed from, listed in 数据来源.
	Sources []Source
	// Made is the time of making shown on every sheet; zero means now.
	Made time.Time
	// Publication, when set, makes the workbook that publication's document: Ranking is
	// then its frozen ranking. See publication.go.
	Publication *Publication
}

// Source is a submission that fed a report.
type Source struct {
	ID         int64
	Template   string // the template's slug
	Period     string // YYYY-MM
	File       string
	SHA256     string
	Status     qiancun.Status
	Rows       int // data rows found
	Accepted   int // rows that reach the KPIs
	ReceivedAt time.Time
}

// Filename is the appraisal workbook's file name: 第一书记考核结果_2024-Q2[_历城区].xlsx.
func (in AppraisalInput) Filename() string {
	if in.Ranking == nil {
		return "考核结果.xlsx"
	}
	name := forceName(in.Ranking) + "考核结果_" + in.Ranking.Period
	if p := in.Publication; p != nil {
		name += "_" + string(p.Kind) + "_" + strconv.FormatInt(p.ID, 10)
	}
	if in.District != "" {
		name += "_" + districtLabel(in.District)
	}
	return name + ".xlsx"
}

// WriteAppraisal writes the appraisal workbook: 汇总 (per district: members, average score,
// grade counts, the funds of the force's first money indicator, and a chart of the average
// scores), 排名 (every member with ranks, key, indicator values and points, total and grade),
// 指标说明 (the rules used) and 数据来源 (the submissions it was computed from).
func WriteAppraisal(w io.Writer, in AppraisalInput) error {
	r := in.Ranking
	if r == nil {
		return errors.New("appraisal workbook: no ranking")
	}
	made := in.Made
	if made.IsZero() {
		made = time.Now()
	}
	b, err := newBook(made)
	if err != nil {
		return err
	}
	defer b.f.Close()

	a := &appraisal{b: b, in: in, r: r, fund: -1}
	for i, ind := range r.Indicators {
		if ind.Money {
			a.fund = i
			break
		}
	}
	for i := range r.Members {
		if in.District == "" || r.Members[i].DistrictCode == in.District {
			a.members = append(a.members, i)
		}
	}
	for _, step := range []func() error{a.summary, a.ranking, a.rules, a.sources, a.publicationSheets} {
		if err := step(); err != nil {
			return fmt.Errorf("appraisal workbook: %w", err)
		}
	}
	title := forceName(r) + "考核结果（" + a.scope() + " · " + qiancun.PeriodLabel(r.Period) + "）"
	desc := fmt.Sprintf("济南市万人下乡、千村提升 %s考核结果。考核期 %s，%s，考核人数 %d，规则版本 %s，计算时间 %s。",
		forceName(r), r.Period, a.scope(), len(r.Members), r.RulesVersion, stamp(r.ComputedAt))
	if p := in.Publication; p != nil {
		title = forceName(r) + "考核结果" + string(p.Kind) + "（" + a.scope() + " · " + qiancun.PeriodLabel(r.Period) + " · 发布 #" + strconv.FormatInt(p.ID, 10) + "）"
		desc += a.pubLine()
	}
	return b.save(w, docProps(title, "帮扶力量考核", desc, "考核,"+forceName(r)+","+r.Period, made))
}

// appraisal is the state of one appraisal workbook being written.
type appraisal struct {
	b       *book
	in      AppraisalInput
	r       *qiancun.Ranking
	members []int // indexes of the members shown, in rank order
	fund    int   // index of the first money indicator, or -1
}

func (a *appraisal) scope() string {
	if a.in.District == "" {
		return "全市"
	}
	return districtLabel(a.in.District)
}

// info is the second row of every sheet.
func (a *appraisal) info(extra string) string {
	r := a.r
	s := fmt.Sprintf("考核期：%s（%s）　范围：%s　考核人数：%d　规则版本：%s", r.Period, monthsText(r.Months), a.scope(),
		len(r.Members), r.RulesVersion)
	if pl := a.pubLine(); pl != "" {
		s = pl + "\n" + s
	}
	if extra != "" {
		s += "　" + extra
	}
	return s + "　制表时间：" + a.b.stamp()
}

func (a *appraisal) footer(sheet string) string {
	return forceName(a.r) + sheet + " " + a.r.Period + " " + a.scope()
}

// districtTotals are one district's figures in 汇总.
type districtTotals struct {
	code, name string
	n, score   int64 // members, sum of their scores in hundredths
	grades     [4]int64
	vetoed     int64
	fund       int64 // fen
}

var gradeOrder = [4]string{qiancun.GradeExcellent, qiancun.GradeCompetent, qiancun.GradeBasic, qiancun.GradeIncompetent}

func (d *districtTotals) add(r *qiancun.Ranking, m *qiancun.Member, fund int) {
	d.n++
	d.score += score(m)
	if i := slices.Index(gradeOrder[:], m.Grade); i >= 0 {
		d.grades[i]++
	}
	if m.Vetoed {
		d.vetoed++
	}
	if fund >= 0 {
		d.fund += value(r, m, fund)
	}
}

// summary writes 汇总: a row per district (in code order), the city's row, and a chart of
// the districts' average scores.
func (a *appraisal) summary() error {
	r := a.r
	byCode := map[string]*districtTotals{}
	city := &districtTotals{name: "全市"}
	for i := range r.Members {
		m := &r.Members[i]
		city.add(r, m, a.fund)
		if a.in.District != "" && m.DistrictCode != a.in.District {
			continue
		}
		d := byCode[m.DistrictCode]
		if d == nil {
			d = &districtTotals{code: m.DistrictCode, name: m.District}
			if d.name == "" {
				d.name = districtLabel(m.DistrictCode)
			}
			byCode[m.DistrictCode] = d
		}
		d.add(r, m, a.fund)
	}
	var rows []*districtTotals
	for _, d := range qiancun.Districts() {
		if x := byCode[d.Code]; x != nil {
			rows = append(rows, x)
			delete(byCode, d.Code)
		}
	}
	for _, code := range sortedKeys(byCode) { // members whose district is not Jinan's
		rows = append(rows, byCode[code])
	}
	if a.in.District != "" {
		city.name = "全市（参考）"
	}

	cols := []column{
		{header: "区县代码", kind: kCode, width: 6}, {header: "区县", kind: kText, width: 12},
		{header: "考核人数", kind: kInt}, {header: "平均分", kind: kDec2},
	}
	for _, g := range gradeOrder {
		cols = append(cols, column{header: g + "人数", kind: kInt})
	}
	cols = append(cols, column{header: "其中一票否决", kind: kInt})
	if a.fund >= 0 {
		cols = append(cols, column{header: r.Indicators[a.fund].Name + "合计(万元)", kind: kMoney, width: 14})
	}
	const sheet = "汇总"
	fundNote := "本力量无资金类指标"
	if a.fund >= 0 {
		fundNote = "资金为" + r.Indicators[a.fund].Name + "合计"
	}
	t := &table{
		sheet:  sheet,
		title:  forceName(r) + "考核结果汇总（" + a.scope() + " · " + qiancun.PeriodLabel(r.Period) + "）",
		info:   a.info(fundNote),
		footer: a.footer(sheet),
		cols:   cols,
		rows:   len(rows) + 1,
	}
	// The chart goes in before the rows are streamed (see book.start); it reads the cells
	// written below.
	sw, err := a.b.start(t)
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		lastRow := firstRow + len(rows) - 1
		q := quoteSheet(sheet)
		// Below the table, on a page of its own when printed.
		if err := sw.sw.InsertPageBreak(cellName(1, lastRow+2)); err != nil {
			return err
		}
		if err := a.b.f.AddChart(sheet, cellName(1, lastRow+3), &excelize.Chart{
			Type: excelize.Col,
			Series: []excelize.ChartSeries{{
				Name:       fmt.Sprintf("%s!$D$%d", q, headerRow),
				Categories: fmt.Sprintf("%s!$B$%d:$B$%d", q, firstRow, lastRow),
				Values:     fmt.Sprintf("%s!$D$%d:$D$%d", q, firstRow, lastRow),
			}},
			Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "各区县平均分（" + qiancun.PeriodLabel(r.Period) + "）"}}},
			Legend:     excelize.ChartLegend{Position: "none"},
			VaryColors: new(false),
			PlotArea:   excelize.ChartPlotArea{ShowVal: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0.00"}},
			YAxis:      excelize.ChartAxis{MajorGridLines: true},
			Dimension:  excelize.ChartDimension{Width: 760, Height: 360},
		}); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
	}
	for i, d := range append(rows, city) {
		total := i == len(rows)
		vals := []any{
			sw.cell(kCode, total, d.code), sw.cell(kText, total, d.name), sw.cell(kInt, total, d.n),
			sw.cell(kDec2, total, dec(avg(d.score, d.n))),
		}
		for _, g := range d.grades {
			vals = append(vals, sw.cell(kInt, total, g))
		}
		vals = append(vals, sw.cell(kInt, total, d.vetoed))
		if a.fund >= 0 {
			vals = append(vals, sw.cell(kMoney, total, wan(d.fund)))
		}
		if err := sw.add(vals); err != nil {
			return err
		}
	}
	return sw.end()
}

// ranking writes 排名: every member shown, in rank order.
func (a *appraisal) ranking() error {
	r := a.r
	keyHeader, nameHeader := "身份证号", "姓名"
	if r.KeyKind == qiancun.KeyUSCC {
		keyHeader, nameHeader = "统一社会信用代码", "企业名称"
	}
	nameW, districtW, noteW := 4, 6, 4
	for _, i := range a.members {
		m := &r.Members[i]
		nameW = max(nameW, textWidth(m.Name))
		districtW = max(districtW, textWidth(m.District))
		noteW = max(noteW, textWidth(m.VetoReason))
	}
	digits := len(strconv.Itoa(len(r.Members)))
	cols := []column{
		{header: "排名", kind: kCode, width: digits}, {header: "区县排名", kind: kCode, width: digits},
		{header: keyHeader, kind: kCode, width: 18}, {header: nameHeader, kind: kText, width: min(nameW, 40)},
		{header: "区县", kind: kText, width: districtW},
	}
	for _, ind := range r.Indicators {
		if ind.Money {
			cols = append(cols, column{header: ind.Name + "(万元)", kind: kMoney, width: 10})
		} else {
			cols = append(cols, column{header: ind.Name, kind: kInt, width: 6})
		}
		cols = append(cols, column{header: ind.Name + "得分", kind: kDec2, width: 5})
	}
	cols = append(cols, column{header: "总分", kind: kDec2, width: 6}, column{header: "等级", kind: kCode, width: 8},
		column{header: "一票否决", kind: kText, width: min(noteW, 40)})
	gradeCol := len(cols) - 1

	const sheet = "排名"
	t := &table{
		sheet:  sheet,
		title:  forceName(r) + "考核排名（" + a.scope() + " · " + qiancun.PeriodLabel(r.Period) + "）",
		info:   a.info(a.keyNote()),
		footer: a.footer(sheet),
		cols:   cols,
		rows:   len(a.members),
	}
	sw, err := a.b.start(t)
	if err != nil {
		return err
	}
	// One set of cells, reused row after row: SetRow takes *Cell, and copies what it needs.
	cells := make([]excelize.Cell, len(cols))
	vals := make([]any, len(cols))
	for i := range cells {
		cells[i].StyleID = a.b.body[cols[i].kind][0]
		vals[i] = &cells[i]
	}
	scratch := make([]int64, len(r.Indicators))
	for _, i := range a.members {
		m := &r.Members[i]
		key, name := m.Key, m.Name
		if !a.in.Unmasked {
			key, name = qiancun.MaskKey(r.KeyKind, key), qiancun.MaskText(name)
		}
		cells[0].Value, cells[1].Value = m.Rank, m.DistrictRank
		cells[2].Value, cells[3].Value, cells[4].Value = key, name, m.District
		cells[3].StyleID = a.b.textStyle(a.b.body[cols[3].kind][0], name)
		vs := values(r, m, scratch)
		c := 5
		for j, ind := range r.Indicators {
			if ind.Money {
				cells[c].Value = wan(vs[j])
			} else {
				cells[c].Value = dec(vs[j])
			}
			if j < len(m.PointValues) {
				cells[c+1].Value = dec(m.PointValues[j])
			} else {
				cells[c+1].Value = nil
			}
			c += 2
		}
		cells[c].Value, cells[c+1].Value, cells[c+2].Value = dec(score(m)), m.Grade, m.VetoReason
		if err := sw.add(vals); err != nil {
			return err
		}
	}
	if err := a.gradeColours(sheet, sw.rangeOf(gradeCol)); err != nil {
		return err
	}
	return sw.end()
}

func (a *appraisal) keyNote() string {
	if a.r.KeyKind == qiancun.KeyID && !a.in.Unmasked {
		return "身份证号已脱敏"
	}
	return ""
}

// gradeColours colours the grade column by conditional formats: 优秀 green, 称职 blue,
// 基本称职 yellow, 不称职 red.
func (a *appraisal) gradeColours(sheet, ref string) error {
	var opts []excelize.ConditionalFormatOptions
	for _, g := range []struct{ grade, fill, font string }{
		{qiancun.GradeExcellent, fillGreen, fontGreen},
		{qiancun.GradeCompetent, fillBlue, "1F4E78"},
		{qiancun.GradeBasic, fillYellow, fontYellow},
		{qiancun.GradeIncompetent, fillRed, fontRed},
	} {
		id, err := a.b.f.NewConditionalStyle(&excelize.Style{
			Font: &excelize.Font{Color: g.font},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{g.fill}},
		})
		if err != nil {
			return err
		}
		opts = append(opts, excelize.ConditionalFormatOptions{
			Type: "cell", Criteria: "==", Value: strconv.Quote(g.grade), Format: &id,
		})
	}
	return a.b.f.SetConditionalFormat(sheet, ref, opts)
}

// rules writes 指标说明: the indicators with their weights, benchmarks (how each is set, in
// one sentence, and its value in this ranking) and the cohort's highest values; the veto,
// the grades, the quota and the rules version: enough for a member to recompute their own
// points.
func (a *appraisal) rules() error {
	r := a.r
	fr := r.Rules
	type line struct {
		item, name string
		weight     any // float64 or nil
		mode       string
		bench      any
		best       any
		bestKind   kind
		note       string
	}
	var lines []line
	n := len(r.Members)
	for _, ind := range r.Indicators {
		l := line{item: "考核指标", name: ind.Name, bestKind: kInt, mode: benchmarkMode(ind), note: benchmarkNote(ind, n, len(r.Months))}
		if w, ok := parseHundredths(ind.Weight); ok {
			l.weight = dec(w)
		}
		if best, ok := parseHundredths(ind.Best); ok {
			l.best = dec(best)
			if ind.Money {
				l.best, l.bestKind = wan(best), kMoney
				l.name += "(万元)"
			}
		}
		if b, ok := parseHundredths(ind.Benchmark); ok {
			l.bench = dec(b)
			if ind.Money {
				l.bench = wan(b)
			}
		}
		lines = append(lines, l)
	}
	lines = append(lines, line{item: "总分", name: "各指标得分之和", note: "四舍五入保留两位小数"})
	if fr != nil {
		if fr.Veto != nil {
			months := len(r.Months)
			lines = append(lines, line{item: "一票否决", name: fr.Veto.Reason, note: fmt.Sprintf(
				"考核期内%s合计低于 每月 %g × %d 个月 = %g，评为不称职", fr.Veto.Indicator, fr.Veto.MinPerMonth, months,
				fr.Veto.MinPerMonth*float64(months))})
		} else {
			lines = append(lines, line{item: "一票否决", name: "无"})
		}
		quota := int(fr.Quota*float64(n) + 1e-9) // as the engine rounds it
		g := fr.Grades
		excellent := fmt.Sprintf("总分 ≥ %g，未被一票否决，且在优秀名额内：名额 = ⌊%g%% × 考核人数 %d⌋ = %d 人，按名次同分者同进同出",
			g.Excellent, fr.Quota*100, n, quota)
		if fr.QuotaScope == qiancun.QuotaDistrict {
			excellent = fmt.Sprintf("总分 ≥ %g，未被一票否决，且在本区县优秀名额内：各区县名额 = ⌊%g%% × 该区县考核人数⌋，在区县内按名次同分者同进同出",
				g.Excellent, fr.Quota*100)
		}
		lines = append(lines,
			line{item: "等级", name: qiancun.GradeExcellent, note: excellent},
			line{item: "等级", name: qiancun.GradeCompetent, note: fmt.Sprintf("总分 ≥ %g 且非优秀", g.Competent)},
			line{item: "等级", name: qiancun.GradeBasic, note: fmt.Sprintf("%g ≤ 总分 < %g", g.Incompetent, g.Competent)},
			line{item: "等级", name: qiancun.GradeIncompetent, note: fmt.Sprintf("总分 < %g，或被一票否决", g.Incompetent)},
		)
	}
	lines = append(lines,
		line{item: "排名", name: "全市排名、区县排名", note: "按总分从高到低，同分同名次，其后名次顺延（1、2、2、4）；区县为考核期内最后一个月所报第一个村所在区县"},
		line{item: "考核期", name: r.Period, note: monthsText(r.Months) + "，各指标为各月之和"},
		line{item: "缺报月份", name: orNone(strings.Join(r.MissingMonths, "、")), note: "无已接收报送的月份不计入考核"},
		line{item: "考核人数", name: strconv.Itoa(n), note: "考核期内至少有一行已接收数据的成员"},
		line{item: "规则版本", name: r.RulesVersion, note: "计算时间 " + stamp(r.ComputedAt)},
	)

	noteW := 10
	for _, l := range lines {
		noteW = max(noteW, textWidth(l.note))
	}
	const sheet = "指标说明"
	t := &table{
		sheet:  sheet,
		title:  forceName(r) + "考核指标与规则（" + qiancun.PeriodLabel(r.Period) + "）",
		info:   a.info(""),
		footer: a.footer(sheet),
		cols: []column{
			{header: "项目", kind: kText, width: 8}, {header: "名称", kind: kText, width: 22},
			{header: "权重", kind: kDec2}, {header: "满分基准", kind: kText, width: 16}, {header: "基准值", kind: kMoney, width: 12},
			{header: "考核期最高值", kind: kMoney, width: 12}, {header: "说明", kind: kText, width: min(noteW, 70)},
		},
		rows: len(lines),
	}
	sw, err := a.b.start(t)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if err := sw.add([]any{
			sw.cell(kText, false, l.item), sw.cell(kText, false, l.name), sw.cell(kDec2, false, l.weight),
			sw.cell(kText, false, l.mode), sw.cell(l.bestKind, false, l.bench), sw.cell(l.bestKind, false, l.best),
			sw.cell(kText, false, l.note),
		}); err != nil {
			return err
		}
	}
	return sw.end()
}

// benchmarkMode names an indicator's benchmark in Chinese, with the rule as written.
func benchmarkMode(ind qiancun.IndicatorInfo) string {
	switch ind.BenchmarkMode {
	case qiancun.BenchmarkPercentile:
		return "第" + strings.TrimPrefix(ind.BenchmarkRule, "p") + "百分位（" + ind.BenchmarkRule + "）"
	case qiancun.BenchmarkTarget:
		return "目标值（" + ind.BenchmarkRule + "）"
	}
	return "最高值（" + ind.BenchmarkRule + "）"
}

// benchmarkNote explains in one sentence how the indicator's points are given, with this
// ranking's figures (n members, months months), so that a member can recompute them.
func benchmarkNote(ind qiancun.IndicatorInfo, n, months int) string {
	const share = "得分 = 权重 × 本人数值 ÷ 基准值（负值按 0 计，达到或超过基准值得满分，基准值 ≤ 0 时均得 0 分）"
	switch ind.BenchmarkMode {
	case qiancun.BenchmarkPercentile:
		p := strings.TrimPrefix(ind.BenchmarkRule, "p")
		s := fmt.Sprintf("以全市第%s百分位数为基准值：把 %d 人的数值由小到大排列（负值按 0 计），取第 ⌈%s%% × %d⌉ = %d 位的数值，若其 ≤ 0 则改取最高值，%s",
			p, n, p, n, ind.BenchmarkPosition, share)
		if ind.BenchmarkFallback {
			s += "；本期该位数值 ≤ 0，已改取最高值"
		}
		return s + "。"
	case qiancun.BenchmarkTarget:
		x := strings.TrimPrefix(ind.BenchmarkRule, "target:")
		return fmt.Sprintf("以计划目标为基准值：每月 %s × %d 个月 = %s，%s。", x, months, ind.Benchmark, share)
	}
	return "以考核期内全市最高值为基准值（以最高值为满分，其余按比例计分），" + share + "。"
}

// sources writes 数据来源: every submission the ranking was computed from.
func (a *appraisal) sources() error {
	src := a.in.Sources
	fileW := 10
	for _, s := range src {
		fileW = max(fileW, textWidth(s.File))
	}
	const sheet = "数据来源"
	extra := "缺报月份：" + orNone(strings.Join(a.r.MissingMonths, "、"))
	t := &table{
		sheet:  sheet,
		title:  forceName(a.r) + "考核数据来源（" + qiancun.PeriodLabel(a.r.Period) + "）",
		info:   a.info(extra),
		footer: a.footer(sheet),
		cols: []column{
			{header: "提交编号", kind: kCode, width: 6}, {header: "模板", kind: kText, width: 24},
			{header: "报告期", kind: kCode, width: 7}, {header: "文件名", kind: kText, width: min(fileW, 50)},
			{header: "SHA-256", kind: kText, width: 64}, {header: "接收时间", kind: kCode, width: 19},
			{header: "状态", kind: kCode, width: 8}, {header: "数据行数", kind: kInt}, {header: "接收行数", kind: kInt},
		},
		rows: len(src),
	}
	sw, err := a.b.start(t)
	if err != nil {
		return err
	}
	for _, s := range src {
		if err := sw.add([]any{
			sw.cell(kCode, false, s.ID), sw.cell(kText, false, templateLabel(s.Template)),
			sw.cell(kCode, false, s.Period), sw.cell(kText, false, s.File), sw.cell(kText, false, s.SHA256),
			sw.cell(kCode, false, stampSeconds(s.ReceivedAt)), sw.cell(kCode, false, statusText(s.Status)),
			sw.cell(kInt, false, s.Rows), sw.cell(kInt, false, s.Accepted),
		}); err != nil {
			return err
		}
	}
	return sw.end()
}

// score is a member's total in hundredths.
func score(m *qiancun.Member) int64 {
	if m.ScoreHundredths != 0 || m.Score == "" {
		return m.ScoreHundredths
	}
	h, _ := parseHundredths(m.Score)
	return h
}

// values are a member's indicator values in hundredths, in the ranking's indicator order;
// zeros (in scratch) for a member without them.
func values(r *qiancun.Ranking, m *qiancun.Member, scratch []int64) []int64 {
	if len(m.Values) == len(r.Indicators) {
		return m.Values
	}
	clear(scratch)
	return scratch
}

// value is one indicator value of a member, in hundredths.
func value(r *qiancun.Ranking, m *qiancun.Member, i int) int64 {
	if i < len(m.Values) {
		return m.Values[i]
	}
	return 0
}

func forceName(r *qiancun.Ranking) string {
	if r.ForceName != "" {
		return r.ForceName
	}
	if f, ok := qiancun.LookupForce(string(r.Force)); ok {
		return f.Name
	}
	return string(r.Force)
}

// districtLabel is a district's name, or its code when it is not one of Jinan's.
func districtLabel(code string) string {
	if n := qiancun.DistrictName(code); n != "" {
		return n
	}
	if code == "" {
		return "未知区县"
	}
	return code
}

// templateLabel names a template for a person: 第一书记（first_secretary）.
func templateLabel(slug string) string {
	if f, ok := qiancun.LookupForce(slug); ok {
		return f.Name + "（" + slug + "）"
	}
	if slug == "villages" {
		return "帮扶村名册（villages）"
	}
	if slug == "projects" {
		return "产业项目台账（projects）"
	}
	return slug
}

func statusText(s qiancun.Status) string {
	switch s {
	case qiancun.Accepted:
		return "已接收"
	case qiancun.Partial:
		return "部分接收"
	case qiancun.Rejected:
		return "已退回"
	case qiancun.Unchanged:
		return "未变更"
	}
	return string(s)
}

func monthsText(months []string) string {
	switch len(months) {
	case 0:
		return "无"
	case 1:
		return months[0]
	}
	return months[0] + " 至 " + months[len(months)-1]
}

func orNone(s string) string {
	if s == "" {
		return "无"
	}
	return s
}

// stamp is a time in Beijing time, to the minute; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(beijing()).Format("2006-01-02 15:04")
}

func stampSeconds(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(beijing()).Format("2006-01-02 15:04:05")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

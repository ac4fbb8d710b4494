package reports

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
)

// CoverageInput is what the coverage workbook of a period shows: which forces reach each
// assisted village (the villages pack), and per district how many villages each force
// reaches (the village_districts pack).
type CoverageInput struct {
	Period   string // YYYY-MM, YYYY-Qn or YYYY
	District string // a district code; empty for the whole city
	// Villages are the assisted villages shown, in code order.
	Villages []Village
	// Districts are the districts' figures in order, the city's last (Code "").
	Districts []DistrictCoverage
	// Made is the time of making shown on every sheet; zero means now.
	Made time.Time
}

// Village is an assisted village and the forces that reach it in the period.
type Village struct {
	Code, Name             string
	DistrictCode, District string
	TownCode, Town         string
	Zone                   string // 管理主体 (高新区, 南部山区, ...), often empty
	Forces                 []qiancun.Force
}

// DistrictCoverage is a district's coverage (or the city's, with Code "").
type DistrictCoverage struct {
	Code, Name string
	Villages   int64
	Reached    map[qiancun.Force]int64 // villages each force reaches
	AllSeven   int64                   // villages reached by all seven forces
	None       int64                   // villages reached by none
}

// Filename is the coverage workbook's file name: 帮扶村覆盖情况_2024-05[_历城区].xlsx.
func (in CoverageInput) Filename() string {
	name := "帮扶村覆盖情况_" + in.Period
	if in.District != "" {
		name += "_" + districtLabel(in.District)
	}
	return name + ".xlsx"
}

// WriteCoverage writes the coverage workbook: 汇总 (per district: villages, and for each
// force the villages it reaches and their share, all seven, none) and 帮扶村 (every assisted
// village with a ✓ under each force that reaches it).
func WriteCoverage(w io.Writer, in CoverageInput) error {
	made := in.Made
	if made.IsZero() {
		made = time.Now()
	}
	b, err := newBook(made)
	if err != nil {
		return err
	}
	defer b.f.Close()
	c := &coverage{b: b, in: in, forces: qiancun.Forces()}
	if err := c.summary(); err != nil {
		return fmt.Errorf("coverage workbook: %w", err)
	}
	if err := c.villages(); err != nil {
		return fmt.Errorf("coverage workbook: %w", err)
	}
	title := "帮扶村覆盖情况（" + c.scope() + " · " + qiancun.PeriodLabel(in.Period) + "）"
	desc := fmt.Sprintf("济南市万人下乡、千村提升 帮扶村覆盖情况。考核期 %s，%s，帮扶村 %d 个。", in.Period, c.scope(), len(in.Villages))
	return b.save(w, docProps(title, "帮扶村覆盖", desc, "覆盖,帮扶村,"+in.Period, made))
}

type coverage struct {
	b      *book
	in     CoverageInput
	forces []qiancun.ForceInfo
}

func (c *coverage) scope() string {
	if c.in.District == "" {
		return "全市"
	}
	return districtLabel(c.in.District)
}

func (c *coverage) info() string {
	return fmt.Sprintf("考核期：%s　范围：%s　✓ 表示该力量在考核期内联系该村（邮政专员按联系镇街覆盖该镇街全部帮扶村）　制表时间：%s",
		c.in.Period, c.scope(), c.b.stamp())
}

// summary writes 汇总.
func (c *coverage) summary() error {
	cols := []column{{header: "区县代码", kind: kCode, width: 6}, {header: "区县", kind: kText, width: 8}, {header: "帮扶村数", kind: kInt}}
	for _, f := range c.forces {
		cols = append(cols, column{header: f.Name + "覆盖村数", kind: kInt}, column{header: f.Name + "覆盖率", kind: kPct})
	}
	cols = append(cols, column{header: "七支力量全覆盖村数", kind: kInt}, column{header: "全覆盖率", kind: kPct},
		column{header: "无力量覆盖村数", kind: kInt})
	const sheet = "汇总"
	t := &table{
		sheet:  sheet,
		title:  "帮扶村覆盖情况汇总（" + c.scope() + " · " + qiancun.PeriodLabel(c.in.Period) + "）",
		info:   c.info(),
		footer: "帮扶村覆盖情况汇总 " + c.in.Period + " " + c.scope(),
		cols:   cols,
		rows:   len(c.in.Districts),
	}
	sw, err := c.b.start(t)
	if err != nil {
		return err
	}
	for _, d := range c.in.Districts {
		total := d.Code == ""
		name := d.Name
		if name == "" {
			name = "全市"
			if !total {
				name = districtLabel(d.Code)
			}
		}
		vals := []any{sw.cell(kCode, total, d.Code), sw.cell(kText, total, name), sw.cell(kInt, total, d.Villages)}
		for _, f := range c.forces {
			n := d.Reached[f.Slug]
			vals = append(vals, sw.cell(kInt, total, n), sw.cell(kPct, total, share(n, d.Villages)))
		}
		vals = append(vals, sw.cell(kInt, total, d.AllSeven), sw.cell(kPct, total, share(d.AllSeven, d.Villages)),
			sw.cell(kInt, total, d.None))
		if err := sw.add(vals); err != nil {
			return err
		}
	}
	return sw.end()
}

// share is n / of as a fraction for a 0.00% cell, to six decimals (0.666667: 66.6667%);
// nil (an empty cell) when of is 0.
func share(n, of int64) any {
	if of == 0 {
		return nil
	}
	return math.Round(float64(n)/float64(of)*1e6) / 1e6
}

// villages writes 帮扶村: a row per village, ✓ under each force that reaches it, and the
// number of forces; a village no force reaches has that number in red.
func (c *coverage) villages() error {
	nameW, townW, zoneW := 6, 6, 4
	for _, v := range c.in.Villages {
		nameW = max(nameW, textWidth(v.Name))
		townW = max(townW, textWidth(v.Town))
		zoneW = max(zoneW, textWidth(v.Zone))
	}
	cols := []column{
		{header: "村代码", kind: kCode, width: 12}, {header: "区县", kind: kText, width: 6},
		{header: "镇街", kind: kText, width: min(townW, 30)}, {header: "村名", kind: kText, width: min(nameW, 30)},
		{header: "管理主体", kind: kText, width: min(zoneW, 20)},
	}
	for _, f := range c.forces {
		cols = append(cols, column{header: f.Name, kind: kCheck})
	}
	cols = append(cols, column{header: "覆盖力量数", kind: kInt, width: 2})
	const sheet = "帮扶村"
	t := &table{
		sheet:  sheet,
		title:  "帮扶村帮扶力量覆盖明细（" + c.scope() + " · " + qiancun.PeriodLabel(c.in.Period) + "）",
		info:   c.info(),
		footer: "帮扶村覆盖明细 " + c.in.Period + " " + c.scope(),
		cols:   cols,
		rows:   len(c.in.Villages),
	}
	sw, err := c.b.start(t)
	if err != nil {
		return err
	}
	cells := make([]excelize.Cell, len(cols))
	vals := make([]any, len(cols))
	for i := range cells {
		cells[i].StyleID = c.b.body[cols[i].kind][0]
		vals[i] = &cells[i]
	}
	for _, v := range c.in.Villages {
		cells[0].Value, cells[1].Value, cells[2].Value = v.Code, v.District, v.Town
		cells[3].Value, cells[4].Value = v.Name, v.Zone
		n := 0
		for i, f := range c.forces {
			if slices.Contains(v.Forces, f.Slug) {
				cells[5+i].Value = "✓"
				n++
			} else {
				cells[5+i].Value = nil
			}
		}
		cells[len(cells)-1].Value = n
		if err := sw.add(vals); err != nil {
			return err
		}
	}
	red, err := c.b.f.NewConditionalStyle(&excelize.Style{
		Font: &excelize.Font{Color: fontRed, Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillRed}},
	})
	if err != nil {
		return err
	}
	if err := c.b.f.SetConditionalFormat(sheet, sw.rangeOf(len(cols)), []excelize.ConditionalFormatOptions{
		{Type: "cell", Criteria: "==", Value: "0", Format: &red},
	}); err != nil {
		return err
	}
	return sw.end()
}

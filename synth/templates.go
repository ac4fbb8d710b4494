package synth

import (
	"math/rand/v2"
	"time"

	"github.com/qiancun/qiancun"
)

// kind is how a column's values are written.
type kind uint8

const (
	kText  kind = iota // free text
	kKey               // 身份证号, 统一社会信用代码, 项目编号, 村代码 of the registry: text, never altered
	kCodes             // one or more village codes
	kList              // one or more choices (合作模式)
	kInt               // a whole number
	kMoney             // an amount, carried in fen
	kDate              // a date; zero is an empty cell
)

// column is one column of a template as the generator writes it.
type column struct {
	header string // the standard header
	// aliases a messy file may use instead. Aliases with brackets (企业(团体)名称) are left
	// out: a reader that strips a bracketed unit would not know them.
	aliases []string
	kind    kind
	wan     bool    // a clean file gives this money column in 万元, not 元
	group   string  // the upper cell a messy two-row header merges over the column's group
	width   float64 // column width in a workbook
}

// template is one of the contract's templates as a file of it is written.
type template struct {
	slug   string
	file   string // the file's base name, as departments name it
	title  string // the title row, without the month
	filler string // the 填报单位 of a messy file
	cols   []column
}

func col(header string, k kind, aliases ...string) column {
	w := 12.0
	switch k {
	case kText:
		w = 24
	case kKey:
		w = 22
	case kCodes:
		w = 30
	case kMoney:
		w = 16
	}
	return column{header: header, kind: k, aliases: aliases, width: w}
}

func (c column) in(group string) column { c.group = group; return c }
func (c column) inWan() column          { c.wan = true; return c }
func (c column) wide(w float64) column  { c.width = w; return c }

// templateFor returns the template of a force slug, or of "villages" or "projects".
func templateFor(slug string) template {
	name := col("姓名", kText).wide(10)
	id := col("身份证号", kKey, "身份证号码", "公民身份号码")
	codes := col("村代码", kCodes, "帮扶村代码")
	switch qiancun.Force(slug) {
	case qiancun.FirstSecretary:
		const stay, funds, work = "驻村情况", "资金情况", "工作成效"
		return template{slug, "第一书记工作情况表", "济南市第一书记工作情况统计表", "中共济南市委组织部", []column{
			col("姓名", kText, "第一书记姓名").wide(10), id, col("派出单位", kText, "选派单位"), codes,
			col("驻村天数", kInt, "本月驻村天数", "在岗天数").in(stay), col("走访农户数", kInt, "走访户数").in(stay),
			col("协调资金", kMoney, "争取协调资金").inWan().in(funds), col("实施项目数", kInt, "实施产业项目数").in(work),
			col("村集体增收", kMoney, "村集体经济增收").in(funds), col("办实事数", kInt, "为民办实事数").in(work),
			col("化解矛盾纠纷数", kInt, "化解纠纷数").in(work),
		}}
	case qiancun.Enterprise:
		const pair, gain = "联建情况", "帮扶成效"
		return template{slug, "村企联建情况表", "济南市村企联建情况统计表", "济南市农业农村局", []column{
			col("企业名称", kText).wide(34), col("统一社会信用代码", kKey, "信用代码"),
			col("联建方式", kText, "结对方式").in(pair), col("合作模式", kList, "合作方式").in(pair).wide(20),
			col("联建村代码", kCodes, "帮扶村代码").in(pair), col("投入资金", kMoney, "投入帮扶资金").in(gain),
			col("实施项目数", kInt).in(gain), col("带动就业人数", kInt, "带动就业").in(gain),
			col("采购销售农产品金额", kMoney, "助销农产品金额").in(gain), col("村集体增收", kMoney, "带动村集体增收").in(gain),
		}}
	case qiancun.Finance:
		const g = "工作成效"
		return template{slug, "金融专员工作表", "济南市金融专员工作情况统计表", "中国建设银行济南分行", []column{
			name, id, col("所属银行", kText), codes, col("发放贷款金额", kMoney).in(g), col("授信农户数", kInt).in(g),
			col("金融知识宣传场次", kInt).in(g), col("新增开户数", kInt).in(g),
		}}
	case qiancun.Law:
		const g = "工作情况"
		return template{slug, "法治专员工作表", "济南市法治专员工作情况统计表", "中共济南市委政法委员会", []column{
			name, id, col("所属单位", kText), codes, col("入村服务次数", kInt).in(g), col("法律咨询件数", kInt).in(g),
			col("化解矛盾纠纷件数", kInt).in(g), col("法治宣传场次", kInt).in(g), col("解决实际问题数", kInt).in(g),
		}}
	case qiancun.Postal:
		const g = "助农服务"
		return template{slug, "邮政专员工作表", "济南市邮政专员工作情况统计表", "济南市邮政管理局", []column{
			name, id, col("联系镇街代码", kKey, "镇街代码").wide(14), col("农产品寄递金额", kMoney).in(g),
			col("助农销售额", kMoney).in(g), col("协助融资金额", kMoney).in(g), col("直播带货场次", kInt),
		}}
	case qiancun.Tech:
		const g = "工作成效"
		return template{slug, "科技顾问工作表", "济南市科技顾问工作情况统计表", "济南市科学技术协会", []column{
			name, id, col("层级", kText).wide(8), col("专业领域", kText).wide(12), codes, col("技术培训场次", kInt).in(g),
			col("培训人次", kInt).in(g), col("引进推广技术数", kInt).in(g), col("指导项目数", kInt).in(g),
		}}
	case qiancun.Culture:
		const g = "工作成效"
		return template{slug, "文化顾问工作表", "济南市文化顾问工作情况统计表", "济南市文化和旅游局", []column{
			name, id, col("专业", kText).wide(10), codes, col("文化活动场次", kInt).in(g), col("参与群众人次", kInt).in(g),
			col("培养文艺骨干人数", kInt).in(g), col("打造文化品牌数", kInt).in(g),
		}}
	case "projects":
		const g = "项目进展"
		return template{slug, "产业项目台账", "济南市“万人下乡、千村提升”产业项目台账", "济南市农业农村局", []column{
			col("项目编号", kKey).wide(14), col("项目名称", kText).wide(34), col("村代码", kKey, "帮扶村代码").wide(14),
			col("牵头力量", kText).wide(10), col("总投资", kMoney).in(g), col("状态", kText).in(g).wide(8),
			col("开工日期", kDate).in(g),
		}}
	}
	const g = "所在区域"
	return template{"villages", "帮扶村名册", "济南市“万人下乡、千村提升”帮扶村名册", "济南市农业农村局", []column{
		col("村代码", kKey, "行政村代码", "区划代码").wide(14), col("区县", kText, "县区").in(g).wide(10),
		col("镇街", kText).in(g).wide(12), col("村名", kText, "行政村", "村庄名称").wide(12),
		col("管理主体", kText, "功能区").wide(10),
	}}
}

// cell is one value of a row before it is written: text, a whole number or fen, a list, or
// a date.
type cell struct {
	s    string
	n    int64
	list []string
	t    time.Time
}

// rowFunc fills dst (one cell per template column) with data row i. It must be called for
// i = 0, 1, 2, ... in order: a month's values come from one random stream.
type rowFunc func(i int, dst []cell)

// codes returns the village codes of idx.
func (w *world) codes(idx []int32) []string {
	out := make([]string, len(idx))
	for i, v := range idx {
		out[i] = w.villages[v].Code
	}
	return out
}

func daysIn(m qiancun.Month) int {
	return time.Date(m.Year, time.Month(m.Month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// monthRows returns the rows of force fi for the month with index mi in w.months. The
// values depend on the seed, the force and the month only, never on how the file looks.
func (w *world) monthRows(fi, mi int) rowFunc {
	f := qiancun.Forces()[fi].Slug
	m := w.months[mi]
	r := newRand(w.seed, "month:"+string(f), m.Year*100+m.Month)
	ms := w.members[fi]
	scaled := func(n int, vigor float64) int64 {
		if vigor >= starVigor {
			return int64(n*3/4 + r.IntN(n/4+1))
		}
		return int64(float64(n/2+r.IntN(n-n/2+1)) * vigor)
	}
	return func(i int, d []cell) {
		mb := &ms[i]
		v := mb.vigor
		switch f {
		case qiancun.FirstSecretary:
			days := 18 + r.IntN(9)
			switch x := r.IntN(100); {
			case mb.low:
				days = 5 + r.IntN(10)
			case x < 3:
				days = 10 + r.IntN(5)
			case x < 10:
				days = 27 + r.IntN(4)
			}
			income := int64(0)
			switch x := r.IntN(100); {
			case v >= starVigor:
				income = workAmount(r, 1_000, 50_000, v)
			case x < 3:
				income = -moneyIn(r, 100, 5_000, 1)
			case x >= 10:
				income = workAmount(r, 1_000, 50_000, v)
			}
			d[0].s, d[1].s, d[2].s, d[3].list = mb.name, mb.key, mb.unit, w.codes(mb.villages)
			d[4].n = int64(min(days, daysIn(m)))
			d[5].n = int64(float64(15+r.IntN(50)) * v)
			d[6].n = w.funds[mi][i]
			d[7].n = weighted(r, 25, 50, 20, 5)
			if v >= starVigor {
				d[7].n = 2 + int64(r.IntN(2))
				d[4].n = int64(min(27+r.IntN(4), daysIn(m)))
			}
			d[8].n = income
			d[9].n = scaled(6, v)
			d[10].n = scaled(4, v)
		case qiancun.Enterprise:
			d[0].s, d[1].s, d[2].s, d[3].list, d[4].list = mb.name, mb.key, mb.unit, mb.modes, w.codes(mb.villages)
			d[5].n = maybe(r, 95, func() int64 { return workAmount(r, 10_000, 1_000_000, v) })
			d[6].n = weighted(r, 10, 50, 30, 10)
			d[7].n = scaled(40, v)
			d[8].n = maybe(r, 92, func() int64 { return workAmount(r, 5_000, 500_000, v) })
			if r.IntN(100) < 3 {
				d[9].n = -moneyIn(r, 500, 20_000, 1)
			} else {
				d[9].n = maybe(r, 92, func() int64 { return workAmount(r, 2_000, 200_000, v) })
			}
		case qiancun.Finance:
			d[0].s, d[1].s, d[2].s, d[3].list = mb.name, mb.key, mb.unit, w.codes(mb.villages)
			d[4].n = maybe(r, 90, func() int64 { return workAmount(r, 50_000, 3_000_000, v) })
			d[5].n = scaled(40, v)
			d[6].n = 1 + weighted(r, 40, 45, 15)
			d[7].n = scaled(30, v)
		case qiancun.Law:
			d[0].s, d[1].s, d[2].s, d[3].list = mb.name, mb.key, mb.unit, w.codes(mb.villages)
			d[4].n = 1 + scaled(7, v)
			d[5].n = scaled(15, v)
			d[6].n = scaled(5, v)
			d[7].n = 1 + weighted(r, 30, 50, 20)
			d[8].n = scaled(6, v)
		case qiancun.Postal:
			d[0].s, d[1].s, d[2].s = mb.name, mb.key, w.towns[mb.town].code
			d[3].n = maybe(r, 96, func() int64 { return workAmount(r, 1_000, 200_000, v) })
			d[4].n = maybe(r, 96, func() int64 { return workAmount(r, 2_000, 300_000, v) })
			d[5].n = maybe(r, 92, func() int64 { return workAmount(r, 100_000, 2_000_000, v) })
			d[6].n = scaled(8, v)
		case qiancun.Tech:
			sessions := 1 + scaled(4, v)
			d[0].s, d[1].s, d[2].s, d[3].s, d[4].list = mb.name, mb.key, mb.unit, mb.field, w.codes(mb.villages)
			d[5].n = sessions
			d[6].n = sessions * int64(25+r.IntN(26))
			d[7].n = weighted(r, 10, 55, 35)
			d[8].n = 1 + scaled(3, v)
		case qiancun.Culture:
			events := 1 + scaled(5, v)
			d[0].s, d[1].s, d[2].s, d[3].list = mb.name, mb.key, mb.field, w.codes(mb.villages)
			d[4].n = events
			d[5].n = events * int64(60+r.IntN(61))
			d[6].n = 1 + scaled(6, v)
			d[7].n = weighted(r, 30, 55, 15)
		}
	}
}

// weighted returns i with probability proportional to odds[i] (percent).
func weighted(r *rand.Rand, odds ...int) int64 {
	x := r.IntN(100)
	for i, o := range odds {
		if x < o {
			return int64(i)
		}
		x -= o
	}
	return 0
}

// maybe returns draw() with probability pct percent, else 0; draw is called only then.
func maybe(r *rand.Rand, pct int, draw func() int64) int64 {
	if r.IntN(100) < pct {
		return draw()
	}
	return 0
}

// registryRows returns the rows of 帮扶村名册.
func (w *world) registryRows() rowFunc {
	return func(i int, d []cell) {
		v := &w.villages[i]
		d[0].s, d[1].s, d[2].s, d[3].s, d[4].s = v.Code, v.District, v.Town, v.Name, v.Zone
	}
}

// projectRows returns the rows of 产业项目台账.
func (w *world) projectRows() rowFunc {
	return func(i int, d []cell) {
		p := &w.projects[i]
		d[0].s, d[1].s, d[2].s, d[3].s = p.id, p.name, w.villages[p.village].Code, p.lead
		d[4].n, d[5].s, d[6].t = p.invest, p.status, p.start
	}
}

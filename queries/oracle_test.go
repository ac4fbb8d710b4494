package queries_test

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
)

// This file is an independent implementation of the contract's "Default appraisal rules",
// for the tests only: it reads the demo's generated workbooks itself (excelize, by the
// contract's standard headers), sums and scores with math/big rationals, and ranks and
// grades as the contract says. It calls none of the engine's code, so that the two can be
// compared cell for cell.

// oracleForce is one force as the contract's table gives it.
type oracleForce struct {
	file       string // the template's title, the generated file's base name
	key        string // the member key's header
	place      string // the header whose first code gives the district
	indicators []oracleIndicator
}

type oracleIndicator struct {
	name   string
	weight int64
	target int64 // per month; 0: p80
}

// contractForces is the contract's table of indicators and weights; every benchmark is p80
// but the first secretaries' 驻村天数, target:20.
func contractForces() map[qiancun.Force]oracleForce {
	p := func(pairs ...any) []oracleIndicator {
		var out []oracleIndicator
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, oracleIndicator{name: pairs[i].(string), weight: int64(pairs[i+1].(int))})
		}
		return out
	}
	fs := p("驻村天数", 15, "走访农户数", 15, "协调资金", 20, "实施项目数", 15, "村集体增收", 15, "办实事数", 10, "化解矛盾纠纷数", 10)
	fs[0].target = 20
	return map[qiancun.Force]oracleForce{
		qiancun.FirstSecretary: {"第一书记工作情况表", "身份证号", "村代码", fs},
		qiancun.Enterprise: {"村企联建情况表", "统一社会信用代码", "联建村代码",
			p("投入资金", 30, "实施项目数", 20, "带动就业人数", 20, "采购销售农产品金额", 15, "村集体增收", 15)},
		qiancun.Finance: {"金融专员工作表", "身份证号", "村代码", p("发放贷款金额", 35, "授信农户数", 25, "金融知识宣传场次", 20, "新增开户数", 20)},
		qiancun.Law: {"法治专员工作表", "身份证号", "村代码",
			p("入村服务次数", 20, "法律咨询件数", 20, "化解矛盾纠纷件数", 30, "法治宣传场次", 15, "解决实际问题数", 15)},
		qiancun.Postal:  {"邮政专员工作表", "身份证号", "联系镇街代码", p("农产品寄递金额", 30, "助农销售额", 30, "协助融资金额", 20, "直播带货场次", 20)},
		qiancun.Tech:    {"科技顾问工作表", "身份证号", "村代码", p("技术培训场次", 25, "培训人次", 25, "引进推广技术数", 25, "指导项目数", 25)},
		qiancun.Culture: {"文化顾问工作表", "身份证号", "村代码", p("文化活动场次", 30, "参与群众人次", 30, "培养文艺骨干人数", 20, "打造文化品牌数", 20)},
	}
}

// oracleRow is what the oracle compares of a member.
type oracleRow struct {
	Total        string
	Rank, DRank  int
	Grade        string
	Vetoed       bool
	DistrictCode string
}

type oracleMember struct {
	key, district string
	values        []*big.Rat
	total         *big.Rat
	rounded       string
	rank, drank   int
	grade         string
	vetoed        bool
}

// readMonth reads one generated workbook: per member key, its district and its values in
// the order of f.indicators (money in 元).
func readMonth(t *testing.T, path string, f oracleForce) map[string]*oracleMember {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	head := slices.IndexFunc(rows, func(r []string) bool { return slices.Contains(r, f.key) })
	if head < 0 {
		t.Fatalf("%s: no header row with %s", path, f.key)
	}
	col := map[string]int{}
	scale := map[string]*big.Rat{}
	for i, h := range rows[head] {
		name, unit, _ := strings.Cut(h, "(")
		col[name] = i
		switch strings.TrimSuffix(unit, ")") {
		case "万元":
			scale[name] = big.NewRat(10000, 1)
		default:
			scale[name] = big.NewRat(1, 1)
		}
	}
	out := map[string]*oracleMember{}
	for _, r := range rows[head+1:] {
		cell := func(h string) string {
			i, ok := col[h]
			if !ok {
				t.Fatalf("%s: no column %s", path, h)
			}
			if i < len(r) {
				return strings.TrimSpace(r[i])
			}
			return ""
		}
		key := cell(f.key)
		if key == "" {
			continue
		}
		m := &oracleMember{key: key, district: cell(f.place)[:6]}
		for _, in := range f.indicators {
			v, ok := new(big.Rat).SetString(cell(in.name))
			if !ok {
				t.Fatalf("%s: %s of %s is %q", path, in.name, key, cell(in.name))
			}
			m.values = append(m.values, v.Mul(v, scale[in.name]))
		}
		out[key] = m
	}
	return out
}

// oracleRank appraises force over months (files in dir) by the contract alone.
func oracleRank(t *testing.T, dir string, force qiancun.Force, months []string) map[string]oracleRow {
	t.Helper()
	f := contractForces()[force]
	members := map[string]*oracleMember{}
	for _, month := range months { // in order: the latest month's district wins
		for key, m := range readMonth(t, filepath.Join(dir, f.file+"_"+month+".xlsx"), f) {
			have, ok := members[key]
			if !ok {
				members[key] = m
				continue
			}
			have.district = m.district
			for i, v := range m.values {
				have.values[i].Add(have.values[i], v)
			}
		}
	}
	n := len(members)
	list := make([]*oracleMember, 0, n)
	for _, m := range members {
		list = append(list, m)
	}
	zero := new(big.Rat)
	// Benchmarks.
	bench := make([]*big.Rat, len(f.indicators))
	for i, in := range f.indicators {
		if in.target > 0 {
			bench[i] = big.NewRat(in.target*int64(len(months)), 1)
			continue
		}
		vals := make([]*big.Rat, 0, n)
		best := list[0].values[i]
		for _, m := range list {
			v := m.values[i]
			if v.Cmp(best) > 0 {
				best = v
			}
			if v.Sign() < 0 {
				v = zero
			}
			vals = append(vals, v)
		}
		slices.SortFunc(vals, func(a, b *big.Rat) int { return a.Cmp(b) })
		// Nearest rank: position ⌈80/100 × N⌉, 1-based.
		pos := new(big.Rat).Mul(big.NewRat(80, 100), big.NewRat(int64(n), 1))
		p := new(big.Int).Quo(pos.Num(), pos.Denom())
		if !pos.IsInt() {
			p.Add(p, big.NewInt(1))
		}
		bench[i] = vals[p.Int64()-1]
		if bench[i].Sign() <= 0 {
			bench[i] = best
		}
	}
	// Scores, exact, then rounded half away from zero to two decimals.
	for _, m := range list {
		m.total = new(big.Rat)
		for i, in := range f.indicators {
			if bench[i].Sign() <= 0 {
				continue
			}
			v := m.values[i]
			if v.Sign() < 0 {
				v = zero
			}
			share := new(big.Rat).Quo(v, bench[i])
			if share.Cmp(big.NewRat(1, 1)) > 0 {
				share = big.NewRat(1, 1)
			}
			m.total.Add(m.total, share.Mul(share, big.NewRat(in.weight, 1)))
		}
		c := new(big.Rat).Mul(m.total, big.NewRat(100, 1))
		q, r := new(big.Int).QuoRem(c.Num(), c.Denom(), new(big.Int))
		if new(big.Int).Mul(r, big.NewInt(2)).Cmp(c.Denom()) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		m.rounded = fmt.Sprintf("%d.%02d", q.Int64()/100, q.Int64()%100)
		if force == qiancun.FirstSecretary {
			m.vetoed = m.values[0].Cmp(big.NewRat(15*int64(len(months)), 1)) < 0
		}
	}
	// Ranks: by the rounded total, highest first; equal totals share a rank, the next skips.
	tot := func(m *oracleMember) *big.Rat { r, _ := new(big.Rat).SetString(m.rounded); return r }
	slices.SortFunc(list, func(a, b *oracleMember) int { return tot(b).Cmp(tot(a)) })
	seen := map[string]int{}
	for i, m := range list {
		m.rank = i + 1
		if i > 0 && list[i-1].rounded == m.rounded {
			m.rank = list[i-1].rank
		}
		seen[m.district]++
		m.drank = seen[m.district]
		for j := i - 1; j >= 0; j-- {
			if list[j].district == m.district {
				if list[j].rounded == m.rounded {
					m.drank = list[j].drank
				}
				break
			}
		}
	}
	// Grades.
	left := n * 20 / 100
	eighty, sixty, forty := big.NewRat(80, 1), big.NewRat(60, 1), big.NewRat(40, 1)
	for i := 0; i < n; {
		j := i
		for j < n && list[j].rounded == list[i].rounded {
			j++
		}
		var group []*oracleMember
		for _, m := range list[i:j] {
			if !m.vetoed && tot(m).Cmp(eighty) >= 0 {
				group = append(group, m)
			}
		}
		if len(group) > left {
			break
		}
		for _, m := range group {
			m.grade = qiancun.GradeExcellent
		}
		left -= len(group)
		i = j
	}
	out := map[string]oracleRow{}
	for _, m := range list {
		if m.grade == "" {
			switch s := tot(m); {
			case m.vetoed || s.Cmp(forty) < 0:
				m.grade = qiancun.GradeIncompetent
			case s.Cmp(sixty) < 0:
				m.grade = qiancun.GradeBasic
			default:
				m.grade = qiancun.GradeCompetent
			}
		}
		out[m.key] = oracleRow{m.rounded, m.rank, m.drank, m.grade, m.vetoed, m.district}
	}
	return out
}

// TestDemoAgainstOracle compares the engine's rankings of all seven forces, for the quarter
// and for a month, with the independent implementation above, cell for cell: key, total,
// rank, district rank, grade and veto.
func TestDemoAgainstOracle(t *testing.T) {
	t.Parallel()
	d := demo(t)
	for _, tc := range []struct {
		period string
		months []string
	}{{"2024-Q2", []string{"2024-04", "2024-05", "2024-06"}}, {"2024-05", []string{"2024-05"}}} {
		for _, fi := range qiancun.Forces() {
			t.Run(tc.period+"/"+string(fi.Slug), func(t *testing.T) {
				t.Parallel()
				want := oracleRank(t, d.dir, fi.Slug, tc.months)
				r, err := d.eng.Rank(context.Background(), fi.Slug, tc.period)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]oracleRow{}
				for _, m := range r.Members {
					got[m.Key] = oracleRow{m.Score, m.Rank, m.DistrictRank, m.Grade, m.Vetoed, m.DistrictCode}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("engine against the contract (-oracle +engine):\n%s", diff)
				}
				if len(want) == 0 {
					t.Error("no members")
				}
			})
		}
	}
}

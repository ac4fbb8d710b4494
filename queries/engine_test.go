package queries_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// Identifiers of the hand-worked fixture.
var (
	idA = qiancun.MakeID("37011219800101001")
	idB = qiancun.MakeID("37012419850202002")
	idC = qiancun.MakeID("37012419900303003")
	idP = qiancun.MakeID("37011219750404004")
	idL = qiancun.MakeID("37011219700505005")
)

const registryCSV = `村代码,区县,镇街,村名,管理主体
370112001001,历城区,港沟街道,东村,
370112001002,历城区,港沟街道,西村,高新区
370112002001,历城区,唐王街道,北村,
370124001001,平阴县,榆山街道,南村,
`

// fsCSV is a month of first-secretary rows. Every month holds the same values, except that
// B lists two villages from May on (a member in two districts), and C's visits in June may
// change (a resubmission).
func fsCSV(month string, visitsC int) string {
	villagesB := "370124001001"
	if month != "2024-04" {
		villagesB = "370112001002、370124001001"
	}
	return fmt.Sprintf(`第一书记工作情况统计表（%s）
姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金(万元),实施项目数,村集体增收(万元),办实事数,化解矛盾纠纷数
甲,%s,市委组织部,370112001001,20,10,1,1,0.5,2,1
乙,%s,市财政局,"%s",10,20,2,0,-1,2,0
丙,%s,市农业农村局,370124001001,25,%d,0,1,1,1,1
`, month, idA, idB, villagesB, idC, visitsC)
}

type fixture struct {
	st  *store.Store
	in  *ingest.Ingester
	eng *queries.Engine
}

func newFixture(t *testing.T, rulesFile string) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := queries.LoadPacks("")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := queries.LoadRules(rulesFile, ts.ForceIndicators())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, in: ingest.New(ts, st, ingest.DefaultLimits()), eng: queries.New(st, packs, rules)}
	f.ingest(t, "帮扶村名册.csv", registryCSV)
	return f
}

func (f *fixture) ingest(t *testing.T, name, body string) *qiancun.Receipt {
	t.Helper()
	rc, err := f.in.Ingest(context.Background(), name, []byte(body), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != qiancun.Accepted {
		t.Fatalf("%s: %s %+v", name, rc.Status, rc.Issues)
	}
	return rc
}

// loadQ2 ingests April and May, and June unless skipped, plus one postal and one law
// commissioner and a projects ledger.
func (f *fixture) loadQ2(t *testing.T, june bool) {
	for _, m := range []string{"2024-04", "2024-05"} {
		f.ingest(t, "fs_"+m+".csv", fsCSV(m, 5))
	}
	if june {
		f.ingest(t, "fs_2024-06.csv", fsCSV("2024-06", 5))
	}
	f.ingest(t, "postal_2024-05.csv", fmt.Sprintf(`姓名,身份证号,联系镇街代码,农产品寄递金额(元),助农销售额(元),协助融资金额(元),直播带货场次
邮甲,%s,370112001,100,200,300,4
`, idP))
	f.ingest(t, "law_2024-05.csv", fmt.Sprintf(`姓名,身份证号,所属单位,村代码,入村服务次数,法律咨询件数,化解矛盾纠纷件数,法治宣传场次,解决实际问题数
法甲,%s,市司法局,370112002001,4,3,2,1,1
`, idL))
	f.ingest(t, "产业项目台账.csv", `项目编号,项目名称,村代码,牵头力量,总投资(万元),状态,开工日期
XM-1,大棚,370112001001,第一书记,100,在建,2024-05-03
XM-2,冷库,370124001001,企业团体,50.5,已完工,2024/4/1
`)
}

type ranked struct {
	Name         string
	Rank, DRank  int
	District     string
	Score, Grade string
	Vetoed       bool
}

func summary(r *qiancun.Ranking) []ranked {
	var out []ranked
	for _, m := range r.Members {
		out = append(out, ranked{m.Name, m.Rank, m.DistrictRank, m.District, m.Score, m.Grade, m.Vetoed})
	}
	return out
}

// TestRankFirstSecretary checks the appraisal against results worked out by hand (see the
// comments), then a resubmission that moves ranks.
func TestRankFirstSecretary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, "")
	f.loadQ2(t, false)

	// Before June arrives, the quarter shows June as missing.
	r, err := f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2024-06"}, r.MissingMonths); diff != "" {
		t.Errorf("missing months (-want +got):\n%s", diff)
	}
	f.ingest(t, "fs_2024-06.csv", fsCSV("2024-06", 5))

	// Q2 sums: 甲 60, 30, 3万, 3, 1.5万, 6, 3; 乙 30, 60, 6万, 0, -3万, 6, 0; 丙 75, 15, 0, 3,
	// 3万, 3, 3. Benchmarks under the default rules: 驻村天数 target:20, 20 × 3 = 60; the
	// others p80, at position ⌈0.8 × 3⌉ = 3 of three, the highest (negatives as 0): 60, 6万,
	// 3, 3万, 6, 3.
	// 甲: 15 + 7.5 + 10 + 15 + 7.5 + 10 + 10 = 75; 乙: 7.5 + 15 + 20 + 0 + 0 + 10 + 0 = 52.5
	// and vetoed (30 < 15 × 3); 丙: 15 (75 ≥ 60: capped) + 3.75 + 0 + 15 + 15 + 5 + 10 =
	// 63.75. Quota floor(0.6) = 0. 乙's latest row lists 370112001002 first: 历城区.
	r, err = f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	want := []ranked{
		{"甲", 1, 1, "历城区", "75.00", qiancun.GradeCompetent, false},
		{"丙", 2, 1, "平阴县", "63.75", qiancun.GradeCompetent, false},
		{"乙", 3, 2, "历城区", "52.50", qiancun.GradeIncompetent, true},
	}
	if diff := cmp.Diff(want, summary(r)); diff != "" {
		t.Errorf("ranking (-want +got):\n%s", diff)
	}
	if len(r.MissingMonths) != 0 {
		t.Errorf("missing months after June arrived: %v", r.MissingMonths)
	}
	if !r.Indicators[2].Money || r.Indicators[0].Money {
		t.Errorf("money flags from the pack's manifest: %+v", r.Indicators)
	}
	if got := r.Members[0].IndicatorMap()["协调资金"]; got != "30000.00" {
		t.Errorf("甲's 协调资金 = %s, want 30000.00 (3万元 in 元)", got)
	}

	// The scorecard traces every value to its rows.
	sc, err := f.eng.Scorecard(ctx, qiancun.FirstSecretary, "2024-Q2", idC)
	if err != nil {
		t.Fatal(err)
	}
	line := sc.Lines[1] // 走访农户数
	if line.Indicator != "走访农户数" || line.Value != "15.00" || line.Best != "60.00" || line.Points != "3.75" || len(line.Sources) != 3 ||
		line.Benchmark != "60.00" || line.BenchmarkRule != "p80" || line.BenchmarkMode != qiancun.BenchmarkPercentile || line.BenchmarkPosition != 3 {
		t.Errorf("scorecard line = %+v", line)
	}
	for _, s := range line.Sources {
		if s.Row != 5 || s.Sheet == "" || !strings.HasPrefix(s.File, "fs_") || s.Value != "5.00" {
			t.Errorf("source %+v: want row 5 of an fs_ file, value 5.00", s)
		}
	}

	// June resubmitted: 丙 visited 65 households: 75 in the quarter, the visits' p80 now.
	// 甲: 15 + 6 + 10 + 15 + 7.5 + 10 + 10 = 73.5; 乙: 7.5 + 12 + 20 + 0 + 0 + 10 + 0 = 49.5;
	// 丙: 15 + 15 + 0 + 15 + 15 + 5 + 10 = 75.
	f.ingest(t, "fs_2024-06_更正.csv", fsCSV("2024-06", 65))
	r, err = f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	want = []ranked{
		{"丙", 1, 1, "平阴县", "75.00", qiancun.GradeCompetent, false},
		{"甲", 2, 1, "历城区", "73.50", qiancun.GradeCompetent, false},
		{"乙", 3, 2, "历城区", "49.50", qiancun.GradeIncompetent, true},
	}
	if diff := cmp.Diff(want, summary(r)); diff != "" {
		t.Errorf("after the resubmission (-want +got):\n%s", diff)
	}

	// A month alone: May.
	r, err = f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-05")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Members) != 3 || r.Members[0].Months != 1 {
		t.Errorf("May: %d members, months %d", len(r.Members), r.Members[0].Months)
	}
}

func TestRulesOverride(t *testing.T) {
	t.Parallel()
	// Each force's first indicator weighs 100 against the highest; the others are collected
	// unscored (weight 0), as the rules must name every indicator of a template.
	var b strings.Builder
	b.WriteString(`version = "test-override"
[defaults]
benchmark = "max"
quota = 0.5
grades = { excellent = 80, competent = 60, incompetent = 40 }
`)
	ts, _ := ingest.LoadTemplates("")
	for f, ti := range ts.ForceIndicators() {
		fmt.Fprintf(&b, "[forces.%s]\nindicators = [\n", f)
		for i, in := range ti.Indicators {
			fmt.Fprintf(&b, "  { name = %q, weight = %d },\n", in, map[bool]int{true: 100}[i == 0])
		}
		b.WriteString("]\n")
	}
	rules := b.String()
	path := filepath.Join(t.TempDir(), "rules.toml")
	if err := os.WriteFile(path, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, path)
	f.loadQ2(t, true)
	r, err := f.eng.Rank(context.Background(), qiancun.FirstSecretary, "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	// Days alone, best 75: 丙 100, 甲 80, 乙 40; no veto. Quota floor(50% × 3) = 1.
	want := []ranked{
		{"丙", 1, 1, "平阴县", "100.00", qiancun.GradeExcellent, false},
		{"甲", 2, 1, "历城区", "80.00", qiancun.GradeCompetent, false},
		{"乙", 3, 2, "历城区", "40.00", qiancun.GradeBasic, false},
	}
	if diff := cmp.Diff(want, summary(r)); diff != "" {
		t.Errorf("ranking (-want +got):\n%s", diff)
	}
	if r.RulesVersion != "test-override" {
		t.Errorf("rules version = %q", r.RulesVersion)
	}
}

// TestPacksGolden runs every pack on the fixture and compares the
// result with testdata/golden/<pack>.json (go test -update rewrites them: review the diff).
func TestPacksGolden(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, "")
	f.loadQ2(t, true)
	cases := map[string]map[string]string{
		"villages":          {"period": "2024-Q2"},
		"village_districts": {"period": "2024-05"},
		"progress":          {"period": "2024-Q2"},
		"projects":          {},
		"project_list":      {"status": "在建"},
		"months_received":   {"period": "2024-Q2"},
		"member_sources":    {"force": "law", "key": idL, "period": "2024-05"},
		"appraisal":         {"force": "first_secretary", "period": "2024-Q2", "indicators": "走访农户数,驻村天数,协调资金,村集体增收"},
	}
	for _, p := range f.eng.Packs().All() {
		if cases[p.Name] == nil {
			t.Errorf("pack %s has no golden case", p.Name)
		}
	}
	for name, params := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := f.eng.Run(ctx, name, params)
			if err != nil {
				t.Fatal(err)
			}
			got := golden{Columns: nil, Rows: res.Rows}
			for _, c := range res.Columns {
				got.Columns = append(got.Columns, c.Name)
			}
			if name == "months_received" {
				for _, row := range got.Rows {
					row[6] = "<time>"
				}
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(b)); diff != "" {
				t.Errorf("%s (-golden +got):\n%s", name, diff)
			}
		})
	}
}

type golden struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

func TestProgressAgainstTargets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	f.loadQ2(t, true)
	p, err := f.eng.Progress(context.Background(), "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]string{}
	for _, l := range p.City {
		got[l.Metric] = [3]string{l.Actual, l.Target, l.Percent}
	}
	// 4 villages of 2,429; 3 first secretaries of 2,383; funds 9万 of 28,000万.
	want := map[string][3]string{
		"villages":                {"4", "2429", "0.16"},
		"members:first_secretary": {"3", "2383", "0.13"},
		"funds_yuan":              {"90000.00", "280000000.00", "0.03"},
		"members:finance":         {"0", "", ""},
		"projects":                {"2", "1430", "0.14"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if len(p.Districts) != 2 {
		t.Errorf("districts = %d, want 2", len(p.Districts))
	}
}

func TestCacheDroppedOnSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, "")
	f.loadQ2(t, true)
	r1, err := f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
	if r1 != r2 {
		t.Error("a repeated ranking was recomputed, not served from the cache")
	}
	f.ingest(t, "fs_2024-06_更正.csv", fsCSV("2024-06", 65))
	r3, _ := f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
	if r3 == r1 || r3.Members[0].Name != "丙" {
		t.Error("the cache outlived a submission that changed the data")
	}
}

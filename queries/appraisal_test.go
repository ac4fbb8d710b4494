package queries

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
)

// cohort builds a pack's cohort for appraise: key, district code, then indicator values in
// hundredths.
func cohort(indicators []string, members ...[]any) *cohortData {
	c := &cohortData{pack: "test", columns: indicators}
	for _, m := range members {
		r := cohortRow{key: m[0].(string), name: "名" + m[0].(string), districtCode: m[1].(string), months: 1}
		for _, v := range m[2:] {
			r.values = append(r.values, int64(v.(int)))
		}
		c.rows = append(c.rows, r)
	}
	return c
}

func twoIndicators(wa, wb float64) *qiancun.ForceRules {
	return &qiancun.ForceRules{
		Indicators: []qiancun.Weighted{{Name: "A", Weight: wa}, {Name: "B", Weight: wb}},
		Method:     "best", Quota: 0.2,
		Grades: qiancun.Grades{Excellent: 80, Competent: 60, Incompetent: 40},
	}
}

// row is what a test compares of a member.
type row struct {
	Key          string
	Rank, DRank  int
	Score, Grade string
}

func rows(ms []qiancun.Member) []row {
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i] = row{m.Key, m.Rank, m.DistrictRank, m.Score, m.Grade}
	}
	return out
}

func TestAppraise(t *testing.T) {
	t.Parallel()
	const lx, py = "370112", "370124"
	tests := []struct {
		name    string
		rules   *qiancun.ForceRules
		months  int
		cohort  *cohortData
		want    []row
		vetoed  []string
		wantPts map[string]string // key.indicator -> points
	}{
		{
			name:  "scores ties and grades",
			rules: twoIndicators(60, 40),
			cohort: cohort([]string{"A", "B"},
				[]any{"m1", lx, 1000, 500},
				[]any{"m2", lx, 500, 1000},
				[]any{"m3", py, -300, 0},
				[]any{"m4", py, 500, 1000},
				[]any{"m5", lx, 100, 100},
			),
			// m1: 60×10/10 + 40×5/10 = 80; m2, m4: 30 + 40 = 70; m5: 6 + 4 = 10; m3: a
			// negative value counts as 0.
			want: []row{
				{"m1", 1, 1, "80.00", qiancun.GradeExcellent},
				{"m2", 2, 2, "70.00", qiancun.GradeCompetent},
				{"m4", 2, 1, "70.00", qiancun.GradeCompetent},
				{"m5", 4, 3, "10.00", qiancun.GradeIncompetent},
				{"m3", 5, 2, "0.00", qiancun.GradeIncompetent},
			},
			wantPts: map[string]string{"m1.A": "60.00", "m1.B": "20.00", "m3.A": "0.00"},
		},
		{
			name:  "a tied group that would cross the quota is left out whole",
			rules: twoIndicators(50, 50),
			cohort: cohort([]string{"A", "B"},
				// quota: floor(20% × 10) = 2; three tied at the top.
				[]any{"a", lx, 100, 100}, []any{"b", lx, 100, 100}, []any{"c", lx, 100, 100},
				[]any{"d", lx, 90, 90}, []any{"e", lx, 10, 10}, []any{"f", lx, 10, 10},
				[]any{"g", lx, 10, 10}, []any{"h", lx, 10, 10}, []any{"i", lx, 10, 10}, []any{"j", lx, 50, 50},
			),
			want: []row{
				{"a", 1, 1, "100.00", qiancun.GradeCompetent}, {"b", 1, 1, "100.00", qiancun.GradeCompetent}, {"c", 1, 1, "100.00", qiancun.GradeCompetent},
				{"d", 4, 4, "90.00", qiancun.GradeCompetent}, {"j", 5, 5, "50.00", qiancun.GradeBasic},
				{"e", 6, 6, "10.00", qiancun.GradeIncompetent}, {"f", 6, 6, "10.00", qiancun.GradeIncompetent}, {"g", 6, 6, "10.00", qiancun.GradeIncompetent},
				{"h", 6, 6, "10.00", qiancun.GradeIncompetent}, {"i", 6, 6, "10.00", qiancun.GradeIncompetent},
			},
		},
		{
			name:  "a group that fits takes the quota and the next is left out",
			rules: twoIndicators(50, 50),
			cohort: cohort([]string{"A", "B"},
				[]any{"a", lx, 100, 100}, []any{"b", lx, 100, 100}, []any{"c", lx, 95, 95},
				[]any{"d", lx, 1, 1}, []any{"e", lx, 1, 1}, []any{"f", lx, 1, 1},
				[]any{"g", lx, 1, 1}, []any{"h", lx, 1, 1}, []any{"i", lx, 1, 1}, []any{"j", lx, 1, 1},
			),
			want: []row{
				{"a", 1, 1, "100.00", qiancun.GradeExcellent}, {"b", 1, 1, "100.00", qiancun.GradeExcellent}, {"c", 3, 3, "95.00", qiancun.GradeCompetent},
				{"d", 4, 4, "1.00", qiancun.GradeIncompetent}, {"e", 4, 4, "1.00", qiancun.GradeIncompetent}, {"f", 4, 4, "1.00", qiancun.GradeIncompetent},
				{"g", 4, 4, "1.00", qiancun.GradeIncompetent}, {"h", 4, 4, "1.00", qiancun.GradeIncompetent}, {"i", 4, 4, "1.00", qiancun.GradeIncompetent},
				{"j", 4, 4, "1.00", qiancun.GradeIncompetent},
			},
		},
		{
			name:  "best at or below zero scores everyone zero",
			rules: twoIndicators(50, 50),
			cohort: cohort([]string{"A", "B"},
				[]any{"a", lx, -100, 100}, []any{"b", lx, 0, 50}, []any{"c", lx, -5, 0},
			),
			want: []row{
				{"a", 1, 1, "50.00", qiancun.GradeBasic}, {"b", 2, 2, "25.00", qiancun.GradeIncompetent}, {"c", 3, 3, "0.00", qiancun.GradeIncompetent},
			},
		},
		{
			name: "a vetoed top scorer is 不称职 and the quota passes on",
			rules: func() *qiancun.ForceRules {
				r := twoIndicators(50, 50)
				r.Veto = &qiancun.Veto{Indicator: "A", MinPerMonth: 15, Reason: "驻村天数不足"}
				return r
			}(),
			months: 2, // the veto needs A ≥ 30 over two months
			cohort: cohort([]string{"A", "B"},
				[]any{"top", lx, 2900, 10000}, []any{"next", lx, 3000, 9000},
				[]any{"x1", lx, 3000, 100}, []any{"x2", lx, 3000, 100}, []any{"x3", lx, 3000, 100},
			),
			// top: 50×29/30 + 50 = 98.33; next: 50 + 45 = 95; quota floor(20% × 5) = 1.
			want: []row{
				{"top", 1, 1, "98.33", qiancun.GradeIncompetent}, {"next", 2, 2, "95.00", qiancun.GradeExcellent},
				{"x1", 3, 3, "50.50", qiancun.GradeBasic}, {"x2", 3, 3, "50.50", qiancun.GradeBasic}, {"x3", 3, 3, "50.50", qiancun.GradeBasic},
			},
			vetoed: []string{"top"},
		},
		{
			name:  "the total is rounded half away from zero, exactly",
			rules: twoIndicators(20, 80),
			// a: 20 × 201/4000 = 1.005 exactly; a float gives 1.00499… and rounds down.
			cohort: cohort([]string{"A", "B"}, []any{"a", lx, 201, 0}, []any{"b", lx, 4000, 0}),
			want:   []row{{"b", 1, 1, "20.00", qiancun.GradeIncompetent}, {"a", 2, 2, "1.01", qiancun.GradeIncompetent}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			months := tt.months
			if months == 0 {
				months = 1
			}
			ms, _, err := appraise(tt.rules, tt.cohort, months)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rows(ms)); diff != "" {
				t.Errorf("ranking (-want +got):\n%s", diff)
			}
			var vetoed []string
			for _, m := range ms {
				if m.Vetoed {
					vetoed = append(vetoed, m.Key)
				}
				for k, want := range tt.wantPts {
					if k[:len(m.Key)] == m.Key && k[len(m.Key)] == '.' {
						if got := m.PointMap()[k[len(m.Key)+1:]]; got != want {
							t.Errorf("points %s = %s, want %s", k, got, want)
						}
					}
				}
			}
			if diff := cmp.Diff(tt.vetoed, vetoed); diff != "" {
				t.Errorf("vetoed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRulesRefused(t *testing.T) {
	t.Parallel()
	base := `version = "t"
[defaults]
method = "best"
quota = 0.2
grades = { excellent = 80, competent = 60, incompetent = 40 }
`
	others := `
[forces.enterprise]
indicators = [{ name = "投入资金", weight = 100 }]
[forces.finance]
indicators = [{ name = "发放贷款金额", weight = 100 }]
[forces.law]
indicators = [{ name = "入村服务次数", weight = 100 }]
[forces.postal]
indicators = [{ name = "直播带货场次", weight = 100 }]
[forces.tech]
indicators = [{ name = "指导项目数", weight = 100 }]
[forces.culture]
indicators = [{ name = "打造文化品牌数", weight = 100 }]
`
	ps, err := LoadPacks("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, fs, wantErr string }{
		{"weights do not sum to 100", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50 }, { name = "走访农户数", weight = 40 }]`, "weights sum to 90.00, not 100"},
		{"unknown indicator", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50 }, { name = "出勤率", weight = 50 }]`, `unknown indicator "出勤率"`},
		{"veto on an unknown indicator", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 100 }]
veto = { indicator = "天数", min_per_month = 15 }`, `veto names unknown indicator "天数"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRules([]byte(base+tt.fs+others), ps.Indicators())
			if err == nil || !contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
	ok := `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 62.5 }, { name = "走访农户数", weight = 37.5 }]`
	r, err := parseRules([]byte(base+ok+others), ps.Indicators())
	if err != nil {
		t.Fatalf("a valid rules file was refused: %v", err)
	}
	if r.Forces["first_secretary"].Quota != 0.2 || r.Forces["law"].Grades.Excellent != 80 {
		t.Errorf("defaults not applied: %+v", r.Forces["first_secretary"])
	}
	if _, err := LoadRules("", ps.Indicators()); err != nil {
		t.Errorf("embedded rules refused: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

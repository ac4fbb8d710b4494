package queries

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
)

// cohort builds the appraisal pack's cohort: key, district code, then indicator values in
// hundredths, in the rules' order.
func cohort(members ...[]any) *cohortData {
	c := &cohortData{}
	for _, m := range members {
		r := cohortRow{key: m[0].(string), name: "名" + m[0].(string), districtCode: m[1].(string), months: 1}
		for _, v := range m[2:] {
			r.values = append(r.values, int64(v.(int)))
		}
		c.rows = append(c.rows, r)
	}
	return c
}

// rules are a force's rules with the indicators A, B, ... of the weights and benchmarks
// given as "weight benchmark" pairs, the contract's grades and a 20% quota city-wide.
func rules(ws ...any) *qiancun.ForceRules {
	fr := &qiancun.ForceRules{Quota: 0.2, QuotaScope: qiancun.QuotaCity,
		Grades: qiancun.Grades{Excellent: 80, Competent: 60, Incompetent: 40}}
	for i := 0; i < len(ws); i += 2 {
		fr.Indicators = append(fr.Indicators, qiancun.Weighted{Name: string(rune('A' + i/2)), Weight: float64(ws[i].(int)), Benchmark: ws[i+1].(string)})
	}
	return fr
}

func twoIndicators(wa, wb int) *qiancun.ForceRules { return rules(wa, "max", wb, "max") }

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
		// wantBench: per indicator "name rule mode benchmark[ @position][ fallback]"
		wantBench []string
	}{
		{
			name:  "scores ties and grades",
			rules: twoIndicators(60, 40),
			cohort: cohort(
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
			cohort: cohort(
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
			cohort: cohort(
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
			cohort: cohort(
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
			cohort: cohort(
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
			cohort: cohort([]any{"a", lx, 201, 0}, []any{"b", lx, 4000, 0}),
			want:   []row{{"b", 1, 1, "20.00", qiancun.GradeIncompetent}, {"a", 2, 2, "1.01", qiancun.GradeIncompetent}},
		},
		{
			// p80 of ten members: position ⌈0.8 × 10⌉ = 8 exactly, the value 8. m8, m9 and m10
			// are at or above it and earn the full weight: a tie of three at 100. m7: 100 × 7/8
			// = 87.5, m6 75, m5 62.5, m4 50, m3 37.5, m2 25, m1 12.5. The quota is
			// floor(20% × 10) = 2: the tied three would cross it and are left out whole, and so
			// is m7 after them, though it has 87.5.
			name:  "p80 at an exact position, capped members tied",
			rules: rules(100, "p80"),
			cohort: cohort(
				[]any{"m01", lx, 100}, []any{"m02", lx, 200}, []any{"m03", lx, 300}, []any{"m04", lx, 400}, []any{"m05", lx, 500},
				[]any{"m06", lx, 600}, []any{"m07", lx, 700}, []any{"m08", lx, 800}, []any{"m09", lx, 900}, []any{"m10", lx, 1000},
			),
			want: []row{
				{"m08", 1, 1, "100.00", qiancun.GradeCompetent}, {"m09", 1, 1, "100.00", qiancun.GradeCompetent}, {"m10", 1, 1, "100.00", qiancun.GradeCompetent},
				{"m07", 4, 4, "87.50", qiancun.GradeCompetent}, {"m06", 5, 5, "75.00", qiancun.GradeCompetent},
				{"m05", 6, 6, "62.50", qiancun.GradeCompetent}, {"m04", 7, 7, "50.00", qiancun.GradeBasic},
				{"m03", 8, 8, "37.50", qiancun.GradeIncompetent}, {"m02", 9, 9, "25.00", qiancun.GradeIncompetent},
				{"m01", 10, 10, "12.50", qiancun.GradeIncompetent},
			},
			wantPts:   map[string]string{"m10.A": "100.00", "m07.A": "87.50"},
			wantBench: []string{"A p80 percentile 8.00 @8"},
		},
		{
			// Seven members: p80 is at position ⌈0.8 × 7⌉ = ⌈5.6⌉ = 6 of 0, 1, 2, 3, 4, 5, 100,
			// the value 5; the outlier g (100) flattens nobody. B is against the highest, 20.
			// a: 0 + 40 × 10/20 = 20; b: 60 × 1/5 + 20 = 32; c: 24 + 20 = 44; d: 36 + 20 = 56;
			// e: 48 + 20 = 68; f: 60 + 20 = 80; g: 60 + 40 = 100. Quota floor(1.4) = 1: g.
			name:  "p80 at a position that is not whole, against max",
			rules: rules(60, "p80", 40, "max"),
			cohort: cohort(
				[]any{"a", lx, 0, 1000}, []any{"b", lx, 100, 1000}, []any{"c", py, 200, 1000}, []any{"d", lx, 300, 1000},
				[]any{"e", py, 400, 1000}, []any{"f", lx, 500, 1000}, []any{"g", lx, 10000, 2000},
			),
			want: []row{
				{"g", 1, 1, "100.00", qiancun.GradeExcellent}, {"f", 2, 2, "80.00", qiancun.GradeCompetent},
				{"e", 3, 1, "68.00", qiancun.GradeCompetent}, {"d", 4, 3, "56.00", qiancun.GradeBasic},
				{"c", 5, 2, "44.00", qiancun.GradeBasic}, {"b", 6, 4, "32.00", qiancun.GradeIncompetent},
				{"a", 7, 5, "20.00", qiancun.GradeIncompetent},
			},
			wantPts:   map[string]string{"b.A": "12.00", "g.A": "60.00", "a.B": "20.00"},
			wantBench: []string{"A p80 percentile 5.00 @6", "B max max 20.00"},
		},
		{
			// A: -3, 0, 0, 0, 4 counted as 0, 0, 0, 0, 4; p80 at position ⌈0.8 × 5⌉ = 4 is 0, so
			// the benchmark falls back to the highest, 4. B: p80 at position 4 of 10, 20, 30,
			// 40, 50 is 40. a: 0 + 50 × 10/40 = 12.5; b 25; c 37.5; d 50; e 50 + 50 = 100.
			name:  "a p80 of 0 falls back to the highest value",
			rules: rules(50, "p80", 50, "p80"),
			cohort: cohort(
				[]any{"a", lx, -300, 1000}, []any{"b", lx, 0, 2000}, []any{"c", lx, 0, 3000}, []any{"d", lx, 0, 4000}, []any{"e", lx, 400, 5000},
			),
			want: []row{
				{"e", 1, 1, "100.00", qiancun.GradeExcellent}, {"d", 2, 2, "50.00", qiancun.GradeBasic},
				{"c", 3, 3, "37.50", qiancun.GradeIncompetent}, {"b", 4, 4, "25.00", qiancun.GradeIncompetent},
				{"a", 5, 5, "12.50", qiancun.GradeIncompetent},
			},
			wantPts:   map[string]string{"a.A": "0.00", "e.A": "50.00", "a.B": "12.50"},
			wantBench: []string{"A p80 percentile 4.00 @4 fallback", "B p80 percentile 40.00 @4"},
		},
		{
			// A is 0 for everyone: p80 is 0, the highest is 0 too, so everyone scores 0 on it.
			// B against the highest, 4: 50 × 1/4 = 12.5, 25, 50.
			name:  "an indicator that is 0 for everyone",
			rules: rules(50, "p80", 50, "max"),
			cohort: cohort(
				[]any{"a", lx, 0, 100}, []any{"b", lx, 0, 200}, []any{"c", lx, 0, 400},
			),
			want: []row{
				{"c", 1, 1, "50.00", qiancun.GradeBasic}, {"b", 2, 2, "25.00", qiancun.GradeIncompetent},
				{"a", 3, 3, "12.50", qiancun.GradeIncompetent},
			},
			wantPts:   map[string]string{"c.A": "0.00", "c.B": "50.00"},
			wantBench: []string{"A p80 percentile 0.00 @3 fallback", "B max max 4.00"},
		},
		{
			// A quarter: target:20 is 20 × 3 = 60. B against the highest, 20. The veto needs
			// A ≥ 15 × 3 = 45. y: 40 (75 ≥ 60, capped) + 60 = 100; w: 40 × 44.99/60 = 29.9933…
			// + 60 = 89.99, vetoed (44.99 < 45); x: 40 × 45/60 = 30 + 60 × 10/20 = 30 = 60, not
			// vetoed (45 is not below 45); z: 40 × 59.99/60 = 39.9933… → 39.99. Quota
			// floor(0.8) = 0.
			name: "a target across a quarter, and the veto's boundary",
			rules: func() *qiancun.ForceRules {
				r := rules(40, "target:20", 60, "max")
				r.Veto = &qiancun.Veto{Indicator: "A", MinPerMonth: 15, Reason: "驻村天数不足"}
				return r
			}(),
			months: 3,
			cohort: cohort(
				[]any{"x", lx, 4500, 1000}, []any{"y", lx, 7500, 2000}, []any{"z", lx, 5999, 0}, []any{"w", lx, 4499, 2000},
			),
			want: []row{
				{"y", 1, 1, "100.00", qiancun.GradeCompetent}, {"w", 2, 2, "89.99", qiancun.GradeIncompetent},
				{"x", 3, 3, "60.00", qiancun.GradeCompetent}, {"z", 4, 4, "39.99", qiancun.GradeIncompetent},
			},
			vetoed:    []string{"w"},
			wantPts:   map[string]string{"y.A": "40.00", "x.A": "30.00", "z.A": "39.99"},
			wantBench: []string{"A target:20 target 60.00", "B max max 20.00"},
		},
		{
			// District quota: 历城区 (L) has ten members, quota floor(20% × 10) = 2; 平阴县 (P)
			// five, quota floor(20% × 5) = 1. A is against the highest, 100, so the score is
			// the value. L: 100 takes one place; the tie 95, 95 would cross the one left and
			// is left out whole, and so is 90 after it. P: 92 takes its one place; 85, 85 are
			// out. (City-wide, the next case, floor(20% × 15) = 3 places go to 100, 95, 95.)
			name: "district quota scope, a tie at a district's boundary",
			rules: func() *qiancun.ForceRules {
				r := rules(100, "max")
				r.QuotaScope = qiancun.QuotaDistrict
				return r
			}(),
			cohort: quotaCohort(),
			want: []row{
				{"L100", 1, 1, "100.00", qiancun.GradeExcellent},
				{"L95a", 2, 2, "95.00", qiancun.GradeCompetent}, {"L95b", 2, 2, "95.00", qiancun.GradeCompetent},
				{"P92", 4, 1, "92.00", qiancun.GradeExcellent},
				{"L90", 5, 4, "90.00", qiancun.GradeCompetent},
				{"P85a", 6, 2, "85.00", qiancun.GradeCompetent}, {"P85b", 6, 2, "85.00", qiancun.GradeCompetent},
				{"L50a", 8, 5, "50.00", qiancun.GradeBasic}, {"L50b", 8, 5, "50.00", qiancun.GradeBasic}, {"L50c", 8, 5, "50.00", qiancun.GradeBasic},
				{"L50d", 8, 5, "50.00", qiancun.GradeBasic}, {"L50e", 8, 5, "50.00", qiancun.GradeBasic}, {"L50f", 8, 5, "50.00", qiancun.GradeBasic},
				{"P30a", 14, 4, "30.00", qiancun.GradeIncompetent}, {"P30b", 14, 4, "30.00", qiancun.GradeIncompetent},
			},
		},
		{
			name:   "the same cohort with the city-wide quota",
			rules:  rules(100, "max"),
			cohort: quotaCohort(),
			want: []row{
				{"L100", 1, 1, "100.00", qiancun.GradeExcellent},
				{"L95a", 2, 2, "95.00", qiancun.GradeExcellent}, {"L95b", 2, 2, "95.00", qiancun.GradeExcellent},
				{"P92", 4, 1, "92.00", qiancun.GradeCompetent},
				{"L90", 5, 4, "90.00", qiancun.GradeCompetent},
				{"P85a", 6, 2, "85.00", qiancun.GradeCompetent}, {"P85b", 6, 2, "85.00", qiancun.GradeCompetent},
				{"L50a", 8, 5, "50.00", qiancun.GradeBasic}, {"L50b", 8, 5, "50.00", qiancun.GradeBasic}, {"L50c", 8, 5, "50.00", qiancun.GradeBasic},
				{"L50d", 8, 5, "50.00", qiancun.GradeBasic}, {"L50e", 8, 5, "50.00", qiancun.GradeBasic}, {"L50f", 8, 5, "50.00", qiancun.GradeBasic},
				{"P30a", 14, 4, "30.00", qiancun.GradeIncompetent}, {"P30b", 14, 4, "30.00", qiancun.GradeIncompetent},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			months := tt.months
			if months == 0 {
				months = 1
			}
			ms, infos, err := appraise(tt.rules, tt.cohort, months)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantBench != nil {
				var got []string
				for _, in := range infos {
					s := fmt.Sprintf("%s %s %s %s", in.Name, in.BenchmarkRule, in.BenchmarkMode, in.Benchmark)
					if in.BenchmarkPosition > 0 {
						s += fmt.Sprintf(" @%d", in.BenchmarkPosition)
					}
					if in.BenchmarkFallback {
						s += " fallback"
					}
					got = append(got, s)
				}
				if diff := cmp.Diff(tt.wantBench, got); diff != "" {
					t.Errorf("benchmarks (-want +got):\n%s", diff)
				}
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

// quotaCohort is ten members in 历城区 and five in 平阴县 with one indicator whose value
// is the score under a max benchmark of 100.
func quotaCohort() *cohortData {
	const lx, py = "370112", "370124"
	return cohort(
		[]any{"L100", lx, 10000}, []any{"L95a", lx, 9500}, []any{"L95b", lx, 9500}, []any{"L90", lx, 9000},
		[]any{"L50a", lx, 5000}, []any{"L50b", lx, 5000}, []any{"L50c", lx, 5000}, []any{"L50d", lx, 5000},
		[]any{"L50e", lx, 5000}, []any{"L50f", lx, 5000},
		[]any{"P92", py, 9200}, []any{"P85a", py, 8500}, []any{"P85b", py, 8500}, []any{"P30a", py, 3000}, []any{"P30b", py, 3000},
	)
}

// TestRulesRefused checks that every kind of disagreement between the rules and the
// templates is refused at load time, with a message naming the file and the indicator.
func TestRulesRefused(t *testing.T) {
	t.Parallel()
	templates := map[qiancun.Force]qiancun.TemplateIndicators{
		qiancun.FirstSecretary: {File: "tpl/fs.toml", Indicators: []string{"驻村天数", "走访农户数"}},
	}
	for _, f := range qiancun.Forces()[1:] {
		templates[f.Slug] = qiancun.TemplateIndicators{File: "tpl/" + string(f.Slug) + ".toml", Indicators: []string{"X"}}
	}
	base := `version = "t"
[defaults]
benchmark = "p80"
quota = 0.2
grades = { excellent = 80, competent = 60, incompetent = 40 }
`
	var others strings.Builder
	for _, f := range qiancun.Forces()[1:] {
		fmt.Fprintf(&others, "[forces.%s]\nindicators = [{ name = \"X\", weight = 100 }]\n", f.Slug)
	}
	tests := []struct{ name, fs string }{
		{"rules indicator missing from the template", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50 }, { name = "走访农户数", weight = 40 }, { name = "出勤率", weight = 10 }]`},
		{"template indicator no rule reads", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 100 }]`},
		{"weights do not sum to 100", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50 }, { name = "走访农户数", weight = 40 }]`},
		{"unknown benchmark mode", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50, benchmark = "q80" }, { name = "走访农户数", weight = 50 }]`},
		{"percentile out of range", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50, benchmark = "p0" }, { name = "走访农户数", weight = 50 }]`},
		{"target with three decimals", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50, benchmark = "target:1.005" }, { name = "走访农户数", weight = 50 }]`},
		{"veto on an indicator the rules lack", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50 }, { name = "走访农户数", weight = 50 }]
veto = { indicator = "天数", min_per_month = 15 }`},
		{"unknown quota scope", `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 50 }, { name = "走访农户数", weight = 50 }]
quota_scope = "town"`},
		{"the old method setting", `[forces.first_secretary]
method = "best"
indicators = [{ name = "驻村天数", weight = 50 }, { name = "走访农户数", weight = 50 }]`},
	}
	want := map[string][]string{
		"rules indicator missing from the template": {`force first_secretary`, `indicator "出勤率" is not in the force's template (tpl/fs.toml)`},
		"template indicator no rule reads":          {`template tpl/fs.toml has indicator "走访农户数", which no rule reads`},
		"weights do not sum to 100":                 {`force first_secretary: weights sum to 90.00, not 100`},
		"unknown benchmark mode":                    {`indicator "驻村天数": benchmark "q80": want max, pNN`},
		"percentile out of range":                   {`indicator "驻村天数": benchmark "p0"`},
		"target with three decimals":                {`indicator "驻村天数": benchmark "target:1.005"`},
		"veto on an indicator the rules lack":       {`veto names indicator "天数"`},
		"unknown quota scope":                       {`quota_scope "town"`},
		"the old method setting":                    {`method was replaced by a benchmark per indicator`},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("rules%d.toml", i))
			if err := os.WriteFile(path, []byte(base+tt.fs+"\n"+others.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadRules(path, templates)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(want[tt.name], "rules "+path+": ") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want one saying %q", err, w)
				}
			}
		})
	}
	ok := `[forces.first_secretary]
indicators = [{ name = "驻村天数", weight = 62.5, benchmark = "target:20.5" }, { name = "走访农户数", weight = 37.5 }]
quota_scope = "district"`
	r, err := parseRules([]byte(base+ok+"\n"+others.String()), templates)
	if err != nil {
		t.Fatalf("a valid rules file was refused: %v", err)
	}
	fs := r.Forces[qiancun.FirstSecretary]
	if fs.Quota != 0.2 || r.Forces[qiancun.Law].Grades.Excellent != 80 || fs.QuotaScope != qiancun.QuotaDistrict ||
		r.Forces[qiancun.Law].QuotaScope != qiancun.QuotaCity || fs.Indicators[1].Benchmark != "p80" || fs.Indicators[0].Benchmark != "target:20.5" {
		t.Errorf("defaults not applied: %+v", fs)
	}
}

// TestEmbeddedRules checks the default rules against the embedded templates and the
// contract's defaults: p80 everywhere but 驻村天数, target:20; city-wide quota.
func TestEmbeddedRules(t *testing.T) {
	t.Parallel()
	r, err := LoadRules("", nil)
	if err != nil {
		t.Fatalf("embedded rules refused: %v", err)
	}
	for f, fr := range r.Forces {
		if fr.QuotaScope != qiancun.QuotaCity {
			t.Errorf("%s: quota scope %q", f, fr.QuotaScope)
		}
		for _, in := range fr.Indicators {
			want := "p80"
			if f == qiancun.FirstSecretary && in.Name == "驻村天数" {
				want = "target:20"
			}
			if in.Benchmark != want {
				t.Errorf("%s %s: benchmark %q, want %q", f, in.Name, in.Benchmark, want)
			}
		}
	}
}

func TestParseBenchmark(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]qiancun.Benchmark{
		"max": {Mode: qiancun.BenchmarkMax}, "p80": {Mode: qiancun.BenchmarkPercentile, P: 80},
		"p100": {Mode: qiancun.BenchmarkPercentile, P: 100}, "target:20": {Mode: qiancun.BenchmarkTarget, PerMonth: 2000},
		"target:0.5": {Mode: qiancun.BenchmarkTarget, PerMonth: 50},
	} {
		got, err := qiancun.ParseBenchmark(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("ParseBenchmark(%q) = %+v %v (%s), want %+v", in, got, err, got.String(), want)
		}
	}
	for _, in := range []string{"", "best", "p", "p0", "p101", "p080", "p8.5", "target:", "target:0", "target:-1", "target:1.234", "target:x", "MAX"} {
		if _, err := qiancun.ParseBenchmark(in); err == nil {
			t.Errorf("ParseBenchmark(%q) accepted", in)
		}
	}
}

// TestNth checks the quickselect against a sort on many shapes: ties, runs, sorted and
// reversed input, negatives.
func TestNth(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 60; n++ {
		for _, spread := range []int64{1, 3, 1000} {
			vs := make([]int64, n)
			for i := range vs {
				vs[i] = r.Int64N(spread) - spread/3
			}
			for _, shape := range []string{"random", "sorted", "reversed"} {
				in := slices.Clone(vs)
				switch shape {
				case "sorted":
					slices.Sort(in)
				case "reversed":
					slices.Sort(in)
					slices.Reverse(in)
				}
				want := slices.Sorted(slices.Values(in))
				for k := range n {
					if got := nth(slices.Clone(in), k); got != want[k] {
						t.Fatalf("n %d spread %d %s: nth(%d) = %d, want %d", n, spread, shape, k, got, want[k])
					}
				}
			}
		}
	}
}

package qiancun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSelectPages checks ranking pages against pages worked out by hand from this table:
//
//	rank  key  name  district  grade
//	1     k1   张伟   370112    优秀
//	2     k2   王芳   370102    优秀
//	3     k3   张敏   370112    称职
//	4     k4   李娜   370124    称职
//	5     k5   张伟东 370112    称职
//	6     k6   赵强   370102    基本称职
//	7     k7   钱张   370112    不称职
func TestSelectPages(t *testing.T) {
	t.Parallel()
	r := &Ranking{}
	for i, m := range []struct{ name, district, grade string }{
		{"张伟", "370112", GradeExcellent}, {"王芳", "370102", GradeExcellent}, {"张敏", "370112", GradeCompetent},
		{"李娜", "370124", GradeCompetent}, {"张伟东", "370112", GradeCompetent}, {"赵强", "370102", GradeBasic},
		{"钱张", "370112", GradeIncompetent},
	} {
		r.Members = append(r.Members, Member{Rank: i + 1, Key: "k" + string(rune('1'+i)), Name: m.name, DistrictCode: m.district, Grade: m.grade})
	}
	tests := []struct {
		name  string
		f     Filter
		keys  []string
		total int
	}{
		{"everyone", Filter{}, []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7"}, 7},
		{"first page", Filter{Limit: 3}, []string{"k1", "k2", "k3"}, 7},
		{"second page", Filter{Limit: 3, Offset: 3}, []string{"k4", "k5", "k6"}, 7},
		{"last, short page", Filter{Limit: 3, Offset: 6}, []string{"k7"}, 7},
		{"past the end", Filter{Limit: 3, Offset: 9}, []string{}, 7},
		{"negative offset", Filter{Limit: 2, Offset: -4}, []string{"k1", "k2"}, 7},
		{"district", Filter{District: "370112"}, []string{"k1", "k3", "k5", "k7"}, 4},
		{"district, second page", Filter{District: "370112", Limit: 2, Offset: 2}, []string{"k5", "k7"}, 4},
		{"district, negative offset", Filter{District: "370102", Offset: -1}, []string{"k2", "k6"}, 2},
		{"grade", Filter{Grade: GradeCompetent}, []string{"k3", "k4", "k5"}, 3},
		{"grade, offset", Filter{Grade: GradeCompetent, Offset: 1, Limit: 1}, []string{"k4"}, 3},
		{"name part", Filter{Query: "张"}, []string{"k1", "k3", "k5", "k7"}, 4},
		{"name part, page", Filter{Query: "张伟", Limit: 1, Offset: 1}, []string{"k5"}, 2},
		{"district and grade", Filter{District: "370112", Grade: GradeCompetent}, []string{"k3", "k5"}, 2},
		{"district, grade and name", Filter{District: "370112", Grade: GradeCompetent, Query: "伟"}, []string{"k5"}, 1},
		{"key without MatchKey", Filter{Query: "k4"}, []string{}, 0},
		{"key with MatchKey", Filter{Query: "k4", MatchKey: true}, []string{"k4"}, 1},
		{"no such district", Filter{District: "999999", Limit: 5}, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := r.Select(tt.f)
			keys := []string{}
			for _, m := range p.Members {
				keys = append(keys, m.Key)
			}
			if d := cmp.Diff(tt.keys, keys); d != "" || p.Total != tt.total {
				t.Errorf("total %d, want %d; keys (-want +got):\n%s", p.Total, tt.total, d)
			}
			idx, total := r.Positions(tt.f)
			if total != tt.total || len(idx) != len(tt.keys) {
				t.Errorf("Positions: %v, total %d", idx, total)
			}
		})
	}
}

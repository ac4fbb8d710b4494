package qiancun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSelect pages a ranking of eight members by hand-worked filters, with the index and
// without it.
func TestSelect(t *testing.T) {
	t.Parallel()
	ms := []Member{
		{Key: "k1", Name: "王小明", DistrictCode: "370102", Grade: GradeExcellent},
		{Key: "k2", Name: "李四", DistrictCode: "370112", Grade: GradeExcellent},
		{Key: "k3", Name: "王五", DistrictCode: "370112", Grade: GradeCompetent},
		{Key: "k4", Name: "张明明", DistrictCode: "370102", Grade: GradeCompetent},
		{Key: "k5", Name: "赵六", DistrictCode: "370112", Grade: GradeCompetent},
		{Key: "k6", Name: "王明", DistrictCode: "370112", Grade: GradeBasic},
		{Key: "k7", Name: "钱七", DistrictCode: "370102", Grade: GradeCompetent},
		{Key: "k8", Name: "孙王", DistrictCode: "370113", Grade: GradeIncompetent},
	}
	tests := []struct {
		f     Filter
		total int
		keys  []string
	}{
		{Filter{}, 8, []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"}},
		{Filter{Limit: 3, Offset: 6}, 8, []string{"k7", "k8"}},
		{Filter{District: "370112"}, 4, []string{"k2", "k3", "k5", "k6"}},
		{Filter{District: "370112", Limit: 2, Offset: 1}, 4, []string{"k3", "k5"}},
		{Filter{Grade: GradeCompetent}, 4, []string{"k3", "k4", "k5", "k7"}},
		{Filter{District: "370102", Grade: GradeCompetent}, 2, []string{"k4", "k7"}},
		{Filter{District: "370102", Grade: GradeBasic}, 0, []string{}},
		{Filter{District: "999999"}, 0, []string{}},
		{Filter{Query: "王"}, 4, []string{"k1", "k3", "k6", "k8"}},
		{Filter{Query: "明"}, 3, []string{"k1", "k4", "k6"}},
		{Filter{Query: "王明"}, 1, []string{"k6"}},
		{Filter{Query: "明明", Limit: 5}, 1, []string{"k4"}},
		{Filter{Query: "王", District: "370112", Offset: 1}, 2, []string{"k6"}},
		{Filter{Query: "王", Grade: GradeIncompetent}, 1, []string{"k8"}},
		{Filter{Query: "王", District: "370112", Grade: GradeCompetent}, 1, []string{"k3"}},
		{Filter{Query: "明", District: "370102"}, 2, []string{"k1", "k4"}},
		{Filter{Query: "王明", District: "370102"}, 0, []string{}},
		{Filter{Query: "周"}, 0, []string{}},
		{Filter{Query: "周周王"}, 0, []string{}},
		{Filter{Query: "明王"}, 0, []string{}},
		{Filter{Query: "明明明"}, 0, []string{}},
		{Filter{Query: "小明", Grade: GradeExcellent}, 1, []string{"k1"}},
		{Filter{Query: "k7"}, 0, []string{}},
		{Filter{Query: "k7", MatchKey: true}, 1, []string{"k7"}},
		{Filter{Query: "\xff"}, 0, []string{}},
	}
	for _, indexed := range []bool{false, true} {
		r := &Ranking{Members: ms}
		if indexed {
			r.BuildIndex()
		}
		for _, tt := range tests {
			p := r.Select(tt.f)
			keys := []string{}
			for _, m := range p.Members {
				keys = append(keys, m.Key)
			}
			if p.Total != tt.total || !cmp.Equal(keys, tt.keys) {
				t.Errorf("indexed %v, %+v: %d %v, want %d %v", indexed, tt.f, p.Total, keys, tt.total, tt.keys)
			}
		}
	}
	// A name with a 身份证号 typed in it is matched as shown: masked (370102********1234,
	// full-width digits folded), unless the caller may see keys.
	idName := []Member{{Key: "a", Name: "刘３７０１０２１９９００１０１１２３４", DistrictCode: "370102"}, {Key: "b", Name: "刘一", DistrictCode: "370102"}}
	for _, tt := range []struct {
		f     Filter
		total int
	}{
		{Filter{Query: "19900101"}, 0},
		{Filter{Query: "19900101", MatchKey: true}, 0}, // full-width as typed
		{Filter{Query: "１９９００１０１", MatchKey: true}, 1},
		{Filter{Query: "*"}, 1},
		{Filter{Query: "2***"}, 1},
		{Filter{Query: "刘370102"}, 1},
		{Filter{Query: "刘370102", District: "370102"}, 1},
		{Filter{Query: "1234"}, 1},
		{Filter{Query: "刘"}, 2},
	} {
		for _, indexed := range []bool{false, true} {
			r := &Ranking{Members: idName}
			if indexed {
				r.BuildIndex()
			}
			if p := r.Select(tt.f); p.Total != tt.total || len(p.Members) != tt.total {
				t.Errorf("indexed %v, name with an ID, %+v: %d members, want %d", indexed, tt.f, p.Total, tt.total)
			}
		}
	}
	// A name can hold every character and every pair of a query without holding it.
	r := &Ranking{Members: []Member{{Key: "a", Name: "明王明"}, {Key: "b", Name: "王明王"}}}
	r.BuildIndex()
	if p := r.Select(Filter{Query: "王明王"}); p.Total != 1 || len(p.Members) != 1 || p.Members[0].Key != "b" {
		t.Errorf("王明王: %+v, want b alone", p)
	}
}

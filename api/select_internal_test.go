package api

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
)

// TestSelectMembersIsSelect holds the page selection of the views to the ranking's own
// Select, filter by filter.
func TestSelectMembersIsSelect(t *testing.T) {
	t.Parallel()
	r := &qiancun.Ranking{Force: qiancun.FirstSecretary, KeyKind: qiancun.KeyID}
	grades := []string{qiancun.GradeExcellent, qiancun.GradeCompetent, qiancun.GradeBasic, qiancun.GradeIncompetent}
	for i := range 57 {
		r.Members = append(r.Members, qiancun.Member{
			Rank: i + 1, Key: qiancun.MakeID("3701121980010" + strconv.Itoa(1000+i)),
			Name:         []string{"张伟", "王芳", "李娜", "张敏"}[i%4] + strconv.Itoa(i),
			DistrictCode: []string{"370112", "370102", "370124"}[i%3], Grade: grades[i%4],
		})
	}
	rv := &rankView{r: r}
	rv.build([]byte("k"), "")
	filters := []qiancun.Filter{
		{}, {Limit: 10}, {Limit: 10, Offset: 50}, {Offset: 60}, {Limit: 5, Offset: 55},
		{District: "370112"}, {District: "370112", Limit: 3, Offset: 2}, {Grade: qiancun.GradeBasic, Limit: 4},
		{Query: "张"}, {Query: "张", Limit: 2, Offset: 1}, {Query: "198001", MatchKey: true}, {Query: "198001"},
		{District: "370124", Grade: qiancun.GradeExcellent, Query: "伟"}, {District: "999999"},
	}
	for _, f := range filters {
		want := r.Select(f)
		idx, total := rv.selectMembers(f)
		var got []string
		for _, i := range idx {
			got = append(got, r.Members[i].Key)
		}
		var wantKeys []string
		for _, m := range want.Members {
			wantKeys = append(wantKeys, m.Key)
		}
		if total != want.Total || !cmp.Equal(got, wantKeys) {
			t.Errorf("%+v: %d %v, Select gives %d %v", f, total, got, want.Total, wantKeys)
		}
	}
}

// TestViewsDroppedWithTheVersion checks that the views of stale rankings are let go when
// the data version moves, as the engine lets go of the rankings.
func TestViewsDroppedWithTheVersion(t *testing.T) {
	t.Parallel()
	v := newViews([]byte("k"), "")
	r1, r2 := &qiancun.Ranking{}, &qiancun.Ranking{}
	if v.get(r1, 1) != v.get(r1, 1) {
		t.Error("the same ranking got two views")
	}
	v.get(r2, 2)
	if _, ok := v.m[r1]; ok || len(v.m) != 1 {
		t.Errorf("after the version moved, %d views are kept (the stale one: %v)", len(v.m), ok)
	}
}

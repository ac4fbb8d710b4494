package qiancun

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// rankIndex serves filtered pages of a ranking without scanning it: for each district,
// each grade, and each district and grade together, the positions of their members in
// rank order; and for each character of the members' names, the positions of the names
// that hold it.
type rankIndex struct {
	district map[string][]int32
	grade    map[string][]int32
	both     map[[2]string][]int32
	chars    map[rune][]int32
}

// BuildIndex indexes the ranking's members for Select. The engine calls it once, before
// it caches and shares the ranking; Select works without it, by scanning. Members must
// not change afterwards.
func (r *Ranking) BuildIndex() {
	x := &rankIndex{
		district: map[string][]int32{},
		grade:    map[string][]int32{},
		both:     map[[2]string][]int32{},
		chars:    map[rune][]int32{},
	}
	var seen []rune
	for i := range r.Members {
		m := &r.Members[i]
		p := int32(i)
		x.district[m.DistrictCode] = append(x.district[m.DistrictCode], p)
		x.grade[m.Grade] = append(x.grade[m.Grade], p)
		k := [2]string{m.DistrictCode, m.Grade}
		x.both[k] = append(x.both[k], p)
		seen = seen[:0]
		for _, c := range m.Name {
			if !slices.Contains(seen, c) {
				seen = append(seen, c)
				x.chars[c] = append(x.chars[c], p)
			}
		}
	}
	r.index = x
}

// candidates returns the positions, in rank order, of the members that can match f (a
// superset of those that do), and whether the index could narrow them at all.
func (x *rankIndex) candidates(f Filter) ([]int32, bool) {
	var best []int32
	found := false
	take := func(list []int32) {
		if !found || len(list) < len(best) {
			best, found = list, true
		}
	}
	switch {
	case f.District != "" && f.Grade != "":
		take(x.both[[2]string{f.District, f.Grade}])
	case f.District != "":
		take(x.district[f.District])
	case f.Grade != "":
		take(x.grade[f.Grade])
	}
	// A query that may match keys cannot be narrowed by the names' characters.
	if f.Query != "" && !f.MatchKey && utf8.ValidString(f.Query) {
		for _, c := range f.Query {
			take(x.chars[c])
		}
	}
	return best, found
}

// matches reports whether member m passes filter f (its limit and offset aside).
func (f *Filter) matches(m *Member) bool {
	return (f.District == "" || m.DistrictCode == f.District) &&
		(f.Grade == "" || m.Grade == f.Grade) &&
		(f.Query == "" || strings.Contains(m.Name, f.Query) || f.MatchKey && strings.Contains(m.Key, f.Query))
}

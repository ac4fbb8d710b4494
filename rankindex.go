package qiancun

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// rankIndex serves filtered pages of a ranking without scanning it: for each district,
// each grade, and each district and grade together, the positions of their members in
// rank order; and for each character, and each pair of adjacent characters, of the
// members' names as shown to those who may not see keys (masked by pattern, MaskText),
// the positions of the names that hold it, in the whole ranking and in each district (a
// district's leader sees that district only, so every query of theirs names it).
type rankIndex struct {
	district map[string][]int32
	grade    map[string][]int32
	both     map[[2]string][]int32
	chars    map[rune][]int32
	pairs    map[[2]rune][]int32
	inDist   map[distChar][]int32
}

// distChar is a character of names in one district.
type distChar struct {
	district string
	c        rune
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
		pairs:    map[[2]rune][]int32{},
		inDist:   map[distChar][]int32{},
	}
	var seen []rune
	var seenPairs [][2]rune
	for i := range r.Members {
		m := &r.Members[i]
		p := int32(i)
		x.district[m.DistrictCode] = append(x.district[m.DistrictCode], p)
		x.grade[m.Grade] = append(x.grade[m.Grade], p)
		k := [2]string{m.DistrictCode, m.Grade}
		x.both[k] = append(x.both[k], p)
		seen, seenPairs = seen[:0], seenPairs[:0]
		prev := rune(-1)
		// Queries by character are those that may not match keys, so they match the
		// names as shown, masked by pattern (Filter.name).
		for _, c := range MaskText(m.Name) {
			if !slices.Contains(seen, c) {
				seen = append(seen, c)
				x.chars[c] = append(x.chars[c], p)
				dc := distChar{m.DistrictCode, c}
				x.inDist[dc] = append(x.inDist[dc], p)
			}
			if pr := [2]rune{prev, c}; prev >= 0 && !slices.Contains(seenPairs, pr) {
				seenPairs = append(seenPairs, pr)
				x.pairs[pr] = append(x.pairs[pr], p)
			}
			prev = c
		}
	}
	r.index = x
}

// candidates returns the positions, in rank order, of the members that can match f: the
// intersection of the lists of f's district, grade and the characters of its query. ok is
// false when the index cannot narrow the members at all; exact is true when every
// candidate matches (no query, or a query of one character that may not match keys).
func (x *rankIndex) candidates(f Filter) (list []int32, ok, exact bool) {
	var lists [][]int32
	// A query that may match keys cannot be narrowed by the names' characters.
	byChars := f.Query != "" && !f.MatchKey && utf8.ValidString(f.Query)
	switch {
	case f.District != "" && f.Grade != "":
		lists = append(lists, x.both[[2]string{f.District, f.Grade}])
	case f.District != "" && !byChars: // else the district's character lists say it
		lists = append(lists, x.district[f.District])
	case f.Grade != "":
		lists = append(lists, x.grade[f.Grade])
	}
	exact = f.Query == ""
	if byChars {
		// A name that holds the query holds each of its characters and each pair of
		// adjacent ones.
		var seen []rune
		prev := rune(-1)
		for _, c := range f.Query {
			if !slices.Contains(seen, c) {
				seen = append(seen, c)
				if f.District != "" {
					lists = append(lists, x.inDist[distChar{f.District, c}])
				} else {
					lists = append(lists, x.chars[c])
				}
			}
			if prev >= 0 {
				lists = append(lists, x.pairs[[2]rune{prev, c}])
			}
			prev = c
		}
		exact = utf8.RuneCountInString(f.Query) == 1
	}
	if len(lists) == 0 {
		return nil, false, false
	}
	return intersect(lists), true, exact
}

// intersect returns the positions in every one of lists, each in ascending order. The
// shortest list is walked, and each of its positions looked up in the others by galloping
// search from where the last lookup ended.
func intersect(lists [][]int32) []int32 {
	slices.SortFunc(lists, func(a, b []int32) int { return len(a) - len(b) })
	if len(lists) == 1 || len(lists[0]) == 0 {
		return lists[0]
	}
	out := make([]int32, 0, len(lists[0]))
	rest := make([][]int32, len(lists)-1)
	copy(rest, lists[1:])
walk:
	for _, p := range lists[0] {
		for i, l := range rest {
			j := gallop(l, p)
			rest[i] = l[j:]
			if j == len(l) || l[j] != p {
				continue walk
			}
		}
		out = append(out, p)
	}
	return out
}

// matches reports whether member m passes filter f (its limit and offset aside).
func (f *Filter) matches(m *Member) bool {
	return (f.District == "" || m.DistrictCode == f.District) &&
		(f.Grade == "" || m.Grade == f.Grade) &&
		(f.Query == "" || strings.Contains(f.name(m), f.Query) || f.MatchKey && strings.Contains(m.Key, f.Query))
}

// gallop returns the index of the first element of the ascending list l that is at least
// p: it steps 1, 2, 4, ... from the start, then searches the last step by halves.
func gallop(l []int32, p int32) int {
	hi := 1
	for hi < len(l) && l[hi-1] < p {
		hi *= 2
	}
	lo := hi / 2
	hi = min(hi, len(l))
	j, _ := slices.BinarySearch(l[lo:hi], p)
	return lo + j
}

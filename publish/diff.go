package publish

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/qiancun/qiancun"
)

// Ref names one side of a diff: a publication's id, or Live. It is written as the id, or
// "live".
type Ref int64

// Live is the live data as a side of a diff.
const Live Ref = 0

func (r Ref) String() string {
	if r == Live {
		return "live"
	}
	return strconv.FormatInt(int64(r), 10)
}

// MarshalJSON writes the id, or "live".
func (r Ref) MarshalJSON() ([]byte, error) {
	if r == Live {
		return []byte(`"live"`), nil
	}
	return []byte(strconv.FormatInt(int64(r), 10)), nil
}

// Standing is a member's total, rank and grade on one side.
type Standing struct {
	Total string `json:"total"`
	Rank  int    `json:"rank"`
	Grade string `json:"grade"`
}

// Change is a member whose total, rank or grade differs.
type Change struct {
	Key    string   `json:"key"`
	Name   string   `json:"name"`
	Before Standing `json:"before"`
	After  Standing `json:"after"`
}

// Entry is a member on one side only.
type Entry struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Standing
}

// SubmissionDiff lists the submissions used on one side only.
type SubmissionDiff struct {
	Added   []qiancun.UsedSubmission `json:"added"`
	Removed []qiancun.UsedSubmission `json:"removed"`
}

// Diff is what changed between two sides: members whose total, rank or grade changed (in
// the order of the later side), who entered or left, and which submissions differ.
type Diff struct {
	From        Ref             `json:"from"`
	To          Ref             `json:"to"`
	Force       qiancun.Force   `json:"force"`
	Period      string          `json:"period"`
	KeyKind     qiancun.KeyKind `json:"-"`
	Changed     []Change        `json:"changed"`
	Entered     []Entry         `json:"entered"`
	Left        []Entry         `json:"left"`
	Submissions SubmissionDiff  `json:"submissions"`
}

// Masked returns a copy of d with every key masked (for anyone but an administrator).
func (d *Diff) Masked() *Diff {
	out := *d
	out.Changed = append([]Change{}, d.Changed...)
	out.Entered = append([]Entry{}, d.Entered...)
	out.Left = append([]Entry{}, d.Left...)
	for i := range out.Changed {
		out.Changed[i].Key = qiancun.MaskKey(d.KeyKind, out.Changed[i].Key)
	}
	for i := range out.Entered {
		out.Entered[i].Key = qiancun.MaskKey(d.KeyKind, out.Entered[i].Key)
	}
	for i := range out.Left {
		out.Left[i].Key = qiancun.MaskKey(d.KeyKind, out.Left[i].Key)
	}
	return &out
}

var _ json.Marshaler = Live

// Diff compares publication from with publication to, or with the live data of the same
// force and period when to is Live.
func (s *Service) Diff(ctx context.Context, from int64, to Ref) (*Diff, error) {
	a, err := s.Get(ctx, from)
	if err != nil {
		return nil, err
	}
	var bMembers []qiancun.Member
	var bSubs []qiancun.UsedSubmission
	if to == Live {
		r, err := s.eng.Rank(ctx, a.Force, a.Period)
		if err != nil {
			return nil, err
		}
		per, _ := qiancun.ParsePeriod(a.Period)
		if bSubs, err = s.st.UsedSubmissions(ctx, string(a.Force), per.MonthStrings()); err != nil {
			return nil, err
		}
		bMembers = r.Members
	} else {
		b, err := s.Get(ctx, int64(to))
		if err != nil {
			return nil, err
		}
		if b.Force != a.Force || b.Period != a.Period {
			return nil, qiancun.Refusef("发布 #%d（%s %s）与 #%d（%s %s）不是同一力量和考核期，无法比较", a.ID, a.Force, a.Period, b.ID, b.Force, b.Period)
		}
		bMembers, bSubs = b.Members, b.Submissions
	}
	d := compare(a.Members, bMembers, a.Submissions, bSubs)
	d.From, d.To, d.Force, d.Period, d.KeyKind = Ref(from), to, a.Force, a.Period, a.KeyKind
	return d, nil
}

// compare diffs two rankings and their submissions.
func compare(before, after []qiancun.Member, sa, sb []qiancun.UsedSubmission) *Diff {
	d := &Diff{Changed: []Change{}, Entered: []Entry{}, Left: []Entry{},
		Submissions: SubmissionDiff{Added: []qiancun.UsedSubmission{}, Removed: []qiancun.UsedSubmission{}}}
	st := func(m *qiancun.Member) Standing {
		return Standing{qiancun.Hundredths(m.ScoreHundredths), m.Rank, m.Grade}
	}
	old := make(map[string]*qiancun.Member, len(before))
	for i := range before {
		old[before[i].Key] = &before[i]
	}
	seen := make(map[string]bool, len(after))
	for i := range after {
		m := &after[i]
		seen[m.Key] = true
		o, ok := old[m.Key]
		if !ok {
			d.Entered = append(d.Entered, Entry{m.Key, m.Name, st(m)})
			continue
		}
		if b, a := st(o), st(m); b != a {
			d.Changed = append(d.Changed, Change{Key: m.Key, Name: m.Name, Before: b, After: a})
		}
	}
	for i := range before {
		if !seen[before[i].Key] {
			d.Left = append(d.Left, Entry{before[i].Key, before[i].Name, st(&before[i])})
		}
	}
	ina := map[int64]bool{}
	for _, u := range sa {
		ina[u.ID] = true
	}
	inb := map[int64]bool{}
	for _, u := range sb {
		inb[u.ID] = true
		if !ina[u.ID] {
			d.Submissions.Added = append(d.Submissions.Added, u)
		}
	}
	for _, u := range sa {
		if !inb[u.ID] {
			d.Submissions.Removed = append(d.Submissions.Removed, u)
		}
	}
	return d
}

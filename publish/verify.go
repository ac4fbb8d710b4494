package publish

import (
	"context"
	"fmt"

	"github.com/qiancun/qiancun"
)

// Problem is the first thing verify found wrong: the publication, the member row (1-based
// position in rank order; 0 when the header, the row count or the chain link is wrong) and
// what is wrong.
type Problem struct {
	Publication int64  `json:"publication"`
	Row         int    `json:"row,omitempty"`
	Key         string `json:"key,omitempty"` // masked
	What        string `json:"what"`
}

func (p *Problem) Error() string {
	if p.Row > 0 {
		return fmt.Sprintf("publication %d, row %d (key %s): %s", p.Publication, p.Row, p.Key, p.What)
	}
	return fmt.Sprintf("publication %d: %s", p.Publication, p.What)
}

// Report is what verify checked, and the first problem, if any.
type Report struct {
	Publications int      `json:"publications"`
	Rows         int      `json:"rows"`
	Problem      *Problem `json:"problem,omitempty"`
}

// OK reports whether every hash and link held.
func (r *Report) OK() bool { return r.Problem == nil }

// Verify recomputes, for every publication in id order, each member row's hash, the
// publication's hash over its content, and the link to the previous publication of its
// force; it stops at the first that does not hold. An error is returned only when the
// database could not be read.
func (s *Service) Verify(ctx context.Context) (*Report, error) {
	ids, err := s.st.AllPublicationIDs(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	last := map[qiancun.Force]string{}
	for _, id := range ids {
		p, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		rep.Publications++
		if pr := checkContent(p); pr != nil {
			rep.Problem = pr
			return rep, nil
		}
		rep.Rows += len(p.Members)
		if p.PrevHash != last[p.Force] {
			rep.Problem = &Problem{Publication: id, What: fmt.Sprintf("chain broken: previous_hash %s, but the previous %s publication's hash is %q", short(p.PrevHash), p.Force, short(last[p.Force]))}
			return rep, nil
		}
		last[p.Force] = p.Hash
	}
	return rep, nil
}

// checkContent recomputes p's row hashes and hash.
func checkContent(p *qiancun.Publication) *Problem {
	rows := make([]string, len(p.Members))
	for i := range p.Members {
		m := &p.Members[i]
		rows[i] = RowHash(i+1, m)
		if i >= len(p.RowHashes) || rows[i] != p.RowHashes[i] {
			return &Problem{Publication: p.ID, Row: i + 1, Key: qiancun.MaskKey(p.KeyKind, m.Key),
				What: fmt.Sprintf("row edited: %s (rank %d, total %s) does not match its recorded hash", m.Name, m.Rank, m.Score)}
		}
	}
	if p.MemberCount != len(p.Members) {
		return &Problem{Publication: p.ID, What: fmt.Sprintf("%d member rows, but %d were published", len(p.Members), p.MemberCount)}
	}
	if h := Hash(p, rows); h != p.Hash {
		return &Problem{Publication: p.ID, What: fmt.Sprintf("content edited: hash is %s, recorded %s (header, indicators, submissions or row hashes changed)", short(h), short(p.Hash))}
	}
	return nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

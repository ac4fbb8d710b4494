package publish

import (
	"context"
	"fmt"
	"time"

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
// force, replays its state log, and then recomputes each publication's log chain (events,
// objections, answers); it stops at the first that does not hold. An error is returned only when the
// database could not be read.
func (s *Service) Verify(ctx context.Context) (*Report, error) {
	ids, err := s.st.AllPublicationIDs(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	last := map[qiancun.Force]string{}
	superseded := map[int64]bool{} // publications whose log says a correction superseded them
	corrected := map[int64]int64{} // publication a correction corrects → the correction
	hashes := map[int64]string{}   // publication → its hash, where its log chain starts
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
		if pr := s.checkLog(p); pr != nil {
			rep.Problem = pr
			return rep, nil
		}
		hashes[id] = p.Hash
		if p.State == qiancun.Superseded {
			superseded[p.ID] = true
		}
		if p.Corrects != 0 {
			corrected[p.Corrects] = p.ID
		}
	}
	for _, id := range ids { // a supersede in one log and a correction in another go together
		c, ok := corrected[id]
		switch {
		case superseded[id] && !ok:
			rep.Problem = &Problem{Publication: id, What: "log edited: it reads 已更正, but no correction names it"}
			return rep, nil
		case ok && !superseded[id]:
			rep.Problem = &Problem{Publication: c, What: fmt.Sprintf("log edited: it corrects publication %d, whose log does not say it was superseded", id)}
			return rep, nil
		}
	}
	for _, id := range ids { // last, so that a move breaking the rules is named as such
		chain, err := s.st.LogRows(ctx, id)
		if err != nil {
			return nil, err
		}
		if pr := checkChain(id, hashes[id], chain); pr != nil {
			rep.Problem = pr
			return rep, nil
		}
	}
	return rep, nil
}

// checkLog replays p's state log against the state machine: each move starts where the
// previous one ended and is one the rules allow, and a finalize comes once 公示 has ended.
// checkChain then catches any other edit of the log, its objections or their answers.
func (s *Service) checkLog(p *qiancun.Publication) *Problem {
	if len(p.Events) == 0 {
		return &Problem{Publication: p.ID, What: "log edited: the publication has no state log"}
	}
	var state qiancun.PublicationState
	for i, ev := range p.Events {
		to, ok := next(state, ev.Move)
		switch {
		case ev.From != state:
			return &Problem{Publication: p.ID, What: fmt.Sprintf("log edited: move %d (%s) starts from %q, but the publication was %q", i+1, ev.Move, ev.From, state)}
		case !ok || to != ev.To:
			return &Problem{Publication: p.ID, What: fmt.Sprintf("log edited: move %d, %s from %q to %q, is not a move the rules allow", i+1, ev.Move, ev.From, ev.To)}
		case i == 0 && (ev.Move == qiancun.MoveCorrect) != (p.Corrects != 0):
			return &Problem{Publication: p.ID, What: fmt.Sprintf("log edited: its first move is %s, but it corrects publication %d", ev.Move, p.Corrects)}
		case ev.Move == qiancun.MoveFinalize && ev.At.In(s.opts.Location).Format(time.DateOnly) < p.Until:
			return &Problem{Publication: p.ID, What: fmt.Sprintf("log edited: finalized on %s, before its 公示 ended (%s)", ev.At.In(s.opts.Location).Format(time.DateOnly), p.Until)}
		}
		state = to
	}
	return nil
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

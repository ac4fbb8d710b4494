package publish

import (
	"context"
	"fmt"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// The log chain (README.md, "The log chain"): a publication's state log, its objections
// and their answers are one hash chain, each row's hash over its canonical content
// (LogRowHash) and the previous row's hash, the first row's over the publication's hash.
// Every write below computes the new row's link in the transaction that writes it.

// head seals the rows of publication id's log chain that have no hash (written before
// migration 021) and returns the chain as it stands and the link's previous hash for the
// next row.
func head(ctx context.Context, tx *store.PubTx, id int64, pubHash string) ([]store.LogRow, string, error) {
	rows, err := tx.LogRows(ctx, id)
	if err != nil {
		return nil, "", err
	}
	prev := pubHash
	for i := range rows {
		r := &rows[i]
		if r.Hash == "" && r.Seq == i+1 {
			r.Hash = LogRowHash(id, *r, prev)
			if err := tx.Seal(ctx, id, *r, r.Hash); err != nil {
				return nil, "", err
			}
		}
		prev = r.Hash
	}
	return rows, prev, nil
}

// firstLink is the link of a new publication's first event.
func firstLink(p *qiancun.Publication, ev qiancun.PublicationEvent) string {
	return LogRowHash(p.ID, store.LogRow{Seq: 1, Kind: store.LogEvent, EventSeq: 1, Event: ev}, p.Hash)
}

// appendEvent appends ev to the state log of publication id (whose hash is pubHash),
// chained.
func appendEvent(ctx context.Context, tx *store.PubTx, id int64, pubHash string, ev qiancun.PublicationEvent) error {
	rows, prev, err := head(ctx, tx, id, pubHash)
	if err != nil {
		return err
	}
	events := 0
	for _, r := range rows {
		if r.Kind == store.LogEvent {
			events = max(events, r.EventSeq)
		}
	}
	r := store.LogRow{Seq: len(rows) + 1, Kind: store.LogEvent, EventSeq: events + 1, Event: ev}
	return tx.AppendEvent(ctx, id, ev, store.Link{Seq: r.Seq, Hash: LogRowHash(id, r, prev)})
}

// addObjection records o (with its id) in its publication's log, chained.
func addObjection(ctx context.Context, tx *store.PubTx, pubHash string, o *qiancun.Objection) error {
	rows, prev, err := head(ctx, tx, o.PublicationID, pubHash)
	if err != nil {
		return err
	}
	r := store.LogRow{Seq: len(rows) + 1, Kind: store.LogObjection, Objection: *o}
	return tx.AddObjection(ctx, o, store.Link{Seq: r.Seq, Hash: LogRowHash(o.PublicationID, r, prev)})
}

// resolve records the answer o carries in its publication's log, chained.
func resolve(ctx context.Context, tx *store.PubTx, pubHash string, o *qiancun.Objection) error {
	rows, prev, err := head(ctx, tx, o.PublicationID, pubHash)
	if err != nil {
		return err
	}
	r := store.LogRow{Seq: len(rows) + 1, Kind: store.LogResolution, Objection: *o}
	return tx.Resolve(ctx, o.ID, o.Resolution, o.ResolvedBy, *o.ResolvedAt, o.Note,
		store.Link{Seq: r.Seq, Hash: LogRowHash(o.PublicationID, r, prev)})
}

// SealLogs gives a chain hash to every log row written before migration 021 (rows with
// none), publication by publication, in one transaction each. The commands that write or
// verify publications (publish, publication, objection, serve) run it when they open the
// database; it does nothing once every row is sealed.
func (s *Service) SealLogs(ctx context.Context) error {
	ids, err := s.st.AllPublicationIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		rows, err := s.st.LogRows(ctx, id)
		if err != nil {
			return err
		}
		if !unsealed(rows) {
			continue
		}
		if err := s.write(ctx, func(tx *store.PubTx) error {
			p, err := tx.PublicationHeader(ctx, id)
			if err != nil {
				return err
			}
			_, _, err = head(ctx, tx, id, p.Hash)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func unsealed(rows []store.LogRow) bool {
	for _, r := range rows {
		if r.Hash == "" {
			return true
		}
	}
	return false
}

// checkChain recomputes publication id's log chain (starting from its hash pubHash): rows numbered 1, 2, ... with no gap,
// each hash over its content and the previous row's hash. It names the first bad row.
func checkChain(id int64, pubHash string, rows []store.LogRow) *Problem {
	prev := pubHash
	for i, r := range rows {
		switch {
		case r.Seq != i+1:
			return &Problem{Publication: id, What: fmt.Sprintf("log edited: %s is numbered %d in the log chain, expected %d (a row inserted or deleted by hand)", logName(r), r.Seq, i+1)}
		case r.Hash == "":
			return &Problem{Publication: id, What: fmt.Sprintf("log edited: %s has no chain hash", logName(r))}
		case LogRowHash(id, r, prev) != r.Hash:
			return &Problem{Publication: id, What: fmt.Sprintf("log edited: %s (log chain row %d) does not match its chain hash", logName(r), r.Seq)}
		}
		prev = r.Hash
	}
	return nil
}

// logName names a log row for verify's message.
func logName(r store.LogRow) string {
	switch r.Kind {
	case store.LogEvent:
		return fmt.Sprintf("event %d (%s by %s)", r.EventSeq, r.Event.Move, r.Event.By)
	case store.LogObjection:
		return fmt.Sprintf("objection %d", r.Objection.ID)
	default:
		return fmt.Sprintf("the answer to objection %d", r.Objection.ID)
	}
}

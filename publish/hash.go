package publish

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// canonicalRow is one frozen member row as hashed: the fields in this order, numbers as
// decimal text with two places, JSON without HTML escaping.
type canonicalRow struct {
	Position     int      `json:"position"`
	Key          string   `json:"key"`
	Name         string   `json:"name"`
	DistrictCode string   `json:"district_code"`
	District     string   `json:"district"`
	Months       int      `json:"months"`
	Values       []string `json:"values"`
	Points       []string `json:"points"`
	Total        string   `json:"total"`
	Rank         int      `json:"rank"`
	DistrictRank int      `json:"district_rank"`
	Grade        string   `json:"grade"`
	Vetoed       bool     `json:"vetoed"`
	VetoReason   string   `json:"veto_reason"`
	Missing      []string `json:"missing"`
}

// RowHash returns the hex SHA-256 of member m at position (1-based, rank order) in its
// canonical form.
func RowHash(position int, m *qiancun.Member) string {
	return sha(canonicalRow{
		Position: position, Key: m.Key, Name: m.Name, DistrictCode: m.DistrictCode, District: m.District,
		Months: m.Months, Values: texts(m.Values), Points: texts(m.PointValues), Total: qiancun.Hundredths(m.ScoreHundredths),
		Rank: m.Rank, DistrictRank: m.DistrictRank, Grade: m.Grade, Vetoed: m.Vetoed, VetoReason: m.VetoReason,
		Missing: nonNil(m.Missing),
	})
}

// canonicalHeader is a publication's frozen content as hashed: the header fields, the
// indicators, the submissions used, every member row's hash in rank order, and the
// previous publication's hash. Its JSON (field names and order) is what the chain's hashes
// were made from: never reorder or rename.
type canonicalHeader struct {
	frozenHeader
	Indicators  []canonicalIndicator     `json:"indicators"`
	Submissions []qiancun.UsedSubmission `json:"submissions"`
	Rows        []string                 `json:"rows"`
	PrevHash    string                   `json:"previous_hash"`
}

// frozenHeader is a publication's header fields as hashed and as a bundle's manifest
// writes them (embedded in both, so its fields are inlined in JSON in this order).
type frozenHeader struct {
	ID           int64           `json:"id"`
	Force        qiancun.Force   `json:"force"`
	Period       string          `json:"period"`
	Until        string          `json:"until"`
	CreatedAt    string          `json:"created_at"` // RFC 3339, UTC, microseconds
	CreatedBy    string          `json:"created_by"`
	Note         string          `json:"note"`
	Corrects     int64           `json:"corrects"`
	Reason       string          `json:"reason"`
	Program      string          `json:"program"`
	RulesVersion string          `json:"rules_version"`
	RulesText    string          `json:"rules_text"`
	RulesSHA256  string          `json:"rules_sha256"`
	PackSHA256   string          `json:"pack_sha256"`
	KeyKind      qiancun.KeyKind `json:"key_kind"`
	QuotaScope   string          `json:"quota_scope"`
	Months       []string        `json:"months"`
	Missing      []string        `json:"missing_months"`
}

func frozenOf(p *qiancun.Publication) frozenHeader {
	return frozenHeader{
		ID: p.ID, Force: p.Force, Period: p.Period, Until: p.Until, CreatedAt: stamp(p.CreatedAt),
		CreatedBy: p.CreatedBy, Note: p.Note, Corrects: p.Corrects, Reason: p.Reason, Program: p.Program,
		RulesVersion: p.RulesVersion, RulesText: p.RulesText, RulesSHA256: p.RulesSHA256, PackSHA256: p.PackSHA256,
		KeyKind: p.KeyKind, QuotaScope: p.QuotaScope, Months: nonNil(p.Months), Missing: nonNil(p.Missing),
	}
}

// Hash returns the hex SHA-256 of p's frozen content with rows, the row hashes in rank
// order (RowHash of each member), and p.PrevHash: the publication's link in its force's
// chain.
func Hash(p *qiancun.Publication, rows []string) string {
	return sha(canonicalHeader{
		frozenHeader: frozenOf(p), Indicators: indicators(p.Indicators),
		Submissions: p.Submissions, Rows: nonNil(rows), PrevHash: p.PrevHash,
	})
}

// canonicalIndicator is an indicator as hashed: the fields a publication stores, in this
// order.
type canonicalIndicator struct {
	Name              string `json:"name"`
	Weight            string `json:"weight"`
	BenchmarkRule     string `json:"benchmark_rule"`
	BenchmarkMode     string `json:"benchmark_mode"`
	Benchmark         string `json:"benchmark"`
	BenchmarkPosition int    `json:"benchmark_position"`
	BenchmarkFallback bool   `json:"benchmark_fallback"`
	Best              string `json:"best"`
	Money             bool   `json:"money"`
	Missing           int    `json:"missing"`
}

func indicators(ins []qiancun.IndicatorInfo) []canonicalIndicator {
	out := make([]canonicalIndicator, len(ins))
	for i, in := range ins {
		out[i] = canonicalIndicator{in.Name, in.Weight, in.BenchmarkRule, in.BenchmarkMode, in.Benchmark,
			in.BenchmarkPosition, in.BenchmarkFallback, in.Best, in.Money, in.Missing}
	}
	return out
}

// stamp is the canonical form of a time: UTC, RFC 3339 with microseconds (what the
// database keeps).
func stamp(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

func sha(v any) string {
	b, err := marshal(v)
	if err != nil {
		panic(err) // only strings, numbers and bools: cannot fail
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SHA256Text is the hex SHA-256 of s.
func SHA256Text(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func texts(vs []int64) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = qiancun.Hundredths(v)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// marshal is JSON without HTML escaping and without a final newline.
func marshal(v any) ([]byte, error) {
	var b jsonBuffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.b[:len(b.b)-1], nil
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

func parseStamp(s string) (time.Time, error) {
	return time.Parse("2006-01-02T15:04:05.000000Z", s)
}

// canonicalLogRow is one row of a publication's log chain as hashed (publish/README.md,
// "The log chain"): the fields in this order, those a kind does not use empty, times as
// stamp writes them, and the previous row's hash (the publication's hash for row 1).
type canonicalLogRow struct {
	Publication  int64  `json:"publication"`
	Seq          int    `json:"seq"`   // place in the chain, from 1
	Kind         string `json:"kind"`  // event, objection or resolution
	Event        int    `json:"event"` // an event's number in the state log; 0 otherwise
	Objection    int64  `json:"objection"`
	What         string `json:"what"` // an event's move, an answer's resolution
	From         string `json:"from"`
	To           string `json:"to"`
	MemberKey    string `json:"member_key"`
	MemberName   string `json:"member_name"`
	At           string `json:"at"`
	By           string `json:"by"`
	Text         string `json:"text"` // an event's or objection's reason, an answer's note
	PreviousHash string `json:"previous_hash"`
}

// LogRowHash returns the hex SHA-256 of row r of publication id's log chain, chained to
// prev: the hash of the row before it, or the publication's hash for the first row. It is
// the one definition of the log chain's canonical form.
func LogRowHash(id int64, r store.LogRow, prev string) string {
	c := canonicalLogRow{Publication: id, Seq: r.Seq, Kind: r.Kind, PreviousHash: prev}
	switch r.Kind {
	case store.LogEvent:
		ev := r.Event
		c.Event, c.What, c.From, c.To, c.At, c.By, c.Text = r.EventSeq, string(ev.Move), string(ev.From), string(ev.To), stamp(ev.At), ev.By, ev.Reason
	case store.LogObjection:
		o := r.Objection
		c.Objection, c.MemberKey, c.MemberName, c.At, c.By, c.Text = o.ID, o.MemberKey, o.MemberName, stamp(o.RaisedAt), o.RaisedBy, o.Reason
	case store.LogResolution:
		o := r.Objection
		c.Objection, c.What, c.By, c.Text = o.ID, string(o.Resolution), o.ResolvedBy, o.Note
		if o.ResolvedAt != nil {
			c.At = stamp(*o.ResolvedAt)
		}
	}
	return sha(c)
}

package qiancun

import (
	"encoding/json"
	"fmt"
	"time"
)

// PublicationState is where a publication stands. A publication's frozen content never
// changes; its state changes by appending a move to its log.
type PublicationState string

// The states of a publication (CONTRACT.md, "Publishing an appraisal").
const (
	// Notice (公示) is public notice: open for objections until the end date.
	Notice PublicationState = "公示"
	// Final (已发布) is the official result, set by an administrator after the window.
	Final PublicationState = "已发布"
	// Withdrawn (已撤回) is a publication withdrawn during 公示.
	Withdrawn PublicationState = "已撤回"
	// Superseded (已更正) is a final publication that a correction (更正) replaced; it stays
	// readable.
	Superseded PublicationState = "已更正"
)

// PublicationKind says what a publication is, as its workbook's title says it.
type PublicationKind string

// The kinds of a publication: a draft for notice, the final result, a correction.
const (
	KindNotice     PublicationKind = "公示稿"
	KindFinal      PublicationKind = "正式稿"
	KindCorrection PublicationKind = "更正稿"
)

// Move is a change of a publication's state.
type Move string

// The moves of the state machine.
const (
	MovePublish   Move = "publish"   // → 公示: a new publication
	MoveCorrect   Move = "correct"   // → 已发布: a correction, final at once
	MoveFinalize  Move = "finalize"  // 公示 → 已发布, once the end date has come
	MoveWithdraw  Move = "withdraw"  // 公示 → 已撤回
	MoveSupersede Move = "supersede" // 已发布 → 已更正, when a correction is published
)

// Publication is an appraisal result frozen for a force and an appraisal period: its
// header, its members in rank order and what they were computed from. Everything in it but
// State, SupersededBy and Events is covered by Hash.
type Publication struct {
	ID           int64              `json:"id"`
	Force        Force              `json:"force"`
	Period       string             `json:"period"`
	State        PublicationState   `json:"status"`
	Until        string             `json:"until"` // last day of 公示, YYYY-MM-DD
	CreatedAt    time.Time          `json:"created_at"`
	CreatedBy    string             `json:"created_by"`
	Note         string             `json:"note,omitempty"`
	Corrects     int64              `json:"corrects,omitempty"` // the final publication a correction supersedes
	Reason       string             `json:"reason,omitempty"`   // why a correction was made
	SupersededBy int64              `json:"superseded_by,omitempty"`
	Program      string             `json:"program_version"`
	RulesVersion string             `json:"rules_version"`
	RulesText    string             `json:"rules_text"`
	RulesSHA256  string             `json:"rules_sha256"`
	PackSHA256   string             `json:"pack_sha256"`
	KeyKind      KeyKind            `json:"key_kind"`
	QuotaScope   string             `json:"quota_scope"`
	Months       []string           `json:"months"`
	Missing      []string           `json:"missing_months"`
	Indicators   []IndicatorInfo    `json:"indicators"`
	Submissions  []UsedSubmission   `json:"submissions"`
	Members      []Member           `json:"-"` // in rank order
	RowHashes    []string           `json:"-"` // each member row's SHA-256, as stored
	MemberCount  int                `json:"members"`
	PrevHash     string             `json:"previous_hash"`
	Hash         string             `json:"hash"`
	Events       []PublicationEvent `json:"events,omitempty"`
}

// Kind returns the publication's kind: a correction is 更正稿 whatever its state, a final
// publication 正式稿, anything else 公示稿.
func (p *Publication) Kind() PublicationKind {
	switch {
	case p.Corrects != 0:
		return KindCorrection
	case p.State == Final || p.State == Superseded:
		return KindFinal
	}
	return KindNotice
}

// Ranking returns the publication's frozen ranking, in the form the engine gives a live
// one, its Rules read back from RulesText. The members are the publication's own: treat
// them as read-only.
func (p *Publication) Ranking() *Ranking {
	fi, _ := LookupForce(string(p.Force))
	return &Ranking{
		Force: p.Force, ForceName: fi.Name, Period: p.Period, Months: p.Months, MissingMonths: p.Missing,
		Rules:        ParseRulesText(p.RulesText),
		RulesVersion: p.RulesVersion, QuotaScope: p.QuotaScope, Indicators: p.Indicators, Members: p.Members,
		ComputedAt: p.CreatedAt, KeyKind: p.KeyKind,
	}
}

// RulesText is the text of the rules in force for force that a publication freezes: the
// rules version, the force and the force's rules, as indented JSON. ParseRulesText reads it
// back.
func RulesText(r *Rules, force Force) (string, error) {
	fr := r.Forces[force]
	if fr == nil {
		return "", fmt.Errorf("force %s has no rules", force)
	}
	b, err := json.MarshalIndent(rulesText{r.Version, force, fr}, "", "  ")
	return string(b), err
}

// ParseRulesText returns the force's rules from a RulesText, or nil when text is not one.
func ParseRulesText(text string) *ForceRules {
	var t rulesText
	if json.Unmarshal([]byte(text), &t) != nil {
		return nil
	}
	return t.Rules
}

type rulesText struct {
	Version string      `json:"version"`
	Force   Force       `json:"force"`
	Rules   *ForceRules `json:"rules"`
}

// UsedSubmission is a submission a publication was computed from.
type UsedSubmission struct {
	ID       int64  `json:"id"`
	Template string `json:"template"`
	Month    string `json:"month"`
	SHA256   string `json:"sha256"` // of the raw file
}

// PublicationEvent is one row of a publication's state log.
type PublicationEvent struct {
	Move   Move             `json:"move"`
	From   PublicationState `json:"from"`
	To     PublicationState `json:"to"`
	At     time.Time        `json:"at"`
	By     string           `json:"by"`
	Reason string           `json:"reason,omitempty"`
}

// Resolution is how an objection was answered.
type Resolution string

// The two answers to an objection.
const (
	Upheld    Resolution = "维持" // the published figure stands
	Corrected Resolution = "更正" // the figure will be corrected
)

// Objection (异议) is raised during 公示 against one member of a publication, and answered
// by an administrator.
type Objection struct {
	ID            int64      `json:"id"`
	PublicationID int64      `json:"publication_id"`
	MemberKey     string     `json:"member_key"` // mask it for anyone but an administrator
	MemberName    string     `json:"member_name"`
	RaisedBy      string     `json:"raised_by"`
	RaisedAt      time.Time  `json:"raised_at"`
	Reason        string     `json:"reason"`
	Resolution    Resolution `json:"resolution,omitempty"` // "" while open
	ResolvedBy    string     `json:"resolved_by,omitempty"`
	ResolvedAt    *time.Time `json:"resolved_at,omitempty"`
	Note          string     `json:"note,omitempty"`
}

// Open reports whether the objection awaits an answer.
func (o *Objection) Open() bool { return o.Resolution == "" }

// PublicationError is a refusal of the publication rules: a move the state does not allow,
// a finalize before the end date, an objection outside 公示. Message is for the user, in
// Chinese.
type PublicationError struct {
	Message string
}

func (e *PublicationError) Error() string { return e.Message }

// Refusef makes a PublicationError.
func Refusef(format string, a ...any) error {
	return &PublicationError{Message: fmt.Sprintf(format, a...)}
}

// AddWorkingDays returns the day n working days (Monday to Friday) after day, at midnight
// in day's location. Holidays are not known: an administrator gives --until for them.
func AddWorkingDays(day time.Time, n int) time.Time {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, day.Location())
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d
}

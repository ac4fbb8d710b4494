package qiancun

import "time"

// Rule is the code of a problem found in a submitted file, as the contract names them.
type Rule string

// The contract's rule codes, plus the warnings that do not block a submission.
const (
	MissingColumn  Rule = "missing_column"
	MissingValue   Rule = "missing_value"
	BadNumber      Rule = "bad_number"
	BadInteger     Rule = "bad_integer"
	OutOfRange     Rule = "out_of_range"
	BadID          Rule = "bad_id"
	BadUSCC        Rule = "bad_uscc"
	BadCode        Rule = "bad_code"
	UnknownVillage Rule = "unknown_village"
	UnknownTown    Rule = "unknown_town"
	BadChoice      Rule = "bad_choice"
	DuplicateKey   Rule = "duplicate_key"
	BadPeriod      Rule = "bad_period"
	BadDate        Rule = "bad_date"
	NoData         Rule = "no_data"
	// BadEncoding is a cell of a CSV with bytes that are not text in the file's encoding
	// (an invalid GBK sequence, a stray byte in UTF-8). It is an error: the value is not
	// what was typed. The rest of the file is read as usual.
	BadEncoding Rule = "bad_encoding"
	// BadFile is a file the program cannot read at all: not a spreadsheet, truncated,
	// encrypted, too large when unpacked.
	BadFile Rule = "bad_file"
	// UnknownTemplate is a file whose headers match no template.
	UnknownTemplate Rule = "unknown_template"

	// Warnings.
	SkippedRow    Rule = "skipped_row"    // a totals row or a footer line left out
	ExtraColumn   Rule = "extra_column"   // a column no template declares
	UnitConverted Rule = "unit_converted" // money given in 万元 or with a unit in the cell
	// NotStored says that the file was checked but not kept: over the size limit, or
	// rejected while its uploader's rejected files exceed their storage quota.
	NotStored Rule = "not_stored"
)

// Severity says whether an Issue blocks its row.
type Severity string

// The two severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Issue is one problem in a submitted file. Cell is in A1 form; for a CSV the same letters
// and numbers are used. Value is as found, masked when it is a 身份证号.
type Issue struct {
	Sheet    string   `json:"sheet"`
	Cell     string   `json:"cell"`
	Column   string   `json:"column"`
	Value    string   `json:"value"`
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Status is what became of a submission.
type Status string

// The four statuses of a receipt.
const (
	Accepted  Status = "accepted"
	Rejected  Status = "rejected"
	Unchanged Status = "unchanged"
	Partial   Status = "partial" // valid rows accepted, bad rows quarantined
)

// Receipt is what a department gets back for one file.
type Receipt struct {
	SubmissionID int64     `json:"submission_id,omitempty"`
	File         string    `json:"file"`
	SHA256       string    `json:"sha256"`
	Template     string    `json:"template"`
	Period       string    `json:"period"`
	Status       Status    `json:"status"`
	Rows         int       `json:"rows"`        // data rows found
	Accepted     int       `json:"accepted"`    // rows that reach the KPIs
	Quarantined  int       `json:"quarantined"` // bad rows kept aside with --accept-valid
	Replaces     int64     `json:"replaces,omitempty"`
	Sheet        string    `json:"sheet,omitempty"`
	ReceivedAt   time.Time `json:"received_at"`
	Issues       []Issue   `json:"issues"`
	// Omitted counts, per rule and severity, the issues found beyond what a receipt keeps
	// (MaxIssuesPerRule of one rule, MaxIssues in all): they are counted, not listed.
	Omitted []Omitted `json:"omitted,omitempty"`
}

// Omitted is how many issues of one rule and severity a receipt counted without listing.
type Omitted struct {
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	Count    int      `json:"count"`
}

// The most issues a receipt lists: of one rule, and in all. A file of a million duplicate
// rows gets a receipt of a thousand examples and the count of the rest, not a receipt larger
// than the file.
const (
	MaxIssuesPerRule = 1000
	MaxIssues        = 5000
)

// Add appends an issue, its value and message masked (MaskText: anything shaped like a 身份证号 in what
// a department typed), unless the receipt already lists MaxIssuesPerRule of its rule or
// MaxIssues in all: then it is only counted in Omitted. An issue of the whole file (no
// cell: no period, an unreadable file) is always listed: there are few, and they say why
// nothing was accepted.
func (r *Receipt) Add(is Issue) {
	is.Value, is.Message = MaskText(is.Value), MaskText(is.Message)
	if is.Cell != "" && (len(r.Issues) >= MaxIssues || r.full(is.Rule)) {
		r.omit(is.Rule, is.Severity, 1)
		return
	}
	r.Issues = append(r.Issues, is)
}

// full reports whether the receipt lists MaxIssuesPerRule issues of rule already. Once it
// does, an Omitted entry of the rule says so, so that a million issues of one rule cost a
// short scan each; the issues are counted only while fewer than MaxIssues are listed.
func (r *Receipt) full(rule Rule) bool {
	for _, o := range r.Omitted {
		if o.Rule == rule {
			return true
		}
	}
	if len(r.Issues) < MaxIssuesPerRule {
		return false
	}
	n := 0
	for i := range r.Issues {
		if r.Issues[i].Rule == rule {
			n++
		}
	}
	return n >= MaxIssuesPerRule
}

func (r *Receipt) omit(rule Rule, sev Severity, n int) {
	for i := range r.Omitted {
		if o := &r.Omitted[i]; o.Rule == rule && o.Severity == sev {
			o.Count += n
			return
		}
	}
	r.Omitted = append(r.Omitted, Omitted{Rule: rule, Severity: sev, Count: n})
}

// Seal applies what Add does to issues that were appended directly: every value masked,
// and the issues past the limits moved to Omitted, in order. Call it once the receipt is
// complete; it is idempotent.
func (r *Receipt) Seal() {
	kept := r.Issues[:0]
	per := map[Rule]int{}
	for _, is := range r.Issues {
		is.Value, is.Message = MaskText(is.Value), MaskText(is.Message)
		if is.Cell != "" && (len(kept) >= MaxIssues || per[is.Rule] >= MaxIssuesPerRule) {
			r.omit(is.Rule, is.Severity, 1)
			continue
		}
		per[is.Rule]++
		kept = append(kept, is)
	}
	clear(r.Issues[len(kept):])
	r.Issues = kept
}

// Errors counts the issues of severity Error, those only counted in Omitted included.
func (r *Receipt) Errors() int {
	n := 0
	for _, is := range r.Issues {
		if is.Severity == Error {
			n++
		}
	}
	for _, o := range r.Omitted {
		if o.Severity == Error {
			n += o.Count
		}
	}
	return n
}

// Warnings counts the issues of severity Warning, those only counted in Omitted included.
func (r *Receipt) Warnings() int {
	n := 0
	for _, is := range r.Issues {
		if is.Severity != Error {
			n++
		}
	}
	for _, o := range r.Omitted {
		if o.Severity != Error {
			n += o.Count
		}
	}
	return n
}

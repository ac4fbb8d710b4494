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
	// BadFile is a file the program cannot read at all: not a spreadsheet, truncated,
	// encrypted, too large when unpacked.
	BadFile Rule = "bad_file"
	// UnknownTemplate is a file whose headers match no template.
	UnknownTemplate Rule = "unknown_template"

	// Warnings.
	SkippedRow    Rule = "skipped_row"    // a totals row or a footer line left out
	ExtraColumn   Rule = "extra_column"   // a column no template declares
	UnitConverted Rule = "unit_converted" // money given in 万元 or with a unit in the cell
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
}

// Errors counts the issues of severity Error.
func (r *Receipt) Errors() int {
	n := 0
	for _, is := range r.Issues {
		if is.Severity == Error {
			n++
		}
	}
	return n
}

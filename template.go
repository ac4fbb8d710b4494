package qiancun

import (
	"context"
	"encoding/json"
	"errors"
	"io"
)

// TemplateKind says how a template's submissions relate to periods, and what the store
// makes of them: the registry's rows are the assisted villages, the ledger's the projects,
// a monthly template's the members of its force.
type TemplateKind string

// The three kinds of template.
const (
	KindMonthly  TemplateKind = "monthly"  // one month a file; replaces the same (template, month)
	KindRegistry TemplateKind = "registry" // the village registry; no period, replaced whole
	KindLedger   TemplateKind = "ledger"   // the projects ledger; replaced whole
)

// ColumnType is the type of a template column; ingest/templates/templates.toml documents
// each.
type ColumnType string

// The column types.
const (
	ColText     ColumnType = "text"
	ColID       ColumnType = "id"
	ColUSCC     ColumnType = "uscc"
	ColCode     ColumnType = "code"
	ColVillage  ColumnType = "village"
	ColTown     ColumnType = "town"
	ColDistrict ColumnType = "district"
	ColInteger  ColumnType = "integer"
	ColMoney    ColumnType = "money"
	ColChoice   ColumnType = "choice"
	ColDate     ColumnType = "date"
)

// ColumnRole marks the columns that the store needs by meaning rather than by header.
type ColumnRole string

// The roles a column may play.
const (
	RoleKey      ColumnRole = "key"
	RoleName     ColumnRole = "name"
	RoleVillages ColumnRole = "villages"
	RoleTown     ColumnRole = "town"
)

// Column is one column of a template.
type Column struct {
	Header   string     `toml:"header"`
	Aliases  []string   `toml:"aliases"`
	Type     ColumnType `toml:"type"`
	Required bool       `toml:"required"`
	Role     ColumnRole `toml:"role"`
	Multi    bool       `toml:"multi"`
	Choices  []string   `toml:"choices"`
	Min      *float64   `toml:"min"`
	Max      *float64   `toml:"max"`
}

// Numeric reports whether the column holds a number (an indicator).
func (c *Column) Numeric() bool { return c.Type == ColInteger || c.Type == ColMoney }

// Template is one form of the data contract. The ingest package loads templates from
// their declaration; the store records each submission's template slug and kind.
type Template struct {
	Slug    string       `toml:"slug"`
	Title   string       `toml:"title"`
	Kind    TemplateKind `toml:"kind"`
	Force   Force        `toml:"force"`
	Columns []Column     `toml:"column"`
	// Source is the file that declares the template, for messages (set when it is loaded).
	Source string `toml:"-" json:"-"`
}

// Column returns the column with the standard header h, or nil.
func (t *Template) Column(h string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Header == h {
			return &t.Columns[i]
		}
	}
	return nil
}

// RoleColumn returns the column playing role r, or nil.
func (t *Template) RoleColumn(r ColumnRole) *Column {
	for i := range t.Columns {
		if t.Columns[i].Role == r {
			return &t.Columns[i]
		}
	}
	return nil
}

// Indicators returns the standard headers of the numeric columns, in template order.
func (t *Template) Indicators() []string {
	var out []string
	for _, c := range t.Columns {
		if c.Numeric() {
			out = append(out, c.Header)
		}
	}
	return out
}

// Fact is one valid data row of a submission.
type Fact struct {
	Row      int // the 1-based sheet row
	Key      string
	Name     string
	Villages []string
	Town     string
	// Values holds each numeric column in template order (Template.Indicators), in
	// hundredths: fen for money, the count × 100 for integers, so one DECIMAL(18,2) column
	// holds both exactly.
	Values []int64
	// Attrs holds the other columns by standard header, as text (dates as YYYY-MM-DD): a
	// JSON object of strings, or nil for none. It is what encoding/json makes of a
	// map[string]string (keys sorted), written without one: a map per row cost more than
	// the rest of the row.
	Attrs json.RawMessage
}

// Quarantined is a bad row set aside under --accept-valid, kept cell by cell.
type Quarantined struct {
	Row   int
	Cells []string
}

// An Upload is a file as received: Size bytes, read with ReadAt. A *bytes.Reader is one, and
// so is an *io.SectionReader over an open file, which the readers and the store read in
// pieces rather than whole.
type Upload interface {
	io.ReaderAt
	Size() int64
}

// Submission is one file's outcome, ready to be stored.
type Submission struct {
	Receipt     *Receipt
	Template    *Template // nil for a file whose template is unknown
	File        Upload    // the file as received
	Uploader    string
	Quarantined []Quarantined
}

// Registry is what validation needs to know of the assisted villages. The store builds it
// from the current village registry.
type Registry interface {
	// Village reports whether code is an assisted village.
	Village(code string) bool
	// Town reports whether the 9-digit code is a town with at least one assisted village.
	Town(code string) bool
	// Size is the number of assisted villages; 0 until a registry is submitted.
	Size() int
}

// Tx is a submission being written. Add may be called from another goroutine than the one
// that opened it, but calls to one Tx never overlap.
type Tx interface {
	// Add appends valid rows.
	Add(facts []Fact) error
	// Commit finishes the submission: with status accepted or partial its facts count from
	// now on; with status rejected the rows added are dropped and the rest is kept. It sets
	// the receipt's SubmissionID and Replaces. It returns an error wrapping ErrConflict,
	// having rolled back, when a concurrent submission of the same (template, period)
	// committed first: the caller may start again.
	Commit(ctx context.Context, s *Submission) error
	// Rollback drops everything; after Commit it does nothing.
	Rollback() error
}

// ErrConflict says that a submission lost a race with another of the same (template,
// period) and was rolled back; starting it again applies it after the winner.
var ErrConflict = errors.New("a concurrent submission of the same template and period committed first")

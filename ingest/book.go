package ingest

// A Book is an opened spreadsheet: one or more sheets, each read row by row. Readers for
// .xlsx, .xls and .csv satisfy it; a CSV is a book of one sheet named after the file.
//
// A Book is used by one goroutine at a time. Close releases what it holds.
type Book interface {
	// Sheets lists the sheets in workbook order, hidden ones included.
	Sheets() []SheetInfo
	// Rows iterates the rows of the named sheet, top to bottom.
	Rows(sheet string) (Rows, error)
	Close() error
}

// SheetInfo names a sheet and says whether it is hidden.
type SheetInfo struct {
	Name   string
	Hidden bool
	// Rows is the sheet's row count when the reader knows it cheaply (for progress), else 0.
	Rows int
}

// Rows iterates a sheet. Blank rows may be skipped, but Num always gives the row's real
// 1-based number in the sheet, so that a receipt can name the cell.
type Rows interface {
	// Next advances to the next row; it returns false at the end or on an error.
	Next() bool
	// Num is the current row's 1-based number.
	Num() int
	// Cells are the current row's values as text, index 0 being column A. For a number
	// cell it is the stored value in plain decimal notation (an Excel date is its serial
	// number), for a formula its cached value. The slice is valid until the next call of
	// Next.
	Cells() []string
	// Numeric reports whether cell j (0 for column A) of the current row was stored as a
	// number rather than text: an .xlsx cell without a string type, an .xls NUMBER, RK or
	// MULRK record (or a formula's number), a CSV value in scientific notation. A
	// 身份证号 or 统一社会信用代码 in such a cell has lost its last digits.
	Numeric(j int) bool
	Err() error
	Close() error
}

// Limits bound what a reader will take from one file, so that a hostile or broken file
// (a zip bomb, a huge sheet) fails with a clear error instead of exhausting the machine.
//
// The .xlsx limits are checked part by part before any reader unpacks the package (see
// zip.go): a worksheet may take up to MaxUnpackedBytes, the shared strings, the styles and
// the small parts their own limits, and media are never unpacked.
type Limits struct {
	MaxFileBytes          int64 // the file as uploaded
	MaxUnpackedBytes      int64 // an .xlsx unpacked, all parts kept; an .xls stream
	MaxSharedStringsBytes int64 // an .xlsx's shared-string table unpacked
	MaxStylesBytes        int64 // an .xlsx's styles unpacked
	MaxPartBytes          int64 // any other part an .xlsx reader reads (workbook, relationships)
	MaxRows               int   // rows in one sheet, blank ones included
	MaxColumns            int   // cells in one row
	// TempDir is where a reader unpacks a large sheet; empty is the system's. A service
	// gives a directory it owns, and sweeps it at start (SweepTemp), so that a process
	// killed mid-ingest leaves nothing behind for long.
	TempDir string
}

// DefaultLimits are generous for any real departmental file: a sheet of two million rows of
// a template's width is under 512 MB unpacked.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:          200 << 20,
		MaxUnpackedBytes:      512 << 20,
		MaxSharedStringsBytes: 64 << 20,
		MaxStylesBytes:        16 << 20,
		MaxPartBytes:          8 << 20,
		MaxRows:               2_000_000,
		MaxColumns:            512,
	}
}

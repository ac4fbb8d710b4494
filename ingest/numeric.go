package ingest

// numericRows is a Rows that knows which cells of its current row the file stored as
// numbers rather than text: an .xlsx cell without a string type (a fast reader knows it;
// excelize's stream only by the exponent form writers give a number of more than 15
// digits), an .xls NUMBER, RK or MULRK record, a CSV value in scientific notation.
//
// It matters for identifiers: a 身份证号 or 统一社会信用代码 held in a number cell has lost
// its last digits (a double keeps 15 or so), even when what is left happens to pass the
// check character. A reader that cannot tell leaves it unimplemented; its cells count as
// text.
type numericRows interface {
	// Numeric reports whether cell j (0 for column A) of the current row was a number.
	Numeric(j int) bool
}

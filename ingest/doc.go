// Package ingest reads departmental spreadsheets (.xlsx, legacy .xls, .csv in UTF-8 or GBK)
// as real offices fill them in, recognises their template from the headers, validates every
// cell against the data contract and hands the valid facts to a Sink, with a receipt that
// names every bad cell.
//
// It owns the readers, the templates (templates/templates.toml, overridable with a
// directory), header and value parsing, and the rules of a submission up to the sink. It does
// not import the store, nor the store it: the types they share (Template, Fact, Submission,
// Registry, Tx) are the root package's, aliased here, and the store satisfies Sink.
//
// What real files bring, and what becomes of it:
//
//   - A totals row: a cell, in any column, that is 合计, 小计 or 总计 (总合计, 累计) as the whole
//     cell, or after a district's name, a level or a choice of the template (历城区小计,
//     市级小计), in a row with no member key. Skipped with a skipped_row warning at the label,
//     whether its numbers are formulas or values. A member whose name or unit merely holds
//     those characters has a key, and is read.
//   - A 报告期 column: the month most of its rows give is the column's; each cell that gives
//     another is bad_period there, with its value. Like every bad_period, it rejects the
//     file even under AcceptValid.
//   - A 身份证号 or 统一社会信用代码 in a number cell (readers say which cells were numbers:
//     Rows.Numeric) has lost its last digits: bad_id / bad_uscc at that cell, whatever its
//     check character says, with a message to format the column as text and type the
//     numbers again. A 村代码 in a number cell is read as its digits.
//   - Two submissions of one (template, period) committed at once: the store lets one
//     commit and rolls the other back with qiancun.ErrConflict; Ingest then reads that file
//     again and applies it after the winner (or, being the same file, changes nothing).
package ingest

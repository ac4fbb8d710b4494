// Package reports writes the service's Excel workbooks to an io.Writer: the appraisal
// workbook of a force for a period (汇总, 排名, 指标说明, 数据来源), the coverage workbook of a
// period (汇总, 帮扶村), and the receipt workbook that hands a department its own file back with
// every bad cell marked (问题清单 first).
//
// It consumes the domain types of the root package and the small input structs it declares
// (AppraisalInput, CoverageInput, ReceiptInput); it does not import ingest, queries or store.
// The conversion from those packages' types lives in package reportdata.
//
// Large sheets are written with excelize's StreamWriter, so a workbook of 200,000 members is
// never held whole in memory, and the finished zip is written straight to the io.Writer.
// Text that came from an upload is always written as a string cell, never as a formula.
//
// The Write functions are safe for concurrent use: each builds its own workbook.
package reports

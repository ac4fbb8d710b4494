// Package ingest reads departmental spreadsheets (.xlsx, legacy .xls, .csv in UTF-8 or GBK)
// as real offices fill them in, recognises their template from the headers, validates every
// cell against the data contract and hands the valid facts to a Sink, with a receipt that
// names every bad cell.
//
// It owns the readers, the templates (templates/templates.toml, overridable with a
// directory), header and value parsing, and the rules of a submission up to the sink. It does
// not import the store: the store satisfies Sink.
package ingest

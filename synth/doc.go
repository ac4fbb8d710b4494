// Package synth writes synthetic departmental spreadsheets for the 万人下乡、千村提升 project:
// the village registry, one file per force per month and the industrial-projects ledger, as
// the departments would send them. It backs `qiancun gen`, the demo data and the ingest
// benchmarks.
//
// Everything is deterministic for a seed: the same Options write byte-identical files. The
// demo scale reproduces the published figures of the data contract exactly (2,429 villages,
// 2,383 first secretaries, 28,000 万元 of coordinated funds, ...). With Messy set the files
// look the way real offices fill them in (title rows, merged two-row headers, totals rows,
// numbers as text with units, GBK CSV) yet carry the very same facts as the clean files.
//
// The package knows the contract's templates only as far as it writes them; it does not
// import package ingest, so that the ingest tests can use it without a cycle.
package synth

// Package queries owns the query packs (folders of SQL with a manifest, embedded and
// overridable with --packs DIR) and the appraisal engine: scores against each indicator's
// benchmark (max, pNN or target:X), ranks, district ranks, the veto and grades under the
// rules in rules.toml (overridable with --rules FILE, checked against the templates), with
// scorecards that trace every value to the rows it came from. Results are cached per
// (pack, parameters) until the data changes.
//
// It reads the database through database/sql only; it does not import the store or the
// DuckDB driver.
package queries

package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

// engineFlags are the flags of every command that runs the engine.
type engineFlags struct {
	db, packs, rules, templates *string
}

func addEngineFlags(fs interface {
	String(name, value, usage string) *string
}) engineFlags {
	return engineFlags{
		db:        fs.String("db", "", "database file (required)"),
		packs:     fs.String("packs", "", "directory of query packs that override or add to the built-in ones"),
		rules:     fs.String("rules", "", "appraisal rules file (TOML) instead of the built-in default rules"),
		templates: fs.String("templates", "", "directory of templates that override or add to the built-in ones (the rules are checked against them)"),
	}
}

// open opens the store and builds the engine on it.
func (f engineFlags) open(ctx context.Context) (*store.Store, *queries.Engine, error) {
	if *f.db == "" {
		return nil, nil, errUsage("--db is required")
	}
	packs, err := queries.LoadPacks(*f.packs)
	if err != nil {
		return nil, nil, errUsage(err.Error())
	}
	ts, err := ingest.LoadTemplates(*f.templates)
	if err != nil {
		return nil, nil, errUsage(err.Error())
	}
	rules, err := queries.LoadRules(*f.rules, ts.ForceIndicators())
	if err != nil {
		return nil, nil, errUsage(err.Error())
	}
	st, err := store.Open(ctx, *f.db)
	if err != nil {
		return nil, nil, err
	}
	return st, queries.New(st, packs, rules), nil
}

// errUsage marks an error as the user's: exit status 2.
type errUsage string

func (e errUsage) Error() string { return string(e) }

func exitFor(err error) int {
	var u errUsage
	var pe *queries.ParamError
	if errors.As(err, &u) || errors.As(err, &pe) || errors.Is(err, queries.ErrUnknownPack) {
		return exitUsage
	}
	return exitRejected
}

func runRank(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "rank", "--db PATH (--force SLUG --period P | --publication ID) [--district CODE] [--unmasked] [--json]",
		`Prints a force's ranking for an appraisal period (YYYY-MM, YYYY-Qn or YYYY): rank, district
rank, key, name, district, score, grade, veto and each indicator's value. Keys (身份证号) are
masked unless --unmasked. With --publication, the frozen ranking of that publication, in
the same form.

Forces: first_secretary, enterprise, finance, law, postal, tech, culture.`)
	ef := addEngineFlags(fs)
	force := fs.String("force", "", "the force's slug")
	period := fs.String("period", "", "appraisal period: YYYY-MM, YYYY-Qn or YYYY")
	district := fs.String("district", "", "only this district (6-digit code, e.g. 370112)")
	unmasked := fs.Bool("unmasked", false, "show 身份证号 in full (administrators only)")
	asJSON := fs.Bool("json", false, "print JSON")
	publication := fs.Int64("publication", 0, "a publication's frozen ranking instead of the live one")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if *publication == 0 && (*force == "" || *period == "") {
		return fail(e, exitUsage, "rank: --force and --period are required (see --help)")
	}
	if *district != "" && qiancun.DistrictName(*district) == "" {
		return fail(e, exitUsage, "rank: --district %q is not one of Jinan's district codes", *district)
	}
	st, eng, err := ef.open(ctx)
	if err != nil {
		return fail(e, exitFor(err), "rank: %v", err)
	}
	defer st.Close()
	var r *qiancun.Ranking
	var pub *qiancun.Publication // the publication read, if any: its text output says so
	if *publication != 0 {
		p, err := publish.New(st, eng, publish.Options{Now: e.now}).Get(ctx, *publication)
		if err != nil {
			return pubFail(e, "rank", err)
		}
		if *force != "" && *force != string(p.Force) || *period != "" && *period != p.Period {
			return fail(e, exitUsage, "rank: publication %d is of %s %s", p.ID, p.Force, p.Period)
		}
		r, pub = p.Ranking(), p
	} else if r, err = eng.Rank(ctx, qiancun.Force(*force), *period); err != nil {
		return fail(e, exitFor(err), "rank: %v", err)
	}
	page := r.Select(qiancun.Filter{District: *district})
	members := page.Members
	if !*unmasked {
		for i := range members {
			members[i].Key = qiancun.MaskKey(r.KeyKind, members[i].Key)
			members[i].Name = qiancun.MaskText(members[i].Name)
		}
	}
	if *asJSON {
		return writeJSON(e, members)
	}
	if len(r.MissingMonths) > 0 {
		fmt.Fprintf(e.stderr, "note: no accepted %s submission for %s; those months count as missing, not zero\n",
			r.Force, strings.Join(r.MissingMonths, ", "))
	}
	for _, in := range r.Indicators {
		if in.Missing > 0 {
			fmt.Fprintf(e.stderr, "note: %d members have no %s value in a month they were present in (a submission made before the template had it); their points count what there is, and --json lists it under missing\n",
				in.Missing, in.Name)
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "%s %s · rules %s · %d members\n", r.ForceName, r.Period, r.RulesVersion, page.Total)
	if pub != nil { // a frozen ranking says which, and in what state: a withdrawn one is no result
		fmt.Fprintf(tw, "publication %d · %s（%s）· 公示至 %s · hash %s\n", pub.ID, pub.State, pub.Kind(), orDash(pub.Until), pub.Hash)
	}
	// How each indicator's points were given: weight × min(1, value / benchmark).
	bench := make([]string, len(r.Indicators))
	for i, in := range r.Indicators {
		bench[i] = fmt.Sprintf("%s: weight %s, %s = %s", in.Name, in.Weight, in.BenchmarkRule, in.Benchmark)
		if in.BenchmarkFallback {
			bench[i] += " (max: the percentile was ≤ 0)"
		}
	}
	fmt.Fprintf(tw, "benchmarks: %s\n", strings.Join(bench, "; "))
	head := []string{"rank", "district_rank", "key", "name", "district", "score", "grade", "vetoed"}
	for _, in := range r.Indicators {
		head = append(head, in.Name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, m := range members {
		cells := []string{fmt.Sprint(m.Rank), fmt.Sprint(m.DistrictRank), m.Key, m.Name, m.District, m.Score, m.Grade, fmt.Sprint(m.Vetoed)}
		for i := range r.Indicators {
			cells = append(cells, qiancun.Hundredths(m.Values[i]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	return exitOK
}

func runQuery(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "query", "--db PATH PACK [--param k=v ...] [--json|--csv] [--unmasked]",
		`Runs a query pack and prints its result. 'qiancun query --list' lists the packs, their
parameters and columns. 身份证号 in the result are masked unless --unmasked.`)
	ef := addEngineFlags(fs)
	var params paramFlags
	fs.Var(&params, "param", "a pack parameter as name=value (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV")
	list := fs.Bool("list", false, "list the packs and exit")
	unmasked := fs.Bool("unmasked", false, "show 身份证号 in full (administrators only)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	if *list {
		packs, err := queries.LoadPacks(*ef.packs)
		if err != nil {
			return fail(e, exitUsage, "%v", err)
		}
		for _, p := range packs.All() {
			fmt.Fprintf(e.stdout, "%s — %s\n", p.Name, p.Description)
			for _, pr := range p.Params {
				req := ""
				if pr.Required {
					req = ", required"
				}
				fmt.Fprintf(e.stdout, "    --param %s=<%s%s>  %s\n", pr.Name, pr.Type, req, pr.Description)
			}
		}
		return exitOK
	}
	if len(pos) != 1 {
		return fail(e, exitUsage, "query: name one pack (qiancun query --list shows them)")
	}
	st, eng, err := ef.open(ctx)
	if err != nil {
		return fail(e, exitFor(err), "query: %v", err)
	}
	defer st.Close()
	res, err := eng.Run(ctx, pos[0], params.m)
	if err != nil {
		return fail(e, exitFor(err), "query: %v", err)
	}
	if !*unmasked {
		maskIDCells(res.Rows)
	}
	switch {
	case *asJSON:
		return writeJSON(e, res)
	case *asCSV:
		return writeCSV(e.stdout, res)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	for _, row := range res.Rows {
		fmt.Fprintln(tw, strings.Join(cellTexts(row), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	return exitOK
}

// maskIDCells masks every 身份证号 in the text cells of rows (a pack's key column, whatever its
// name, or one typed into a name), with qiancun.MaskText, as rank and the API do for everyone
// but an administrator. Credit codes are public.
func maskIDCells(rows [][]any) {
	for _, row := range rows {
		for i, v := range row {
			if s, ok := v.(string); ok {
				row[i] = qiancun.MaskText(s)
			}
		}
	}
}

func cellTexts(row []any) []string {
	out := make([]string, len(row))
	for i, v := range row {
		switch x := v.(type) {
		case nil:
			out[i] = ""
		case []any:
			parts := make([]string, len(x))
			for j := range x {
				parts[j] = fmt.Sprint(x[j])
			}
			out[i] = strings.Join(parts, "、")
		default:
			out[i] = fmt.Sprint(x)
		}
	}
	return out
}

func writeCSV(w io.Writer, res *queries.Result) int {
	cw := csv.NewWriter(w)
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	_ = cw.Write(names)
	for _, row := range res.Rows {
		texts := cellTexts(row)
		for i, v := range row {
			switch v.(type) {
			case string, []any: // text a spreadsheet must not take for a formula
				texts[i] = qiancun.CSVSafe(texts[i])
			}
		}
		_ = cw.Write(texts)
	}
	cw.Flush()
	if cw.Error() != nil {
		return exitRejected
	}
	return exitOK
}

func writeJSON(e *env, v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	return exitOK
}

// paramFlags collects repeated --param name=value flags.
type paramFlags struct{ m map[string]string }

func (p *paramFlags) String() string { return "" }

func (p *paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[k] = v
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

func runDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "demo", "[--addr HOST:PORT] [--db PATH] [--messy] [--no-serve]",
		`Writes the demo data (the programme's published figures: 2,429 villages, 2,383 first
secretaries, ...) as departmental files, reads them through the real ingest pipeline into a
fresh database, and serves it (see 'qiancun serve --help').

Once it listens it prints, on standard output, "url http://HOST:PORT" and then one line per
role, "token ROLE TOKEN", with fresh random tokens: admin, uploader (市委组织部:
first_secretary and villages), evaluator, leader, leader:370112 (limited to 历城区) and
monitor. The receipts of the demo files go to standard error. With --no-serve it prints the
receipts on standard output and exits.`)
	db := fs.String("db", "", "database file to build (in memory when omitted); must not exist yet")
	messy := fs.Bool("messy", false, "use the messy variant of the demo files")
	noServe := fs.Bool("no-serve", false, "build the database, print the receipts and exit")
	sf := addServeFlags(fs, e)
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if *noServe {
		st, _, code := buildDemo(ctx, e, *db, *messy, e.stdout)
		if st == nil {
			return code
		}
		defer st.Close()
		return code
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	opt, err := sf.options(&serverConfig{}, set)
	if err != nil {
		return fail(e, exitUsage, "demo: %v", err)
	}
	type demoToken struct {
		label string
		tok   api.Token
	}
	roles := []demoToken{
		{"admin", api.Token{Name: "demo admin", Role: api.RoleAdmin}},
		{"uploader", api.Token{Name: "demo 市委组织部", Role: api.RoleUploader, Templates: []string{"first_secretary", "villages"}}},
		{"evaluator", api.Token{Name: "demo evaluator", Role: api.RoleEvaluator}},
		{"leader", api.Token{Name: "demo leader", Role: api.RoleLeader}},
		{"leader:370112", api.Token{Name: "demo leader 历城区", Role: api.RoleLeader, District: "370112"}},
		{"monitor", api.Token{Name: "demo monitor", Role: api.RoleMonitor}},
	}
	plain := make([]string, len(roles))
	for i := range roles {
		if plain[i], roles[i].tok.Hash, err = api.NewToken(); err != nil {
			return fail(e, exitRejected, "%v", err)
		}
		opt.api.Tokens = append(opt.api.Tokens, roles[i].tok)
	}
	opt.announce = func(w io.Writer) {
		for i, r := range roles {
			fmt.Fprintf(w, "token %s %s\n", r.label, plain[i])
		}
	}
	st, in, code := buildDemo(ctx, e, *db, *messy, e.stderr)
	if st == nil {
		return code
	}
	return serve(ctx, e, st, in.Templates(), opt)
}

// buildDemo generates the demo files into a temporary directory and ingests them into a
// new database at path (in memory when empty). It prints one line per file to out.
func buildDemo(ctx context.Context, e *env, path string, messy bool, out io.Writer) (*store.Store, *ingest.Ingester, int) {
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			return nil, nil, fail(e, exitUsage, "demo: %s exists; the demo builds a fresh database (remove it, or pick another path)", path)
		}
	}
	dir, err := os.MkdirTemp("", "qiancun-demo-")
	if err != nil {
		return nil, nil, fail(e, exitRejected, "%v", err)
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(e.stderr, "writing the demo files...")
	sum, err := synth.Generate(ctx, dir, synth.Options{Scale: synth.Demo, Seed: 1, Messy: messy})
	if err != nil {
		return nil, nil, fail(e, exitRejected, "demo: %v", err)
	}
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		return nil, nil, fail(e, exitRejected, "%v", err)
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, fail(e, exitRejected, "%v", err)
	}
	in := ingest.New(ts, st, ingest.DefaultLimits())
	files := slices.Clone(sum.Files)
	for i, f := range files {
		if !filepath.IsAbs(f) {
			files[i] = filepath.Join(dir, f)
		}
	}
	fmt.Fprintf(e.stderr, "ingesting %d files...\n", len(files))
	receipts, failed := ingestFiles(ctx, e, in, files, ingest.Options{Uploader: "demo"}, false)
	for _, rc := range receipts {
		fmt.Fprintf(out, "%-9s %-16s %-7s %6d rows  %s\n", rc.Status, rc.Template, orDash(rc.Period), rc.Accepted, rc.File)
		if rc.Status == qiancun.Rejected {
			printReceipt(e.stderr, rc)
		}
	}
	if failed {
		st.Close()
		return nil, nil, fail(e, exitRejected, "demo: a demo file was rejected (a bug: the demo data must ingest cleanly)")
	}
	return st, in, exitOK
}

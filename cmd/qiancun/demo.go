package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

func runDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "demo", "[--db PATH] [--messy]",
		`Writes the demo data (the programme's published figures: 2,429 villages, 2,383 first
secretaries, ...) as departmental files, reads them through the real ingest pipeline into a
fresh database, and prints the receipts.`)
	db := fs.String("db", "", "database file to build (in memory when omitted); must not exist yet")
	messy := fs.Bool("messy", false, "use the messy variant of the demo files")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	st, _, code := buildDemo(ctx, e, *db, *messy)
	if st == nil {
		return code
	}
	defer st.Close()
	return code
}

// buildDemo generates the demo files into a temporary directory and ingests them into a
// new database at path (in memory when empty). It prints one line per file.
func buildDemo(ctx context.Context, e *env, path string, messy bool) (*store.Store, *ingest.Ingester, int) {
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
		fmt.Fprintf(e.stdout, "%-9s %-16s %-7s %6d rows  %s\n", rc.Status, rc.Template, orDash(rc.Period), rc.Accepted, rc.File)
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

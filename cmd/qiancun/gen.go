package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/synth"
)

func runGen(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "gen", "--out DIR [--scale demo|city|national] [--months 2024-04,2024-05,2024-06] [--seed N] [--messy]",
		`Writes departmental files as the departments would send them: the village registry, the
seven monthly templates for each month, and the projects ledger. --scale demo reproduces the
programme's published figures exactly; national is for benchmarks (about 500,000 villages).`)
	out := fs.String("out", "", "directory to write into (created if missing)")
	scale := fs.String("scale", "demo", "demo, city or national")
	months := fs.String("months", "2024-04,2024-05,2024-06", "comma-separated months, YYYY-MM")
	seed := fs.Int64("seed", 1, "random seed; the same seed writes the same files")
	messy := fs.Bool("messy", false, "write files the way real offices fill them in: title rows, merged headers, totals rows, GBK CSV...")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if *out == "" {
		return fail(e, exitUsage, "gen: --out is required")
	}
	opt, err := genOptions(*scale, *months, *seed, *messy)
	if err != nil {
		return fail(e, exitUsage, "gen: %v", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	opt.Progress = func(file string) { fmt.Fprintf(e.stderr, "wrote %s\n", file) }
	sum, err := synth.Generate(ctx, *out, opt)
	if err != nil {
		return fail(e, exitRejected, "gen: %v", err)
	}
	fmt.Fprintf(e.stdout, "%d files in %s: %d villages, %d towns, %d projects, first-secretary funds %s 元\n",
		len(sum.Files), *out, sum.Villages, sum.Towns, sum.Projects, qiancun.Hundredths(sum.FundsFen))
	for _, f := range qiancun.Forces() {
		fmt.Fprintf(e.stdout, "  %-16s %s %d\n", f.Slug, f.Name, sum.Members[f.Slug])
	}
	return exitOK
}

func genOptions(scale, months string, seed int64, messy bool) (synth.Options, error) {
	opt := synth.Options{Seed: seed, Messy: messy}
	var err error
	if opt.Scale, err = synth.ParseScale(scale); err != nil {
		return opt, fmt.Errorf("--scale: %w", err)
	}
	for _, m := range strings.Split(months, ",") {
		mo, err := qiancun.ParseMonth(m)
		if err != nil {
			return opt, fmt.Errorf("--months: %w", err)
		}
		opt.Months = append(opt.Months, mo)
	}
	return opt, nil
}

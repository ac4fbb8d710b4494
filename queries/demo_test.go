package queries_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

// demoData is the demo data set, generated and ingested once for the package's tests.
type demoData struct {
	dir   string // the generated files
	st    *store.Store
	packs *queries.Packs
	eng   *queries.Engine
	err   error
}

var (
	demoOnce sync.Once
	demoSet  demoData
)

// demo returns the demo database, built on first use through the real pipeline: synth
// writes the files, ingest reads them, the default templates and rules appraise them.
func demo(t *testing.T) *demoData {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the whole demo database")
	}
	demoOnce.Do(func() { demoSet = buildDemo() })
	if demoSet.err != nil {
		t.Fatal(demoSet.err)
	}
	return &demoSet
}

func buildDemo() demoData {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "qiancun-demo-")
	if err != nil {
		return demoData{err: err}
	}
	d := demoData{dir: dir}
	sum, err := synth.Generate(ctx, dir, synth.Options{Scale: synth.Demo, Seed: 1})
	if err != nil {
		return demoData{err: err}
	}
	if d.st, err = store.Open(ctx, filepath.Join(dir, "demo.db")); err != nil {
		return demoData{err: err}
	}
	ts, _ := ingest.LoadTemplates("")
	in := ingest.New(ts, d.st, ingest.DefaultLimits())
	files := sum.Files
	// The registry first.
	for i, f := range files {
		if filepath.Base(f) == "帮扶村名册.xlsx" {
			files[0], files[i] = files[i], files[0]
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return demoData{err: err}
		}
		rc, err := in.Ingest(ctx, f, data, ingest.Options{})
		if err != nil || rc.Status != qiancun.Accepted {
			return demoData{err: fmt.Errorf("%s: %v %+v", f, err, rc)}
		}
	}
	d.packs, _ = queries.LoadPacks("")
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		return demoData{err: err}
	}
	d.eng = queries.New(d.st, d.packs, rules)
	return d
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoSet.st != nil {
		demoSet.st.Close()
		os.RemoveAll(demoSet.dir)
	}
	os.Exit(code)
}

// TestDemoFigures ingests the demo data through the real pipeline, runs every pack on it
// and checks the programme's published figures.
func TestDemoFigures(t *testing.T) {
	t.Parallel()
	d := demo(t)
	ctx := context.Background()
	eng, packs := d.eng, d.packs

	p, err := eng.Progress(ctx, "2024-Q2")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"villages": "2429", "villages_reached": "2429",
		"members:first_secretary": "2383", "members:enterprise": "1625", "members:law": "388",
		"members:postal": "190", "members:culture": "100",
		"funds_yuan": "280000000.00", "projects": "1430",
	}
	got := map[string]string{}
	for _, l := range p.City {
		got[l.Metric] = l.Actual
		if w, ok := want[l.Metric]; ok && l.Target != "" && l.Actual == w && l.Percent != "100.00" && l.Metric != "villages_reached" {
			t.Errorf("%s: %s of %s is %s%%, want 100.00", l.Metric, l.Actual, l.Target, l.Percent)
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}

	// Every pack runs on the demo data.
	params := map[string]map[string]string{
		"villages": {"period": "2024-Q2"}, "village_districts": {"period": "2024-Q2"},
		"progress": {"period": "2024-Q2"}, "projects": {}, "project_list": {},
		"months_received": {"period": "2024-Q2"},
	}
	for _, fi := range qiancun.Forces() {
		r, err := eng.Rank(ctx, fi.Slug, "2024-Q2")
		if err != nil {
			t.Errorf("rank %s: %v", fi.Slug, err)
			continue
		}
		if n := got["members:"+string(fi.Slug)]; n != "" && n != itoa(len(r.Members)) {
			t.Errorf("%s: cohort %d, members %s", fi.Slug, len(r.Members), n)
		}
		if len(r.MissingMonths) != 0 {
			t.Errorf("%s: missing months %v", fi.Slug, r.MissingMonths)
		}
		if fi.Slug == qiancun.FirstSecretary {
			m := r.Members[0]
			if _, err := eng.Scorecard(ctx, fi.Slug, "2024-Q2", m.Key); err != nil {
				t.Errorf("scorecard: %v", err)
			}
		}
	}
	for _, pk := range packs.All() {
		switch pk.Name {
		case "member_sources", "appraisal":
		default:
			res, err := eng.Run(ctx, pk.Name, params[pk.Name])
			if err != nil {
				t.Errorf("pack %s: %v", pk.Name, err)
			} else if len(res.Rows) == 0 {
				t.Errorf("pack %s: no rows on the demo data", pk.Name)
			}
		}
	}
	res, err := eng.Run(ctx, "project_list", nil)
	if err != nil || len(res.Rows) != 1430 {
		t.Errorf("project_list: %v, %d rows, want 1430", err, len(res.Rows))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestDemoGradeBands checks that the demo grades like a real appraisal under the default
// rules, for every force, in the quarter and in a month: 称职 the largest group; 15–20%
// 优秀; 基本称职 a minority (at most a quarter); few 不称职 beyond the vetoed (at most 5%).
func TestDemoGradeBands(t *testing.T) {
	t.Parallel()
	d := demo(t)
	var rs []*qiancun.Ranking
	for _, p := range []string{"2024-Q2", "2024-05"} {
		x, err := d.eng.RankAll(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, x...)
	}
	for _, r := range rs {
		n := len(r.Members)
		count := map[string]int{}
		vetoed := 0
		for _, m := range r.Members {
			count[m.Grade]++
			if m.Vetoed {
				vetoed++
			}
		}
		pct := func(g string) float64 { return 100 * float64(count[g]) / float64(n) }
		t.Logf("%s %-15s n=%4d 优秀 %5.1f%% 称职 %5.1f%% 基本称职 %5.1f%% 不称职 %5.1f%% (vetoed %d)", r.Period, r.Force, n,
			pct(qiancun.GradeExcellent), pct(qiancun.GradeCompetent), pct(qiancun.GradeBasic), pct(qiancun.GradeIncompetent), vetoed)
		for _, g := range []string{qiancun.GradeExcellent, qiancun.GradeBasic, qiancun.GradeIncompetent} {
			if count[g] >= count[qiancun.GradeCompetent] {
				t.Errorf("%s: %d %s, not fewer than the %d 称职", r.Period+" "+string(r.Force), count[g], g, count[qiancun.GradeCompetent])
			}
		}
		if p := pct(qiancun.GradeExcellent); p < 15 || p > 20 {
			t.Errorf("%s %s: %.1f%% 优秀, want 15–20%%", r.Period, r.Force, p)
		}
		if p := pct(qiancun.GradeBasic); p > 25 {
			t.Errorf("%s %s: %.1f%% 基本称职, want a minority (≤ 25%%)", r.Period, r.Force, p)
		}
		if p := 100 * float64(count[qiancun.GradeIncompetent]-vetoed) / float64(n); p > 5 {
			t.Errorf("%s %s: %.1f%% 不称职 beyond the vetoed, want few (≤ 5%%)", r.Period, r.Force, p)
		}
	}
}

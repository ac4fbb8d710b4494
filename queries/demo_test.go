package queries_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

// TestDemoFigures ingests the demo data through the real pipeline, runs every pack on it
// and checks the programme's published figures.
func TestDemoFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole demo database")
	}
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	sum, err := synth.Generate(ctx, dir, synth.Options{Scale: synth.Demo, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, _ := ingest.LoadTemplates("")
	in := ingest.New(ts, st, ingest.DefaultLimits())
	files := sum.Files
	// The registry first.
	for i, f := range files {
		if filepath.Base(f) == "帮扶村名册.xlsx" {
			files[0], files[i] = files[i], files[0]
		}
	}
	for _, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := in.Ingest(ctx, f, data, ingest.Options{})
		if err != nil || rc.Status != qiancun.Accepted {
			t.Fatalf("%s: %v %+v", f, err, rc)
		}
	}
	packs, _ := queries.LoadPacks("")
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		t.Fatal(err)
	}
	eng := queries.New(st, packs, rules)

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

package publish_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

// demoService is the demo data set (2,383 first secretaries, three months) in a database
// file, with a publication service over it.
func demoService(b *testing.B) (*store.Store, *queries.Engine, *publish.Service) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	sum, err := synth.Generate(ctx, filepath.Join(dir, "files"), synth.Options{Scale: synth.Demo, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "q.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ts, _ := ingest.LoadTemplates("")
	in := ingest.New(ts, st, ingest.DefaultLimits())
	files := append([]string{}, sum.Files...)
	sort.SliceStable(files, func(i, j int) bool { return filepath.Base(files[i]) == "帮扶村名册.xlsx" })
	for _, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, "files", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Ingest(ctx, filepath.Base(f), data, ingest.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	packs, _ := queries.LoadPacks("")
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		b.Fatal(err)
	}
	eng := queries.New(st, packs, rules)
	return st, eng, publish.New(st, eng, publish.Options{})
}

// BenchmarkPublish publishes (and withdraws) the first secretaries' 2024-Q2 ranking; its
// floor, BenchmarkPublishFloorRank, is the live ranking computed on a snapshot without the
// cache: what a publication must compute anyway. The difference is freezing, hashing and
// writing the rows.
func BenchmarkPublish(b *testing.B) {
	ctx := context.Background()
	_, _, svc := demoService(b)
	b.ResetTimer()
	for b.Loop() {
		p, err := svc.Publish(ctx, publish.Request{Force: qiancun.FirstSecretary, Period: "2024-Q2"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Withdraw(ctx, p.ID, "bench", "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublishFloorRank(b *testing.B) {
	ctx := context.Background()
	st, eng, _ := demoService(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := eng.RankOn(ctx, st.DB(), qiancun.FirstSecretary, "2024-Q2"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify verifies one demo-scale publication (2,383 rows).
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	_, _, svc := demoService(b)
	if _, err := svc.Publish(ctx, publish.Request{Force: qiancun.FirstSecretary, Period: "2024-Q2"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := svc.Verify(ctx)
		if err != nil || !rep.OK() {
			b.Fatal(rep, err)
		}
	}
}

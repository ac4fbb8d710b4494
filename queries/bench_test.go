package queries_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

// nationalDB returns a database of `gen --scale national` data for 2024-Q2, built once and
// kept in $QIANCUN_BENCH_DIR (default: the system temp dir), since building it takes
// minutes.
func nationalDB(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("QIANCUN_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "qiancun-bench-national")
	}
	// The database's name carries the schema it was built with: a new migration means a new
	// build.
	path := filepath.Join(dir, "national-"+schemaVersion(b)+".db")
	if _, err := os.Stat(path + ".complete"); err == nil {
		return path
	}
	ctx := context.Background()
	files := filepath.Join(dir, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		b.Fatal(err)
	}
	var sum synth.Summary
	var err error
	if _, err := os.Stat(filepath.Join(files, "complete")); err != nil {
		b.Logf("generating national data into %s (once)", files)
		if sum, err = synth.Generate(ctx, files, synth.Options{Scale: synth.National, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(files, "complete"), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	} else {
		ents, _ := os.ReadDir(files)
		for _, e := range ents {
			if filepath.Ext(e.Name()) == ".xlsx" || filepath.Ext(e.Name()) == ".csv" {
				sum.Files = append(sum.Files, e.Name())
			}
		}
	}
	os.Remove(path)
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	ts, _ := ingest.LoadTemplates("")
	in := ingest.New(ts, st, ingest.DefaultLimits())
	names := sum.Files
	for i, f := range names {
		if filepath.Base(f) == "帮扶村名册.xlsx" {
			names[0], names[i] = names[i], names[0]
		}
	}
	for _, f := range names {
		if !filepath.IsAbs(f) {
			f = filepath.Join(files, f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		rc, err := in.Ingest(ctx, f, data, ingest.Options{})
		if err != nil || rc.Status != qiancun.Accepted {
			b.Fatalf("%s: %v %v", f, err, rc.Status)
		}
		b.Logf("ingested %s: %d rows", filepath.Base(f), rc.Accepted)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path+".complete", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func openNational(b *testing.B) (*store.Store, *queries.Packs, *qiancun.Rules) {

	path := nationalDB(b)
	st, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	packs, _ := queries.LoadPacks("")
	ts, _ := ingest.LoadTemplates("")
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		b.Fatal(err)
	}
	return st, packs, rules
}

// BenchmarkAppraiseNational ranks all seven forces for a quarter over national-scale data,
// with a cold cache each time (a new engine).
func BenchmarkAppraiseNational(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the national data set")
	}
	st, packs, rules := openNational(b)
	ctx := context.Background()
	members := 0
	var start, end syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &start)
	defer func() {
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &end)
		cpu := end.Utime.Nano() + end.Stime.Nano() - start.Utime.Nano() - start.Stime.Nano()
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	}()
	for b.Loop() {
		eng := queries.New(st, packs, rules)
		rs, err := eng.RankAll(ctx, "2024-Q2")
		if err != nil {
			b.Fatal(err)
		}
		members = 0
		for _, r := range rs {
			members += len(r.Members)
		}
	}
	b.ReportMetric(float64(members), "members")
}

// BenchmarkRankingPageCached serves a page of 50 from a cached national ranking.
func BenchmarkRankingPageCached(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the national data set")
	}
	st, packs, rules := openNational(b)
	ctx := context.Background()
	eng := queries.New(st, packs, rules)
	if _, err := eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := eng.Rank(ctx, qiancun.FirstSecretary, "2024-Q2")
		if err != nil {
			b.Fatal(err)
		}
		if p := r.Select(qiancun.Filter{Limit: 50, Offset: 1000}); len(p.Members) != 50 {
			b.Fatalf("page of %d", len(p.Members))
		}
	}
}

// schemaVersion names the store's schema: a hash of the DDL of a fresh in-memory store.
func schemaVersion(b *testing.B) string {
	st, err := store.Open(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var ddl string
	if err := st.DB().QueryRow(`SELECT string_agg(sql, ';' ORDER BY sql) FROM (
		SELECT sql FROM duckdb_tables() UNION ALL SELECT sql FROM duckdb_views() WHERE NOT internal)`).Scan(&ddl); err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256([]byte(ddl))
	return hex.EncodeToString(h[:4])
}

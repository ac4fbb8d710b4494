package web_test

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/metrics"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
	"github.com/qiancun/qiancun/web"
)

// benchServer is the API and the pages in process, over the demo's first secretaries of
// 2024-04 and 2024-05, with an evaluator's bearer token and session cookie.
func benchServer(b *testing.B) (h http.Handler, bearer string, cookie *http.Cookie) {
	b.Helper()
	gin.SetMode(gin.ReleaseMode)
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := synth.Generate(ctx, dir, synth.Options{Scale: synth.Demo, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		b.Fatal(err)
	}
	in := ingest.New(ts, st, ingest.DefaultLimits())
	for _, f := range []string{"帮扶村名册.xlsx", "第一书记工作情况表_2024-04.xlsx", "第一书记工作情况表_2024-05.xlsx"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Ingest(ctx, f, data, ingest.Options{Uploader: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	packs, err := queries.LoadPacks("")
	if err != nil {
		b.Fatal(err)
	}
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		b.Fatal(err)
	}
	eng := queries.New(st, packs, rules)
	tok := api.Token{Name: "bench", Role: api.RoleEvaluator, Hash: sha256.Sum256([]byte("tok-bench"))}
	srv, err := api.New(slog.New(slog.DiscardHandler), st, eng, ts, metrics.New(prometheus.NewRegistry()), api.Config{Tokens: []api.Token{tok}})
	if err != nil {
		b.Fatal(err)
	}
	sessions, err := auth.NewSessions(auth.SessionOptions{Key: []byte(strings.Repeat("k", 32))})
	if err != nil {
		b.Fatal(err)
	}
	pages, err := web.New(srv, web.Options{Sessions: sessions})
	if err != nil {
		b.Fatal(err)
	}
	srv.Mount(pages.Mount)
	sess, err := sessions.New(tok.Hash)
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(), "tok-bench", &http.Cookie{Name: "qc_session", Value: sessions.Encode(sess)}
}

// BenchmarkRankingPage serves the 排名 page (50 rows, the rank change, the grade chart's
// counts, rendered with html/template) beside BenchmarkRankingAPI, the API's JSON of the
// same 50 members: the cost of a page over the API's answer.
func BenchmarkRanking(b *testing.B) {
	h, bearer, cookie := benchServer(b)
	for _, bc := range []struct {
		name string
		req  func() *http.Request
	}{
		{"API", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/rankings/first_secretary?period=2024-05&limit=50", nil)
			r.Header.Set("Authorization", "Bearer "+bearer)
			return r
		}},
		{"Page", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/rankings/first_secretary?period=2024-05", nil)
			r.AddCookie(cookie)
			return r
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, bc.req()) // warm the engine's cache
			if w.Code != http.StatusOK {
				b.Fatalf("%d %.300s", w.Code, w.Body.String())
			}
			b.ReportAllocs()
			b.ResetTimer()
			// CPU time of the process (rusage) beside the wall clock: the machine is shared.
			var start, end syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &start)
			var n int
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, bc.req())
				n = w.Body.Len()
			}
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &end)
			cpu := end.Utime.Nano() + end.Stime.Nano() - start.Utime.Nano() - start.Stime.Nano()
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(n), "bytes/page")
		})
	}
}

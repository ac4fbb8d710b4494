package api_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/qiancun/qiancun/api"
)

// BenchmarkRankingPage serves GET /rankings/first_secretary?period=2024-Q2&limit=50 from
// the cache, as the load benchmark in bench/ does over the network; BenchmarkCeiling serves
// a fixed body of the same size through the same middleware.
func BenchmarkRankingPage(b *testing.B) {
	env := sharedEnv(b)
	h := env.srv.Handler()
	path := "/api/v1/rankings/first_secretary?period=2024-Q2&limit=50"
	serve := func() int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer tok-evaluator")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		return rec.Body.Len()
	}
	size := serve()
	b.Run("ranking", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve()
		}
	})
	b.Run("ceiling", func(b *testing.B) {
		ceil := newEnv(b, envOptions{config: api.Config{BenchCeiling: true}}).srv.Handler()
		req := "/bench/ceiling?bytes=" + strconv.Itoa(size)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			ceil.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, req, nil))
		}
	})
}

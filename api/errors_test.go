package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/metrics"
	"github.com/qiancun/qiancun/store"
)

// TestUnexpectedErrors checks that a failure the client cannot help is a 500 with a
// generic message, logged once with its cause, and a panic likewise.
func TestUnexpectedErrors(t *testing.T) {
	t.Parallel()
	t.Run("the database fails", func(t *testing.T) {
		t.Parallel()
		env := newEnv(t, envOptions{})
		env.st.Close()
		b := env.get(t, "/api/v1/forces", asAdmin, 500)
		e := errorOf(t, b)
		if e.Code != "internal" || strings.Contains(strings.ToLower(e.Message), "database") || strings.Contains(e.Message, "sql") {
			t.Errorf("error %+v: want a generic message", e)
		}
		log := env.logText()
		if n := strings.Count(log, `"msg":"request failed"`); n != 1 {
			t.Errorf("logged %d times, want once:\n%s", n, log)
		}
		if !strings.Contains(log, `"route":"/api/v1/forces"`) || !strings.Contains(log, "closed") {
			t.Errorf("the log lacks the route or the cause:\n%s", log)
		}
		env.run(t, scenario{path: "/readyz", want: 503, check: wantError("unavailable", "")})
	})
	t.Run("a handler panics", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		st, err := store.Open(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ts, _ := ingest.LoadTemplates("")
		var log bytes.Buffer
		// No engine: every handler that needs one panics on its nil pointer.
		srv, err := api.New(slog.New(slog.NewJSONHandler(&log, nil)), st, nil, ts, metrics.New(prometheus.NewRegistry()), api.Config{Tokens: testTokens()})
		if err != nil {
			t.Fatal(err)
		}
		env := &testEnv{st: st, srv: srv}
		env.run(t, scenario{path: "/api/v1/rankings/law?period=2024-Q2", as: asEval, want: 500, check: wantError("internal", "")})
		if n := strings.Count(log.String(), `"msg":"panic"`); n != 1 || !strings.Contains(log.String(), "goroutine") {
			t.Errorf("panic logged %d times (with its stack?):\n%.2000s", n, log.String())
		}
		env.get(t, "/healthz", asNone, 200)
	})
}

// TestLogsHoldNoSecrets checks that tokens and request bodies never reach the log.
func TestLogsHoldNoSecrets(t *testing.T) {
	env := sharedEnv(t)
	env.get(t, "/api/v1/forces", asEval, 200)
	env.get(t, "/api/v1/forces", asBad, 401)
	log := env.logText()
	for _, secret := range []string{"tok-", "Bearer", "Authorization"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	if !strings.Contains(log, `"route":"/api/v1/forces"`) || !strings.Contains(log, `"role":"evaluator"`) {
		t.Errorf("the access log lacks the route or the role:\n%.1000s", log)
	}
}

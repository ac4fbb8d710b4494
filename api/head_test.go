package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHead: HEAD is answered as GET without the body, on every GET route (nginx sends it to
// the replicas with GET, and monitors and link checkers ask it), not 405.
func TestHead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{files: []string{registryFile, "第一书记工作情况表_2024-05.xlsx"}})
	for _, path := range []string{"/healthz", "/api/v1/rankings/first_secretary?period=2024-05&limit=3"} {
		t.Run(path, func(t *testing.T) {
			do := func(method string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, path, nil)
				req.Header.Set("Authorization", "Bearer tok-"+asEval)
				rec := httptest.NewRecorder()
				e.srv.Handler().ServeHTTP(rec, req)
				return rec
			}
			get, head := do(http.MethodGet), do(http.MethodHead)
			if get.Code != http.StatusOK || get.Body.Len() == 0 {
				t.Fatalf("GET: %d, %d bytes", get.Code, get.Body.Len())
			}
			if head.Code != get.Code || head.Body.Len() != 0 {
				t.Errorf("HEAD: %d with %d bytes of body, want %d and none", head.Code, head.Body.Len(), get.Code)
			}
			if diff := cmp.Diff(get.Header().Get("Content-Type"), head.Header().Get("Content-Type")); diff != "" {
				t.Errorf("HEAD's Content-Type differs from GET's (-get +head):\n%s", diff)
			}
		})
	}
}

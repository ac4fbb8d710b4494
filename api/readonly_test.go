package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qiancun/qiancun/api"
)

// TestReadOnly: a read replica's server refuses every write, whoever asks, with 503 and a
// message naming the primary; it answers reads, and names its snapshot in the rankings.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	var writes int
	e := newEnv(t, envOptions{
		files:  []string{registryFile, "第一书记工作情况表_2024-05.xlsx"},
		config: api.Config{ReadOnly: true, Primary: "http://primary.example:8080", Snapshot: "20261201T080000.000000000Z", OnWrite: func() { writes++ }},
	})
	upload := multipartBody("第一书记工作情况表_2024-05.xlsx", readFile(t, demoFile(t, "第一书记工作情况表_2024-05.xlsx")), nil)
	for _, sc := range []scenario{
		{name: "upload as uploader", method: http.MethodPost, path: "/api/v1/submissions", as: asUploader, body: upload},
		{name: "upload as admin", method: http.MethodPost, path: "/api/v1/submissions", as: asAdmin, body: upload},
		{name: "upload without a token", method: http.MethodPost, path: "/api/v1/submissions", as: asNone, body: upload},
	} {
		t.Run(sc.name, func(t *testing.T) {
			sc.want = http.StatusServiceUnavailable
			sc.check = func(t *testing.T, body []byte) {
				b := decode[struct {
					Error struct{ Code, Message string }
				}](t, body)
				if b.Error.Code != "read_only" || !strings.Contains(b.Error.Message, "http://primary.example:8080") {
					t.Errorf("error %+v, want read_only naming the primary", b.Error)
				}
			}
			e.run(t, sc)
		})
	}
	// Other write methods on routes that only read are refused alike, before routing.
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/v1/submissions/1", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "primary.example") {
		t.Errorf("DELETE: %d %s", rec.Code, rec.Body.String())
	}
	if writes != 0 {
		t.Errorf("OnWrite called %d times for refused writes", writes)
	}

	b := decode[map[string]any](t, e.get(t, "/api/v1/rankings/first_secretary?period=2024-05&limit=1", asEval, http.StatusOK))
	if b["snapshot"] != "20261201T080000.000000000Z" {
		t.Errorf("ranking's snapshot field %v", b["snapshot"])
	}
	e.get(t, "/api/v1/submissions?limit=5", asAdmin, http.StatusOK)
}

// TestOnWrite: the primary's server tells OnWrite of an accepted upload, not of a read or
// of a refused upload, and its rankings carry no snapshot field.
func TestOnWrite(t *testing.T) {
	t.Parallel()
	var writes int
	e := newEnv(t, envOptions{files: []string{registryFile}, config: api.Config{OnWrite: func() { writes++ }}})
	f := "第一书记工作情况表_2024-05.xlsx"
	e.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asMonitor, want: http.StatusForbidden, body: multipartBody(f, readFile(t, demoFile(t, f)), nil)})
	if writes != 0 {
		t.Errorf("OnWrite after a refused upload: %d", writes)
	}
	e.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asUploader, want: http.StatusOK, body: multipartBody(f, readFile(t, demoFile(t, f)), nil)})
	b := decode[map[string]any](t, e.get(t, "/api/v1/rankings/first_secretary?period=2024-05&limit=1", asEval, http.StatusOK))
	if writes != 1 {
		t.Errorf("OnWrite after one accepted upload and a read: %d calls", writes)
	}
	if _, ok := b["snapshot"]; ok {
		t.Errorf("the primary's ranking names a snapshot: %v", b["snapshot"])
	}
}

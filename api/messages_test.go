package api_test

import (
	"net/http"
	"testing"
)

// TestErrorMessagesAreChinese: the messages users read in 401/403/404/405/409/400 answers
// are Chinese, the codes English.
func TestErrorMessagesAreChinese(t *testing.T) {
	t.Parallel()
	env := newEnv(t, envOptions{files: []string{registryFile}})
	for _, sc := range []scenario{
		{path: "/api/v1/publications", as: asNone, want: 401, check: wantError("unauthorized", "")},
		{path: "/api/v1/publications", as: asBad, want: 401, check: wantError("unauthorized", "")},
		{method: http.MethodPost, path: "/api/v1/publications", as: asLeader, want: 403, body: jsonBody(`{"force":"first_secretary","period":"2024-Q2"}`), check: wantError("forbidden", "")},
		{path: "/api/v1/publications/99", as: asAdmin, want: 404, check: wantError("not_found", "")},
		{method: http.MethodPost, path: "/api/v1/objections/999/resolve", as: asAdmin, want: 404, body: jsonBody(`{"resolution":"维持","note":"x"}`), check: wantError("not_found", "")},
		{path: "/api/v1/nothing", as: asAdmin, want: 404, check: wantError("not_found", "")},
		{path: "/api/v1/publications/x", as: asAdmin, want: 400, check: wantError("bad_parameter", "id")},
		{path: "/api/v1/rankings/first_secretary?period=2024-Q2&source=live", as: asLeader, want: 403, check: wantError("forbidden", "")},
		{method: http.MethodPost, path: "/api/v1/publications", as: asAdmin, want: 409, body: jsonBody(`{"force":"tech","period":"2023-01"}`), check: wantError("refused", "")},
	} {
		t.Run(sc.path, func(t *testing.T) { env.run(t, sc) })
	}
}

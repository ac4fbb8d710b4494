package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRouteRoles requests every route as every role, with no token and with a bad one,
// and checks the status: the access table of README.md. It publishes, objects and withdraws,
// so it has a demo database of its own rather than the shared one, which tests only read.
func TestRouteRoles(t *testing.T) {
	env := newEnv(t, envOptions{files: demoFiles()})
	// A first secretary of 历城区 and a village there, so that the district leader may see
	// them too.
	page := decode[struct {
		Members []struct{ ID string } `json:"members"`
	}](t, env.get(t, "/api/v1/rankings/first_secretary?period=2024-Q2&district=370112&limit=1", asAdmin, 200))
	memberID := page.Members[0].ID
	const village = "370112" // a village code of the district, found below
	vs := decode[struct {
		Villages []struct{ Code string } `json:"villages"`
	}](t, env.get(t, "/api/v1/villages?period=2024-05&district="+village+"&limit=1", asAdmin, 200))
	villageCode := vs.Villages[0].Code
	// A publication of the cultural advisors for April, which no other test reads.
	culture := decode[struct {
		Members []struct{ ID string } `json:"members"`
	}](t, env.get(t, "/api/v1/rankings/culture?period=2024-04&limit=1", asAdmin, 200))
	cultureMember := culture.Members[0].ID
	upload := multipartBody("第一书记工作情况表_2024-05.xlsx", readFile(t, demoFile(t, "第一书记工作情况表_2024-05.xlsx")), map[string]string{"dry_run": "true"})

	const (
		ok      = http.StatusOK
		created = http.StatusCreated
		refused = http.StatusConflict
		no      = http.StatusForbidden
		who     = http.StatusUnauthorized
	)
	admins := func(status int) []int { return []int{status, no, no, no, no, no, who, who} }
	analysts := func(status int) []int { return []int{status, no, status, no, no, no, who, who} }
	// Columns: admin, uploader, evaluator, leader, leader:370112, monitor, no token, bad token.
	readers := []int{ok, no, ok, ok, ok, no, who, who}
	public := []int{ok, ok, ok, ok, ok, ok, ok, ok}
	tests := []struct {
		route  string // METHOD pattern, as Server.Routes lists it
		path   string
		body   string // "upload", a JSON body, or ""
		status []int
	}{
		{"GET /healthz", "/healthz", "", public},
		{"GET /readyz", "/readyz", "", public},
		{"GET /api/v1/healthz", "/api/v1/healthz", "", public},
		{"GET /api/v1/readyz", "/api/v1/readyz", "", public},
		{"GET /api/v1/openapi.json", "/api/v1/openapi.json", "", public},
		{"GET /metrics", "/metrics", "", []int{ok, no, no, no, no, ok, who, who}},
		{"GET /api/v1/forces", "/api/v1/forces", "", readers},
		{"GET /api/v1/rankings/{force}", "/api/v1/rankings/first_secretary?period=2024-Q2", "", readers},
		{"GET /api/v1/members/{force}/{key}/scorecard", "/api/v1/members/first_secretary/" + memberID + "/scorecard?period=2024-Q2", "", readers},
		{"GET /api/v1/villages", "/api/v1/villages?period=2024-05", "", readers},
		{"GET /api/v1/villages/{code}", "/api/v1/villages/" + villageCode + "?period=2024-05", "", readers},
		{"GET /api/v1/progress", "/api/v1/progress?period=2024-Q2", "", readers},
		{"GET /api/v1/projects", "/api/v1/projects", "", []int{ok, no, ok, no, no, no, who, who}},
		{"GET /api/v1/reports/appraisal.xlsx", "/api/v1/reports/appraisal.xlsx?force=first_secretary&period=2024-Q2", "", readers},
		{"GET /api/v1/reports/coverage.xlsx", "/api/v1/reports/coverage.xlsx?period=2024-05", "", readers},
		// In order: publish, read, object, answer, then the moves the state refuses or allows.
		{"POST /api/v1/publications", "/api/v1/publications", `{"force":"culture","period":"2024-04"}`, admins(created)},
		{"GET /api/v1/publications", "/api/v1/publications?force=culture", "", readers},
		{"GET /api/v1/publications/{id}", "/api/v1/publications/1?limit=2", "", readers},
		{"GET /api/v1/publications/{id}/diff", "/api/v1/publications/1/diff?against=live", "", analysts(ok)},
		{"POST /api/v1/publications/{id}/objections", "/api/v1/publications/1/objections", `{"member":"` + cultureMember + `","reason":"活动场次少算"}`, analysts(created)},
		{"GET /api/v1/objections", "/api/v1/objections?publication=1", "", analysts(ok)},
		{"POST /api/v1/objections/{id}/resolve", "/api/v1/objections/1/resolve", `{"resolution":"维持","note":"核实无误"}`, admins(ok)},
		{"POST /api/v1/publications/{id}/finalize", "/api/v1/publications/1/finalize", "", admins(refused)},
		{"POST /api/v1/publications/{id}/withdraw", "/api/v1/publications/1/withdraw", `{"reason":"测试"}`, admins(ok)},
		{"POST /api/v1/publications/{id}/correct", "/api/v1/publications/1/correct", `{"reason":"测试"}`, admins(refused)},
		{"POST /api/v1/submissions", "/api/v1/submissions", "upload", []int{ok, ok, no, no, no, no, who, who}},
		{"GET /api/v1/submissions", "/api/v1/submissions", "", []int{ok, ok, ok, no, no, no, who, who}},
		{"GET /api/v1/submissions/{id}", "/api/v1/submissions/1", "", []int{ok, ok, ok, no, no, no, who, who}},
		{"GET /api/v1/submissions/{id}/receipt.xlsx", "/api/v1/submissions/1/receipt.xlsx", "", []int{ok, ok, ok, no, no, no, who, who}},
	}
	var covered []string
	for _, tt := range tests {
		covered = append(covered, tt.route)
		// The document's x-roles must say the same as the table.
		method, pattern, _ := strings.Cut(tt.route, " ")
		allowed := []string{}
		if !slices.Equal(tt.status, public) {
			for i, as := range []string{asAdmin, asUploader, asEval, asLeader, "", asMonitor} {
				if as != "" && tt.status[i] != no && tt.status[i] != who {
					allowed = append(allowed, as)
				}
			}
		}
		if got := doc.Paths[pattern][strings.ToLower(method)].Roles; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(allowed))) {
			t.Errorf("%s: openapi.json x-roles %v, the server allows %v", tt.route, got, allowed)
		}
		for i, as := range callers {
			name := tt.route + " as " + as
			if as == "" {
				name = tt.route + " without a token"
			}
			t.Run(name, func(t *testing.T) {
				sc := scenario{method: method, path: tt.path, as: as, want: tt.status[i]}
				switch tt.body {
				case "":
				case "upload":
					sc.body = upload
				default:
					sc.body = jsonBody(tt.body)
				}
				if sc.want == who || sc.want == no {
					code := "unauthorized"
					if sc.want == no {
						code = "forbidden"
					}
					sc.check = wantError(code, "")
				}
				env.run(t, sc)
			})
		}
	}
	routes := env.srv.Routes()
	sort.Strings(routes)
	sort.Strings(covered)
	if diff := cmp.Diff(routes, covered); diff != "" {
		t.Errorf("the table does not cover the server's routes (-routes +table):\n%s", diff)
	}
}

// TestOpenAPIRoutes checks that every route of the server is in the OpenAPI document and
// every documented operation is a route.
func TestOpenAPIRoutes(t *testing.T) {
	env := sharedEnv(t)
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	routes := env.srv.Routes()
	slices.Sort(routes)
	slices.Sort(documented)
	if diff := cmp.Diff(documented, routes); diff != "" {
		t.Errorf("routes and openapi.json differ (-documented +routes):\n%s", diff)
	}
	// Every operation's x-roles says who may call it; the route × role table checks
	// the server keeps to it, and this checks the document does.
	for p, ops := range doc.Paths {
		for m, op := range ops {
			if op.Roles == nil {
				t.Errorf("%s %s: no x-roles", m, p)
			}
		}
	}
	var raw map[string]any
	if err := json.Unmarshal(env.get(t, "/api/v1/openapi.json", asNone, 200), &raw); err != nil || raw["openapi"] == nil {
		t.Errorf("GET /api/v1/openapi.json is not the document: %v", err)
	}
}

// jsonBody is a request body of JSON text.
func jsonBody(s string) func() (io.Reader, string) {
	return func() (io.Reader, string) { return strings.NewReader(s), "application/json" }
}

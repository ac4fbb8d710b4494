package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
)

// TestConcurrentUploads posts several different files of the same (template, period) at
// once, over the upload path, with and without an earlier submission: every caller gets a
// receipt (never a 500), and exactly one submission is current, with one file's members.
func TestConcurrentUploads(t *testing.T) {
	t.Parallel()
	const n = 6
	env := newEnv(t, envOptions{files: []string{registryFile}, config: api.Config{MaxConcurrentUploads: n}})
	village := decode[struct {
		Villages []struct{ Code string } `json:"villages"`
	}](t, env.get(t, "/api/v1/villages?period=2024-05&limit=1", asAdmin, 200)).Villages[0].Code
	id1, id2 := qiancun.MakeID("37011219800101123"), qiancun.MakeID("37011219850202456")
	for _, period := range []string{"2024-05", "2024-06"} {
		if period == "2024-06" {
			// An earlier submission to replace.
			env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asAdmin, want: 200,
				body: multipartBody("earlier.xlsx", fsWorkbook(t, []any{"张三", id1, "市委组织部", village, 1, 1, 1, 1, 1, 1, 1}), map[string]string{"period": period})})
		}
		var wg sync.WaitGroup
		codes := make([]int, n)
		bodies := make([][]byte, n)
		for i := range n {
			data := fsWorkbook(t,
				[]any{"张三", id1, "市委组织部", village, 10 + i, 10, 1, 1, 1, 1, 1},
				[]any{"李四", id2, "市委组织部", village, 10 + i, 10, 1, 1, 1, 1, 1})
			body, ctype := multipartBody("fs.xlsx", data, map[string]string{"period": period})()
			req := httptest.NewRequest(http.MethodPost, "/api/v1/submissions", body)
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Authorization", "Bearer tok-"+asAdmin)
			wg.Go(func() {
				rec := httptest.NewRecorder()
				env.srv.Handler().ServeHTTP(rec, req)
				codes[i], bodies[i] = rec.Code, rec.Body.Bytes()
			})
		}
		wg.Wait()
		for i := range n {
			var rc qiancun.Receipt
			if codes[i] != 200 || json.Unmarshal(bodies[i], &rc) != nil || rc.Status != qiancun.Accepted {
				t.Errorf("%s upload %d: %d %s", period, i, codes[i], bodies[i])
			}
		}
		list := decode[struct {
			Submissions []struct {
				ID      int64
				Current bool
			} `json:"submissions"`
		}](t, env.get(t, "/api/v1/submissions?limit=100&period="+period, asAdmin, 200))
		current := 0
		for _, s := range list.Submissions {
			if s.Current {
				current++
			}
		}
		if current != 1 {
			t.Errorf("%s: %d current submissions, want 1", period, current)
		}
		// Every file has 走访农户数 10 for each member: twice that is a double count.
		page := decode[struct {
			Total   int
			Members []struct {
				Indicators map[string]string
			}
		}](t, env.get(t, "/api/v1/rankings/first_secretary?period="+period+"&limit=10", asEval, 200))
		if page.Total != 2 {
			t.Errorf("%s: %d members ranked, want 2", period, page.Total)
		}
		for _, m := range page.Members {
			if v := m.Indicators["走访农户数"]; v != "10.00" {
				t.Errorf("%s: 走访农户数 %s, want one file's 10.00", period, v)
			}
		}
	}
}

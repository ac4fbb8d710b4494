package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
)

// sourcedPage is a ranking answer with where it comes from.
type sourcedPage struct {
	rankingPage
	Source      string `json:"source"`
	Publication *struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Hash   string `json:"hash"`
		Until  string `json:"until"`
	} `json:"publication"`
}

type pubPage struct {
	Publication struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Hash   string `json:"hash"`
	} `json:"publication"`
	Total   int      `json:"total"`
	Members []member `json:"members"`
}

// TestPublishedRankingViews: once a force and period is published, a leader sees the
// publication and never the live ranking; an evaluator and an admin see the publication
// by default, the live ranking on asking, and the difference; a withdrawal brings the
// leader back to live figures.
func TestPublishedRankingViews(t *testing.T) {
	t.Parallel()
	env := newEnv(t, envOptions{files: []string{registryFile, "第一书记工作情况表_2024-04.xlsx", "第一书记工作情况表_2024-05.xlsx"}})
	const q2 = "/api/v1/rankings/first_secretary?period=2024-Q2&limit=5"
	get := func(path, as string, want int) sourcedPage {
		t.Helper()
		return decode[sourcedPage](t, env.get(t, path, as, want))
	}
	for _, as := range []string{asLeader, asEval, asAdmin} {
		if p := get(q2, as, 200); p.Source != "live" || p.Publication != nil {
			t.Errorf("%s before any publication: source %s, publication %+v", as, p.Source, p.Publication)
		}
	}
	get(q2+"&source=published", asEval, 404)

	rec := env.run(t, scenario{method: http.MethodPost, path: "/api/v1/publications", as: asAdmin, want: 201,
		body: jsonBody(`{"force":"first_secretary","period":"2024-Q2","note":"二季度考核结果"}`)})
	pub := decode[struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Hash   string `json:"hash"`
		Kind   string `json:"kind"`
	}](t, rec.Body.Bytes())
	if pub.Status != "公示" || pub.Kind != "公示稿" || len(pub.Hash) != 64 {
		t.Fatalf("published %+v", pub)
	}
	env.run(t, scenario{method: http.MethodPost, path: "/api/v1/publications", as: asAdmin, want: 409,
		body: jsonBody(`{"force":"first_secretary","period":"2024-Q2"}`), check: wantError("refused", "")})
	published := get(q2, asAdmin, 200)

	// June arrives: the live Q2 ranking moves, the published one does not.
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New(ts, env.st, ingest.DefaultLimits())
	rc, err := in.Ingest(context.Background(), "第一书记工作情况表_2024-06.xlsx", readFile(t, demoFile(t, "第一书记工作情况表_2024-06.xlsx")), ingest.Options{})
	if err != nil || rc.Status != qiancun.Accepted {
		t.Fatalf("June: %v %+v", err, rc)
	}

	frozen := decode[pubPage](t, env.get(t, fmt.Sprintf("/api/v1/publications/%d?limit=5", pub.ID), asAdmin, 200))
	for _, tc := range []struct {
		as, query, source string
		status            int
	}{
		{asLeader, "", "published", 200},
		{asLeader, "&source=published", "published", 200},
		{asLeader, "&source=live", "", 403},
		{asEval, "", "published", 200},
		{asEval, "&source=live", "live", 200},
		{asAdmin, "", "published", 200},
		{asAdmin, "&source=live", "live", 200},
		{asAdmin, "&source=x", "", 400},
	} {
		t.Run(tc.as+tc.query, func(t *testing.T) {
			p := get(q2+tc.query, tc.as, tc.status)
			if tc.status != 200 {
				return
			}
			if p.Source != tc.source {
				t.Errorf("source %s, want %s", p.Source, tc.source)
			}
			names := func(ms []member) []string {
				var out []string
				for _, m := range ms {
					out = append(out, m.Name+" "+m.Score+" "+m.Grade)
				}
				return out
			}
			if tc.source == "published" {
				if p.Publication == nil || p.Publication.ID != pub.ID || p.Publication.Hash != pub.Hash || p.Publication.Status != "公示" || p.Publication.Until == "" {
					t.Errorf("publication %+v, want %d %s", p.Publication, pub.ID, pub.Hash)
				}
				if diff := cmp.Diff(names(frozen.Members), names(p.Members)); diff != "" {
					t.Errorf("members are not the publication's (-publication +answer):\n%s", diff)
				}
				if diff := cmp.Diff(names(published.Members), names(p.Members)); diff != "" {
					t.Errorf("the published ranking moved with June (-before +after):\n%s", diff)
				}
			} else if p.Publication != nil || cmp.Equal(names(published.Members), names(p.Members)) {
				t.Errorf("live: publication %+v, members %v: want June in", p.Publication, names(p.Members))
			}
			for _, m := range p.Members {
				if masked := strings.Contains(m.Key, "****"); masked == (tc.as == asAdmin) {
					t.Errorf("%s sees key %s", tc.as, m.Key)
				}
			}
		})
	}

	// A district leader sees its district of the publication only.
	lc := get("/api/v1/rankings/first_secretary?period=2024-Q2&limit=1000", asLeaderLC, 200)
	if lc.Source != "published" || lc.Total == 0 {
		t.Fatalf("district leader: %s, %d members", lc.Source, lc.Total)
	}
	for _, m := range lc.Members {
		if m.DistrictCode != "370112" {
			t.Errorf("district leader sees %s of %s", m.Name, m.DistrictCode)
		}
	}

	// The evaluator sees what changed; the keys stay masked.
	d := decode[struct {
		Changed []struct {
			Key string `json:"key"`
		} `json:"changed"`
		Submissions struct {
			Added []struct{ ID int64 } `json:"added"`
		} `json:"submissions"`
	}](t, env.get(t, fmt.Sprintf("/api/v1/publications/%d/diff", pub.ID), asEval, 200))
	if len(d.Changed) == 0 || len(d.Submissions.Added) != 1 || d.Submissions.Added[0].ID != rc.SubmissionID {
		t.Errorf("diff: %d changed, added %+v; want June's submission %d", len(d.Changed), d.Submissions.Added, rc.SubmissionID)
	}
	for _, c := range d.Changed {
		if !strings.Contains(c.Key, "****") {
			t.Errorf("the evaluator's diff shows key %s", c.Key)
		}
	}
	env.get(t, fmt.Sprintf("/api/v1/publications/%d/diff", pub.ID), asLeader, 403)

	// A leader's scorecard is the published one, its cells those of April and May; an
	// evaluator asking for live sees June's too.
	type card struct {
		Source string `json:"source"`
		Member member `json:"member"`
		Lines  []struct {
			Sources []struct {
				SubmissionID int64 `json:"submission_id"`
			} `json:"sources"`
		} `json:"lines"`
	}
	months := func(c card) (n int, june bool) {
		for _, l := range c.Lines {
			for _, src := range l.Sources {
				n++
				june = june || src.SubmissionID == rc.SubmissionID
			}
		}
		return n, june
	}
	scPath := "/api/v1/members/first_secretary/" + frozen.Members[0].ID + "/scorecard?period=2024-Q2"
	pc := decode[card](t, env.get(t, scPath, asLeader, 200))
	if n, june := months(pc); pc.Source != "published" || pc.Member.Score != frozen.Members[0].Score || n == 0 || june {
		t.Errorf("leader's scorecard: source %s score %s (frozen %s), %d cells, June's among them: %v", pc.Source, pc.Member.Score, frozen.Members[0].Score, n, june)
	}
	env.get(t, scPath+"&source=live", asLeader, 403)
	lcard := decode[card](t, env.get(t, scPath+"&source=live", asEval, 200))
	if _, june := months(lcard); lcard.Source != "live" || !june {
		t.Errorf("evaluator's live scorecard: source %s, June's cells: %v", lcard.Source, june)
	}

	// An objection by the evaluator, against a member named by its masked key.
	obj := decode[struct {
		ID        int64  `json:"id"`
		MemberKey string `json:"member_key"`
	}](t, env.run(t, scenario{method: http.MethodPost, path: fmt.Sprintf("/api/v1/publications/%d/objections", pub.ID), as: asEval, want: 201,
		body: jsonBody(`{"member":"` + frozen.Members[0].ID + `","reason":"走访户数少算"}`)}).Body.Bytes())
	if !strings.Contains(obj.MemberKey, "****") {
		t.Errorf("objection shows key %s to the evaluator", obj.MemberKey)
	}
	env.run(t, scenario{method: http.MethodPost, path: fmt.Sprintf("/api/v1/objections/%d/resolve", obj.ID), as: asEval, want: 403})
	env.run(t, scenario{method: http.MethodPost, path: fmt.Sprintf("/api/v1/publications/%d/finalize", pub.ID), as: asAdmin, want: 409, check: wantError("refused", "")})

	// Bad requests.
	for _, sc := range []scenario{
		{path: fmt.Sprintf("/api/v1/publications/%d?grade=甲", pub.ID), as: asEval, want: 400, check: wantError("bad_parameter", "grade")},
		{path: "/api/v1/publications/x", as: asEval, want: 400, check: wantError("bad_parameter", "id")},
		{path: "/api/v1/publications/999", as: asEval, want: 404, check: wantError("not_found", "")},
		{path: fmt.Sprintf("/api/v1/publications/%d/diff?against=0", pub.ID), as: asEval, want: 400, check: wantError("bad_parameter", "against")},
		{path: "/api/v1/publications?status=x", as: asEval, want: 400, check: wantError("bad_parameter", "status")},
		{method: http.MethodPost, path: "/api/v1/publications", as: asAdmin, want: 400, body: jsonBody(`{"force":"first_secretary","period":"2024-Q2","x":1}`), check: wantError("bad_parameter", "body")},
		{method: http.MethodPost, path: "/api/v1/publications", as: asAdmin, want: 409, body: jsonBody(`{"force":"tech","period":"2023-01"}`), check: wantError("refused", "")},
		{method: http.MethodPost, path: fmt.Sprintf("/api/v1/publications/%d/objections", pub.ID), as: asEval, want: 404, body: jsonBody(`{"member":"m-0000000000000000","reason":"x"}`)},
		{method: http.MethodPost, path: "/api/v1/objections/999/resolve", as: asAdmin, want: 404, body: jsonBody(`{"resolution":"维持","note":"x"}`)},
		{method: http.MethodPost, path: fmt.Sprintf("/api/v1/objections/%d/resolve", obj.ID), as: asAdmin, want: 409, body: jsonBody(`{"resolution":"驳回","note":"x"}`), check: wantError("refused", "")},
	} {
		t.Run(sc.method+sc.path, func(t *testing.T) { env.run(t, sc) })
	}

	// Withdrawn: the leader is back on live figures.
	env.run(t, scenario{method: http.MethodPost, path: fmt.Sprintf("/api/v1/publications/%d/withdraw", pub.ID), as: asAdmin, want: 200, body: jsonBody(`{"reason":"六月数据已到，重新发布"}`)})
	if p := get(q2, asLeader, 200); p.Source != "live" || p.Publication != nil {
		t.Errorf("after withdrawal the leader sees %s %+v", p.Source, p.Publication)
	}
	env.run(t, scenario{method: http.MethodPost, path: fmt.Sprintf("/api/v1/publications/%d/correct", pub.ID), as: asAdmin, want: 409, body: jsonBody(`{"reason":"x"}`), check: wantError("refused", "")})
}

// TestFinalAndCorrection moves the clock past 公示: the publication is finalized, then
// corrected; a leader follows the latest (the correction), the old one stays readable as
// 已更正, and the leader's appraisal workbook is the correction's.
func TestFinalAndCorrection(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2024, 5, 6, 2, 0, 0, 0, time.UTC) // Monday 6 May, 10:00 in Jinan
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	env := newEnv(t, envOptions{files: []string{registryFile, "第一书记工作情况表_2024-04.xlsx"}, now: clock})
	post := func(path, body string, want int) []byte {
		t.Helper()
		sc := scenario{method: http.MethodPost, path: path, as: asAdmin, want: want}
		if body != "" {
			sc.body = jsonBody(body)
		}
		return env.run(t, sc).Body.Bytes()
	}
	type pubJSON struct {
		ID           int64  `json:"id"`
		Status       string `json:"status"`
		Kind         string `json:"kind"`
		Until        string `json:"until"`
		Corrects     int64  `json:"corrects"`
		SupersededBy int64  `json:"superseded_by"`
	}
	p := decode[pubJSON](t, post("/api/v1/publications", `{"force":"first_secretary","period":"2024-04"}`, 201))
	if p.Until != "2024-05-13" {
		t.Errorf("until %s, want 2024-05-13 (five working days)", p.Until)
	}
	post(fmt.Sprintf("/api/v1/publications/%d/finalize", p.ID), "", 409)
	mu.Lock()
	now = now.AddDate(0, 0, 7) // Monday 13 May: the last day of 公示
	mu.Unlock()
	f := decode[pubJSON](t, post(fmt.Sprintf("/api/v1/publications/%d/finalize", p.ID), "", 200))
	if f.Status != "已发布" || f.Kind != "正式稿" {
		t.Fatalf("finalized: %+v", f)
	}
	post(fmt.Sprintf("/api/v1/publications/%d/withdraw", p.ID), `{"reason":"x"}`, 409)
	c := decode[pubJSON](t, post(fmt.Sprintf("/api/v1/publications/%d/correct", p.ID), `{"reason":"组织部重报四月数据"}`, 201))
	if c.Status != "已发布" || c.Kind != "更正稿" || c.Corrects != p.ID {
		t.Fatalf("correction: %+v", c)
	}
	page := decode[sourcedPage](t, env.get(t, "/api/v1/rankings/first_secretary?period=2024-04&limit=1", asLeader, 200))
	if page.Publication == nil || page.Publication.ID != c.ID || page.Publication.Status != "已发布" {
		t.Errorf("the leader is served %+v, want the correction %d", page.Publication, c.ID)
	}
	old := decode[struct {
		Publication pubJSON `json:"publication"`
	}](t, env.get(t, fmt.Sprintf("/api/v1/publications/%d?limit=1", p.ID), asLeader, 200))
	if old.Publication.Status != "已更正" || old.Publication.SupersededBy != c.ID {
		t.Errorf("the corrected publication: %+v", old.Publication)
	}
	rec := env.run(t, scenario{path: "/api/v1/reports/appraisal.xlsx?force=first_secretary&period=2024-04", as: asLeader, want: 200})
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, url.PathEscape("更正稿")) {
		t.Errorf("the leader's workbook is %s, want the correction's", cd)
	}
}

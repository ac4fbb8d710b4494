package api_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
)

type rankingPage struct {
	Force        string `json:"force"`
	Period       string `json:"period"`
	RulesVersion string `json:"rules_version"`
	QuotaScope   string `json:"quota_scope"`
	Indicators   []struct {
		Name              string `json:"name"`
		BenchmarkRule     string `json:"benchmark_rule"`
		BenchmarkMode     string `json:"benchmark_mode"`
		Benchmark         string `json:"benchmark"`
		BenchmarkPosition int    `json:"benchmark_position"`
	} `json:"indicators"`
	MissingMonths []string `json:"missing_months"`
	KeyKind       string   `json:"key_kind"`
	Total         int      `json:"total"`
	Limit         int      `json:"limit"`
	Offset        int      `json:"offset"`
	Members       []member `json:"members"`
}

type member struct {
	ID           string `json:"id"`
	Rank         int    `json:"rank"`
	Key          string `json:"key"`
	Name         string `json:"name"`
	DistrictCode string `json:"district_code"`
	Score        string `json:"score"`
	Grade        string `json:"grade"`
}

// allMembers reads a whole ranking, page by page.
func allMembers(t *testing.T, env *testEnv, force, period, as string) []member {
	t.Helper()
	var out []member
	for off := 0; ; off += 1000 {
		p := decode[rankingPage](t, env.get(t, "/api/v1/rankings/"+force+"?period="+period+"&limit=1000&offset="+strconv.Itoa(off), as, 200))
		out = append(out, p.Members...)
		if len(out) >= p.Total {
			return out
		}
	}
}

var maskedID = regexp.MustCompile(`^\d{6}\*{8}\d{3}[\dX]$`)

func TestRankingPages(t *testing.T) {
	env := sharedEnv(t)
	full := allMembers(t, env, "first_secretary", "2024-Q2", asAdmin)
	if len(full) != 2383 {
		t.Fatalf("cohort of %d first secretaries, want 2383", len(full))
	}
	// The ranking says how each indicator was measured: p80 at position ⌈0.8 × 2383⌉ =
	// 1907, and 驻村天数 against 20 days a month.
	head := decode[rankingPage](t, env.get(t, "/api/v1/rankings/first_secretary?period=2024-Q2&limit=1", asEval, 200))
	if head.RulesVersion != "2024-p80" || head.QuotaScope != "city" || len(head.Indicators) != 7 {
		t.Fatalf("ranking head %+v", head)
	}
	if in := head.Indicators[0]; in.BenchmarkRule != "target:20" || in.BenchmarkMode != "target" || in.Benchmark != "60.00" {
		t.Errorf("驻村天数: %+v", in)
	}
	if in := head.Indicators[1]; in.BenchmarkRule != "p80" || in.BenchmarkMode != "percentile" || in.BenchmarkPosition != 1907 {
		t.Errorf("走访农户数: %+v", in)
	}
	byName := map[string]int{}
	for _, m := range full {
		byName[m.Name]++
	}
	var uniqueName string
	for _, m := range full {
		if byName[m.Name] == 1 && len([]rune(m.Name)) >= 2 {
			uniqueName = m.Name
			break
		}
	}
	lc := 0
	for _, m := range full {
		if m.DistrictCode == "370112" {
			lc++
		}
	}
	tests := []struct {
		name  string
		query string
		as    string
		check func(t *testing.T, p rankingPage)
	}{
		{"a page of 50, masked for an evaluator", "period=2024-Q2&limit=50", asEval, func(t *testing.T, p rankingPage) {
			if p.Total != 2383 || len(p.Members) != 50 || p.Limit != 50 || p.Offset != 0 {
				t.Errorf("total %d, %d members, limit %d offset %d", p.Total, len(p.Members), p.Limit, p.Offset)
			}
			for i, m := range p.Members {
				if !maskedID.MatchString(m.Key) {
					t.Fatalf("member %d's key %q is not masked", i, m.Key)
				}
				if m.Key != qiancun.MaskID(full[i].Key) || m.ID != full[i].ID {
					t.Errorf("member %d: %s %s, want %s %s", i, m.Key, m.ID, qiancun.MaskID(full[i].Key), full[i].ID)
				}
			}
			if p.RulesVersion == "" || p.Period != "2024-Q2" || p.MissingMonths == nil || len(p.MissingMonths) != 0 {
				t.Errorf("rules %q period %q missing %v", p.RulesVersion, p.Period, p.MissingMonths)
			}
		}},
		{"unmasked for an administrator", "period=2024-Q2&limit=5", asAdmin, func(t *testing.T, p rankingPage) {
			for _, m := range p.Members {
				if !qiancun.ValidID(m.Key) {
					t.Errorf("admin sees key %q, want the 身份证号", m.Key)
				}
			}
		}},
		{"the second page follows the first", "period=2024-Q2&limit=3&offset=3", asEval, func(t *testing.T, p rankingPage) {
			var got []string
			for _, m := range p.Members {
				got = append(got, m.ID)
			}
			want := []string{full[3].ID, full[4].ID, full[5].ID}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
		}},
		{"filtered by district", "period=2024-Q2&district=370112&limit=1000", asEval, func(t *testing.T, p rankingPage) {
			if p.Total != lc || len(p.Members) != lc {
				t.Errorf("total %d (%d members), want %d", p.Total, len(p.Members), lc)
			}
			for _, m := range p.Members {
				if m.DistrictCode != "370112" {
					t.Errorf("member of %s in 370112's page", m.DistrictCode)
				}
			}
		}},
		{"a district leader sees its district only", "period=2024-Q2&limit=1000", asLeaderLC, func(t *testing.T, p rankingPage) {
			if p.Total != lc {
				t.Errorf("total %d, want %d", p.Total, lc)
			}
			for _, m := range p.Members {
				if m.DistrictCode != "370112" {
					t.Errorf("leader of 370112 sees a member of %s", m.DistrictCode)
				}
			}
		}},
		{"filtered by grade", "period=2024-Q2&grade=" + url.QueryEscape("不称职") + "&limit=1000", asEval, func(t *testing.T, p rankingPage) {
			if p.Total == 0 {
				t.Error("no 不称职 member")
			}
			for _, m := range p.Members {
				if m.Grade != "不称职" {
					t.Errorf("grade %s in the 不称职 page", m.Grade)
				}
			}
		}},
		{"q matches a name", "period=2024-Q2&q=" + url.QueryEscape(uniqueName), asEval, func(t *testing.T, p rankingPage) {
			if p.Total != 1 || p.Members[0].Name != uniqueName {
				t.Errorf("q=%s: %d members %+v", uniqueName, p.Total, p.Members)
			}
		}},
		{"q matches a key for an administrator", "period=2024-Q2&q=" + full[7].Key, asAdmin, func(t *testing.T, p rankingPage) {
			if p.Total != 1 || p.Members[0].ID != full[7].ID {
				t.Errorf("q=<key>: %d members", p.Total)
			}
		}},
		{"q does not match keys for others", "period=2024-Q2&q=" + full[7].Key, asEval, func(t *testing.T, p rankingPage) {
			if p.Total != 0 {
				t.Errorf("an evaluator found %d members by 身份证号", p.Total)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v1/rankings/first_secretary?" + tt.query
			tt.check(t, decode[rankingPage](t, env.get(t, path, tt.as, 200)))
		})
	}
	t.Run("enterprise keys are credit codes, shown to all", func(t *testing.T) {
		p := decode[rankingPage](t, env.get(t, "/api/v1/rankings/enterprise?period=2024-05&limit=3", asEval, 200))
		for _, m := range p.Members {
			if !qiancun.ValidUSCC(m.Key) || p.KeyKind != "uscc" {
				t.Errorf("enterprise key %q (%s)", m.Key, p.KeyKind)
			}
		}
	})
	t.Run("a month with no data is missing", func(t *testing.T) {
		p := decode[rankingPage](t, env.get(t, "/api/v1/rankings/law?period=2024", asEval, 200))
		if len(p.MissingMonths) != 9 {
			t.Errorf("missing months %v, want the 9 months outside 2024-04..06", p.MissingMonths)
		}
	})
}

func TestBadParameters(t *testing.T) {
	env := sharedEnv(t)
	tests := []struct {
		name, path, as, param string
		want                  int
	}{
		{"unknown force", "/api/v1/rankings/nobody?period=2024-Q2", asEval, "force", 400},
		{"malformed period", "/api/v1/rankings/law?period=2024-13", asEval, "period", 400},
		{"quarter out of range", "/api/v1/rankings/law?period=2024-Q5", asEval, "period", 400},
		{"no period", "/api/v1/rankings/law", asEval, "period", 400},
		{"unknown district", "/api/v1/rankings/law?period=2024-Q2&district=999999", asEval, "district", 400},
		{"unknown grade", "/api/v1/rankings/law?period=2024-Q2&grade=A", asEval, "grade", 400},
		{"limit too large", "/api/v1/rankings/law?period=2024-Q2&limit=100000", asEval, "limit", 400},
		{"negative offset", "/api/v1/rankings/law?period=2024-Q2&offset=-1", asEval, "offset", 400},
		{"scorecard of an unknown force", "/api/v1/members/x/m-00/scorecard?period=2024-Q2", asEval, "force", 400},
		{"villages without period", "/api/v1/villages", asEval, "period", 400},
		{"villages covered by nobody", "/api/v1/villages?period=2024-05&covered_by=x", asEval, "covered_by", 400},
		{"a village code too short", "/api/v1/villages/3701?period=2024-05", asEval, "code", 400},
		{"progress with a bad period", "/api/v1/progress?period=24", asEval, "period", 400},
		{"projects with an unknown status", "/api/v1/projects?status=done", asEval, "status", 400},
		{"projects led by nobody", "/api/v1/projects?lead_force=x", asEval, "lead_force", 400},
		{"submissions with an unknown status", "/api/v1/submissions?status=lost", asEval, "status", 400},
		{"submissions of an unknown template", "/api/v1/submissions?template=x", asEval, "template", 400},
		{"a submission id that is not a number", "/api/v1/submissions/abc", asEval, "id", 400},
		{"a district leader asks for another district", "/api/v1/rankings/law?period=2024-Q2&district=370102", asLeaderLC, "", 403},
		{"a district leader asks for another district's villages", "/api/v1/villages?period=2024-05&district=370102", asLeaderLC, "", 403},
		{"a district leader asks for another district's village", "/api/v1/villages/370102001001?period=2024-05", asLeaderLC, "", 403},
		{"an uploader asks for another template's history", "/api/v1/submissions?template=law", asUploader, "", 403},
		{"no such village", "/api/v1/villages/370112999999?period=2024-05", asEval, "", 404},
		{"no such submission", "/api/v1/submissions/999999", asEval, "", 404},
		{"no such route", "/api/v1/nothing", asEval, "", 404},
		{"wrong method", "/api/v1/forces", asEval, "", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := map[int]string{400: "bad_parameter", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}[tt.want]
			method := ""
			if tt.want == 405 {
				method = "DELETE"
			}
			env.run(t, scenario{method: method, path: tt.path, as: tt.as, want: tt.want, check: wantError(code, tt.param)})
		})
	}
}

type scorecardResp struct {
	Force      string `json:"force"`
	Period     string `json:"period"`
	CohortSize int    `json:"cohort_size"`
	Member     member `json:"member"`
	Lines      []struct {
		Indicator     string `json:"indicator"`
		Value         string `json:"value"`
		Points        string `json:"points"`
		BenchmarkRule string `json:"benchmark_rule"`
		BenchmarkMode string `json:"benchmark_mode"`
		Benchmark     string `json:"benchmark"`
		Sources       []struct {
			Period string `json:"period"`
			File   string `json:"file"`
			Row    int    `json:"row"`
		} `json:"sources"`
	} `json:"lines"`
}

func TestScorecard(t *testing.T) {
	env := sharedEnv(t)
	full := allMembers(t, env, "first_secretary", "2024-Q2", asAdmin)
	// A masked key two members share, and one that is unique.
	count := map[string]int{}
	for _, m := range full {
		count[qiancun.MaskID(m.Key)]++
	}
	var shared, unique member
	for _, m := range full {
		if count[qiancun.MaskID(m.Key)] > 1 && shared.ID == "" {
			shared = m
		}
		if count[qiancun.MaskID(m.Key)] == 1 && unique.ID == "" && m.DistrictCode != "370112" {
			unique = m
		}
	}
	if shared.ID == "" {
		t.Fatal("the demo data has no shared masked key to test with")
	}
	var lc member // a member of 历城区
	for _, m := range full {
		if m.DistrictCode == "370112" {
			lc = m
			break
		}
	}
	base := "/api/v1/members/first_secretary/"
	q := "/scorecard?period=2024-Q2"
	tests := []struct {
		name, key, as string
		want          int
		member        member // the member expected, when 200
	}{
		{"by id", unique.ID, asEval, 200, unique},
		{"by masked key", qiancun.MaskID(unique.Key), asEval, 200, unique},
		{"by key, for an administrator", unique.Key, asAdmin, 200, unique},
		{"by key, for others: nothing", unique.Key, asEval, 404, member{}},
		{"by a masked key two members share", qiancun.MaskID(shared.Key), asEval, 400, member{}},
		{"the id disambiguates", shared.ID, asEval, 200, shared},
		{"a district leader, its district", lc.ID, asLeaderLC, 200, lc},
		{"a district leader, another district", unique.ID, asLeaderLC, 404, member{}},
		{"no such member", "m-0000000000000000", asEval, 404, member{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := env.get(t, base+url.PathEscape(tt.key)+q, tt.as, tt.want)
			if tt.want != 200 {
				return
			}
			sc := decode[scorecardResp](t, b)
			wantKey := qiancun.MaskID(tt.member.Key)
			if tt.as == asAdmin {
				wantKey = tt.member.Key
			}
			if sc.Member.ID != tt.member.ID || sc.Member.Key != wantKey || sc.Member.Score != tt.member.Score {
				t.Errorf("member %+v, want %s %s %s", sc.Member, tt.member.ID, wantKey, tt.member.Score)
			}
			if sc.CohortSize != 2383 || len(sc.Lines) != 7 {
				t.Fatalf("cohort %d, %d lines", sc.CohortSize, len(sc.Lines))
			}
			for _, l := range sc.Lines {
				if len(l.Sources) != 3 {
					t.Errorf("%s: %d sources, want one per month", l.Indicator, len(l.Sources))
				}
			}
			// Each line shows its benchmark: 驻村天数 against 20 a month, the rest p80.
			if l := sc.Lines[0]; l.BenchmarkRule != "target:20" || l.BenchmarkMode != "target" || l.Benchmark != "60.00" {
				t.Errorf("驻村天数's benchmark: %+v", l)
			}
			if l := sc.Lines[1]; l.BenchmarkRule != "p80" || l.BenchmarkMode != "percentile" || l.Benchmark == "" {
				t.Errorf("走访农户数's benchmark: %+v", l)
			}
		})
	}
	// Keys never reach the log, nor the raw paths that hold them.
	log := env.logText()
	for _, m := range full[:50] {
		if strings.Contains(log, m.Key) {
			t.Fatalf("the log holds a 身份证号")
		}
	}
	if strings.Contains(log, "/api/v1/members/first_secretary/m-") || !strings.Contains(log, "/api/v1/members/:force/:key/scorecard") {
		t.Errorf("the log should name the scorecard route by its pattern, not its path")
	}
}

// TestConcurrentPages asks for pages of a ranking no one has asked for yet from many
// goroutines at once, masked and unmasked: every answer is the same as the one asked alone
// (run with -race to check the views' building).
func TestConcurrentPages(t *testing.T) {
	env := sharedEnv(t)
	const path = "/api/v1/rankings/tech?period=2024-06&limit=20&offset=40"
	var wg sync.WaitGroup
	got := make([][]byte, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			as := asEval
			if i%2 == 1 {
				as = asAdmin
			}
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer tok-"+as)
			rec := httptest.NewRecorder()
			env.srv.Handler().ServeHTTP(rec, req)
			got[i] = rec.Body.Bytes()
		}()
	}
	wg.Wait()
	for i, b := range got {
		as := asEval
		if i%2 == 1 {
			as = asAdmin
		}
		if want := env.get(t, path, as, 200); string(b) != string(want) {
			t.Errorf("answer %d (%s) differs from the one asked alone", i, as)
		}
	}
}

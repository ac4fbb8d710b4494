package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/qiancun/qiancun/internal/testtool"
)

// TestPages starts the real binary on a random port over a small database and checks the
// pages: who may see what (TestPages/roles, without a browser), then the pages in Debian's
// chromium (TestPages/browser, in browser_test.go).
func TestPages(t *testing.T) {
	testtool.Short(t, testing.Short(), "builds and runs the binary")
	s := startService(t)

	// Ids the table needs: a member of 历城区 and one of 历下区 (first secretaries, 2024-05),
	// and a submission of the uploader's template and one of another's.
	var lc, lx apiPage
	s.api(t, asEval, "/api/v1/rankings/first_secretary?period=2024-05&district=370112&limit=1", &lc)
	s.api(t, asEval, "/api/v1/rankings/first_secretary?period=2024-05&district=370102&limit=1", &lx)
	var subs struct {
		Submissions []struct {
			ID       int64  `json:"id"`
			Template string `json:"template"`
		} `json:"submissions"`
	}
	s.api(t, asAdmin, "/api/v1/submissions?limit=50", &subs)
	var fsSub, lawSub int64
	for _, x := range subs.Submissions {
		switch x.Template {
		case "first_secretary":
			fsSub = x.ID
		case "law":
			lawSub = x.ID
		}
	}
	if len(lc.Members) == 0 || len(lx.Members) == 0 || fsSub == 0 || lawSub == 0 {
		t.Fatalf("test data: %d %d members, submissions %d %d", len(lc.Members), len(lx.Members), fsSub, lawSub)
	}
	ids := ids{memberLC: lc.Members[0].ID, memberLX: lx.Members[0].ID, fsSub: fsSub, lawSub: lawSub}

	t.Run("roles", func(t *testing.T) { testRoles(t, s, ids) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, s) })
	t.Run("numbers", func(t *testing.T) { testNumbers(t, s, ids) })
	t.Run("page size", func(t *testing.T) { testPageSize(t, s) })
	t.Run("browser", func(t *testing.T) { testBrowser(t, s, ids) })
}

type ids struct {
	memberLC, memberLX string
	fsSub, lawSub      int64
}

// testRoles signs in as each role with the form and asks for every page: each role sees
// what the API lets it see and is refused the rest, including a district leader's edits of
// the URL.
func testRoles(t *testing.T, s *service, x ids) {
	member := func(id string) string { return "/members/" + id + "?force=first_secretary&period=2024-05" }
	fs, law := fmt.Sprint(x.fsSub), fmt.Sprint(x.lawSub)
	pages := []string{
		"/", "/rankings/first_secretary?period=2024-05", "/rankings/first_secretary?period=2024-05&district=370102",
		"/rankings/first_secretary/appraisal.xlsx?period=2024-05", "/rankings/first_secretary/appraisal.xlsx?period=2024-05&district=370102",
		member(x.memberLC), member(x.memberLX), "/districts/370112?period=2024-05", "/districts/370102?period=2024-05",
		"/upload", "/submissions/" + fs, "/submissions/" + law, "/submissions/" + fs + "/receipt.xlsx",
		"/submissions/" + law + "/receipt.xlsx", "/files/" + fs,
	}
	// want[role][i] is the status of pages[i]; 303 is the uploader's overview, which sends
	// it to its desk.
	want := map[string][]int{
		asAdmin:    {200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200},
		asEval:     {200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 200, 200, 200, 200, 200},
		asLeader:   {200, 200, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403},
		asLeaderLC: {200, 200, 403, 200, 403, 200, 404, 200, 403, 403, 403, 403, 403, 403, 403},
		asUploader: {303, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200, 404, 200, 404, 403},
	}
	for role, codes := range want {
		t.Run(role, func(t *testing.T) {
			c := s.client(t)
			if code, loc := c.signIn("tok-" + role); code != http.StatusSeeOther || loc != "/" {
				t.Fatalf("sign-in: %d to %q, want 303 to /", code, loc)
			}
			for i, p := range pages {
				code, h, body := c.do(http.MethodGet, p, nil, "")
				if code != codes[i] {
					t.Errorf("GET %s: %d, want %d: %.200s", p, code, codes[i], body)
				}
				// A refusal says what the account may do instead.
				if code == http.StatusForbidden && !strings.Contains(p, ".xlsx") {
					var want string
					switch {
					case role == asLeaderLC && (strings.Contains(p, "370102") && !strings.Contains(p, "/members/")):
						want = `您的账号仅限查看历城区的数据，不能查看其他区县。</p>`
						if !strings.Contains(body, `<a href="/districts/370112" id="error-way">查看历城区</a>`) {
							t.Errorf("GET %s: the refusal offers no way to 历城区", p)
						}
					case role == asUploader:
						want = `报送员账号只能上报文件、查看本单位的报送记录。`
					default:
						want = `无权使用此页面。如需使用，请联系管理员。`
					}
					if !strings.Contains(body, want) {
						t.Errorf("GET %s: the refusal does not say %q: %s", p, want, regexp.MustCompile(`<main[\s\S]*</main>`).FindString(body))
					}
				}
				if csp := h.Get("Content-Security-Policy"); !strings.Contains(p, ".xlsx") && !strings.Contains(p, "/files/") &&
					(!strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff") {
					t.Errorf("GET %s: security headers %q, nosniff %q", p, csp, h.Get("X-Content-Type-Options"))
				}
			}
			if role == asEval {
				// This month's reporting: the reporting month is 2024-05 (the latest with an
				// accepted file); the first secretaries' file arrived (today, long after the
				// 10th of June: 迟报), the enterprises' never did (未报).
				_, _, body := c.do(http.MethodGet, "/", nil, "")
				for _, want := range []string{"本月报送：2024年5月（报送截止：2024年6月10日）",
					`<td>第一书记工作情况表</td><td>市委组织部</td><td><span class="badge warn">迟报</span></td><td>第一书记工作情况表_2024-05.xlsx</td>`,
					`<td>村企联建情况表</td><td>市农业农村局</td><td><span class="badge bad">未报</span></td><td>—</td>`} {
					if !strings.Contains(body, want) {
						t.Errorf("the overview lacks %s", want)
					}
				}
			}
			if role == asLeaderLC {
				// Whatever the URL says, the leader's ranking is of 历城区.
				_, _, body := c.do(http.MethodGet, "/rankings/first_secretary?period=2024-05", nil, "")
				if n := strings.Count(body, "<td>历城区</td>"); n == 0 || strings.Contains(body, "<td>历下区</td>") {
					t.Errorf("the district leader's ranking: %d rows of 历城区, or rows of another", n)
				}
			}
		})
	}
	t.Run("monitor and strangers", func(t *testing.T) {
		c := s.client(t)
		if code, _ := c.signIn("tok-" + asMonitor); code != http.StatusForbidden {
			t.Errorf("a monitor signs in: %d, want 403", code)
		}
		if code, _ := c.signIn("qc_not-a-token"); code != http.StatusUnauthorized {
			t.Errorf("an unknown token signs in: %d, want 401", code)
		}
		code, h, _ := c.do(http.MethodGet, "/rankings/first_secretary", nil, "")
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
			t.Errorf("no session: %d to %q, want 303 to the sign-in page", code, h.Get("Location"))
		}
	})
}

// testSessions checks the cookie's flags, CSRF on every POST, the sign-in form's own
// token, logout, and that a forged or tampered cookie is refused.
func testSessions(t *testing.T, s *service) {
	c := s.client(t)
	_, _, page := c.do(http.MethodGet, "/login", nil, "")
	loginCSRF := csrf(t, page)
	// A sign-in posted from another site is refused, even with the right token.
	if code, _, _ := c.do(http.MethodPost, "/login", url.Values{"csrf": {loginCSRF}, "token": {"tok-" + asEval}}, "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("a cross-site sign-in: %d, want 403", code)
	}
	if code, _, _ := c.do(http.MethodPost, "/login", url.Values{"csrf": {"forged"}, "token": {"tok-" + asEval}}, ""); code != http.StatusForbidden {
		t.Errorf("a sign-in without the form's token: %d, want 403", code)
	}
	_, _, page = c.do(http.MethodGet, "/login", nil, "")
	req, _ := http.NewRequest(http.MethodPost, s.url+"/login", strings.NewReader(url.Values{"csrf": {csrf(t, page)}, "token": {"tok-" + asEval}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.h.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "qc_session" {
			session = ck
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.MaxAge <= 0 || session.Secure {
		t.Fatalf("sign-in over plain HTTP: %d, cookie %+v", resp.StatusCode, session)
	}
	// Behind a TLS proxy the cookie is Secure.
	{
		tc := s.client(t)
		_, _, page := tc.do(http.MethodGet, "/login", nil, "")
		req, _ := http.NewRequest(http.MethodPost, s.url+"/login", strings.NewReader(url.Values{"csrf": {csrf(t, page)}, "token": {"tok-" + asEval}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := tc.h.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		secure := false
		for _, ck := range resp.Cookies() {
			secure = secure || ck.Name == "qc_session" && ck.Secure
		}
		if !secure {
			t.Errorf("behind TLS the session cookie is not Secure: %v", resp.Header["Set-Cookie"])
		}
	}
	// A tampered cookie is no session.
	u, _ := url.Parse(s.url)
	good := c.h.Jar.Cookies(u)
	bad := *session
	bad.Value = session.Value[:10] + "A" + session.Value[11:]
	if bad.Value == session.Value {
		bad.Value = session.Value[:10] + "B" + session.Value[11:]
	}
	c.h.Jar.SetCookies(u, []*http.Cookie{&bad})
	if code, _, _ := c.do(http.MethodGet, "/", nil, ""); code != http.StatusSeeOther {
		t.Errorf("a tampered session cookie: %d, want 303 to the sign-in page", code)
	}
	c.h.Jar.SetCookies(u, good)
	c.h.Jar.SetCookies(u, []*http.Cookie{session})
	code, _, home := c.do(http.MethodGet, "/", nil, "")
	if code != 200 {
		t.Fatalf("home with the session: %d", code)
	}
	// Logout needs the session's CSRF token.
	if code, _, _ := c.do(http.MethodPost, "/logout", url.Values{"csrf": {"forged"}}, ""); code != http.StatusForbidden {
		t.Errorf("logout without the token: %d, want 403", code)
	}
	if code, _, _ := c.do(http.MethodPost, "/logout", url.Values{"csrf": {csrf(t, home)}}, "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("logout from another site: %d, want 403", code)
	}
	if code, h, _ := c.do(http.MethodPost, "/logout", url.Values{"csrf": {csrf(t, home)}}, s.url); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Errorf("logout: %d to %q", code, h.Get("Location"))
	}
	if code, _, _ := c.do(http.MethodGet, "/", nil, ""); code != http.StatusSeeOther {
		t.Errorf("after logout: %d, want 303 to the sign-in page", code)
	}

	// An upload without the CSRF token stores nothing.
	up := s.client(t)
	up.signIn("tok-" + asUploader)
	var before struct{ Total int }
	s.api(t, asAdmin, "/api/v1/submissions?limit=1", &before)
	body, ctype := multipartBody(t, map[string]string{"csrf": "forged"}, "第一书记工作情况表_2024-06.xlsx", []byte("x"))
	req, _ = http.NewRequest(http.MethodPost, s.url+"/upload", body)
	req.Header.Set("Content-Type", ctype)
	resp, err = up.h.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var after struct{ Total int }
	s.api(t, asAdmin, "/api/v1/submissions?limit=1", &after)
	if resp.StatusCode != http.StatusForbidden || after.Total != before.Total {
		t.Errorf("an upload with a forged token: %d, submissions %d -> %d", resp.StatusCode, before.Total, after.Total)
	}

	// A one-time sign-in link: works once.
	out, err := execOutput(s.bin, "token", "--login-url", s.url, "--config", s.config, "--for", "测试 "+asLeaderLC)
	if err != nil {
		t.Fatalf("token --login-url: %v\n%s", err, out)
	}
	link, ok := strings.CutPrefix(strings.TrimSpace(out), "login ")
	if !ok {
		t.Fatalf("token --login-url printed %q", out)
	}
	for i, want := range []int{http.StatusSeeOther, http.StatusUnauthorized} {
		lc := s.client(t)
		_, _, page := lc.do(http.MethodGet, strings.TrimPrefix(link, s.url), nil, "")
		ticket := regexp.MustCompile(`name="ticket" value="([^"]+)"`).FindStringSubmatch(page)
		if ticket == nil {
			t.Fatalf("the link's page has no ticket field:\n%.500s", page)
		}
		code, h, _ := lc.do(http.MethodPost, "/login", url.Values{"csrf": {csrf(t, page)}, "ticket": {html.UnescapeString(ticket[1])}}, s.url)
		if code != want {
			t.Errorf("use %d of the link: %d (to %q), want %d", i+1, code, h.Get("Location"), want)
		}
		if i == 0 {
			if _, _, body := lc.do(http.MethodGet, "/", nil, ""); !strings.Contains(body, "历城区") {
				t.Errorf("signed in by the link, the overview is not the 历城区 leader's")
			}
		}
	}
}

// unformatted finds a figure of four digits or more written without thousands separators
// where a page shows a number: a numeric cell, a fact of a summary, "共 N 人", "N 人",
// "名次 / N".
var unformatted = regexp.MustCompile(`<td class="num">-?\d{4,}(\.\d+)?</td>|<dd(?: id="[^"]*")?>-?\d{4,}(\.\d+)?</dd>|共 \d{4,} 人|>\d{4,} 人<| / \d{4,}<|第\d+行 · -?\d{4,}`)

// testNumbers reads the pages a leader and a clerk read and checks that their figures are
// written for people: thousands separators, amounts of the overview in 万元, months in
// Chinese on the receipt.
func testNumbers(t *testing.T, s *service, x ids) {
	c := s.client(t)
	if code, _ := c.signIn("tok-" + asAdmin); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	pages := []string{
		"/", "/?period=2024", "/rankings/first_secretary?period=2024-05", "/rankings/first_secretary?period=2024",
		"/members/" + x.memberLC + "?force=first_secretary&period=2024", "/districts/370112?period=2024-05",
		"/upload", fmt.Sprintf("/submissions/%d", x.fsSub), "/publications",
	}
	// A publication of the test data (this test publishes one if the browser test has not).
	code, h, page := c.do(http.MethodGet, "/publications", nil, "")
	if code != http.StatusOK {
		t.Fatalf("/publications: %d", code)
	}
	pub := regexp.MustCompile(`href="(/publications/\d+)"`).FindStringSubmatch(page)
	if pub == nil {
		code, h, _ = c.do(http.MethodPost, "/publications", url.Values{"csrf": {csrf(t, page)}, "force": {"first_secretary"}, "period": {"2024-04"}}, s.url)
		if code != http.StatusSeeOther {
			t.Fatalf("publishing 2024-04: %d", code)
		}
		pub = []string{"", h.Get("Location")}
	}
	pages = append(pages, pub[1])
	for _, p := range pages {
		code, _, body := c.do(http.MethodGet, p, nil, "")
		if code != http.StatusOK {
			t.Errorf("%s: %d", p, code)
			continue
		}
		if m := unformatted.FindAllString(body, 5); m != nil {
			t.Errorf("%s shows figures without thousands separators: %q", p, m)
		}
	}
	_, _, body := c.do(http.MethodGet, "/", nil, "")
	if strings.Contains(body, "（元）") || !regexp.MustCompile(`第一书记协调资金（万元）</td><td class="num">[\d,]+\.\d\d</td>`).MatchString(body) {
		t.Errorf("the overview does not give the funds in 万元 with two decimals:\n%s", regexp.MustCompile(`<tr><td>[^<]*资金[^\n]*`).FindString(body))
	}
	// Live figures say plainly that they are not yet published, to every reader (a leader
	// sees them until the first publication).
	for _, p := range []string{"/rankings/first_secretary?period=2024-05", "/members/" + x.memberLC + "?force=first_secretary&period=2024-05"} {
		if _, _, body := c.do(http.MethodGet, p, nil, ""); !strings.Contains(body, "实时数据（尚未公示，以公示为准）") {
			t.Errorf("%s does not say its live figures are not yet published", p)
		}
	}
	// The test data's reporting month is 2024-05 (the browser test uploads 2024-06 later):
	// files are due by 10 June.
	for _, p := range []string{"/", "/upload"} {
		if _, _, body := c.do(http.MethodGet, p, nil, ""); !strings.Contains(body, "（报送截止：2024年6月10日）") {
			t.Errorf("%s does not name the last day files are due, 2024年6月10日: %s", p, regexp.MustCompile(`<h2>本月[^\n]*`).FindString(body))
		}
	}
	_, _, body = c.do(http.MethodGet, fmt.Sprintf("/submissions/%d", x.fsSub), nil, "")
	if !regexp.MustCompile(`<dt>月份</dt><dd>\d{4}年\d{1,2}月</dd>`).MatchString(body) {
		t.Errorf("the receipt does not write its month in Chinese")
	}
}

// testPageSize: a reader chooses 50 (the default), 200 or 1000 members a page, to print a
// district's ranking at once; the pager keeps the choice, and any other size is refused.
func testPageSize(t *testing.T, s *service) {
	var all apiPage
	s.api(t, asEval, "/api/v1/rankings/first_secretary?period=2024-05&limit=1", &all)
	c := s.client(t)
	if code, _ := c.signIn("tok-" + asEval); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	for _, tt := range []struct {
		per  string
		rows int
	}{{"", min(all.Total, 50)}, {"200", min(all.Total, 200)}, {"1000", min(all.Total, 1000)}} {
		path := "/rankings/first_secretary?period=2024-05"
		if tt.per != "" {
			path += "&per=" + tt.per
		}
		code, _, body := c.do(http.MethodGet, path, nil, "")
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		if n := strings.Count(body, "<tr data-id="); n != tt.rows {
			t.Errorf("GET %s: %d rows, want %d (of %d)", path, n, tt.rows, all.Total)
		}
		next := regexp.MustCompile(`href="\?([^"]*)" rel="next"`).FindStringSubmatch(body)
		if wantNext := tt.rows < all.Total; (next != nil) != wantNext {
			t.Errorf("GET %s: next page link %v, want one: %v", path, next, wantNext)
		} else if next != nil && tt.per != "" && !strings.Contains(next[1], "per="+tt.per) {
			t.Errorf("GET %s: the next page %q forgets per=%s", path, next[1], tt.per)
		}
	}
	if code, _, _ := c.do(http.MethodGet, "/rankings/first_secretary?period=2024-05&per=7", nil, ""); code != http.StatusBadRequest {
		t.Errorf("per=7: %d, want 400", code)
	}
	// A publication's members page the same way (the "numbers" test published one): its
	// pager's links are query strings a browser reads, not escaped again.
	_, _, list := c.do(http.MethodGet, "/publications", nil, "")
	pub := regexp.MustCompile(`href="(/publications/\d+)"`).FindStringSubmatch(list)
	if pub == nil {
		t.Fatal("no publication to page through")
	}
	_, _, body := c.do(http.MethodGet, pub[1], nil, "")
	next := regexp.MustCompile(`<a href="\?([^"]*)">下一页</a>`).FindStringSubmatch(body)
	if next == nil || !strings.Contains(next[1], "page=2") {
		t.Errorf("%s: next page link %v, want a query with page=2", pub[1], next)
	}
}

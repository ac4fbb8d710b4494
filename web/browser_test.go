package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun/internal/testtool"
)

// browser is one headless chromium (Debian's, never a downloaded one) for the test.
type browser struct {
	ctx  context.Context
	shot string // where screenshots go
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := testtool.Need(t, "chromium", "chromium", "/usr/bin/chromium")
	// A fresh profile, removed once the browser is gone. (Not t.TempDir: chromium's helper
	// processes may still be writing to it for a moment after the browser is stopped, and
	// that must not fail the test.)
	profile, err := os.MkdirTemp("", "qiancun-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		// A tab in the background must still render, or a screenshot waits for ever.
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1366, 768),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(func() {
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first start may be slow (a cold disk, a busy machine): give it a minute. (The
	// browser lives as long as the context of the first Run: no timeout on that context.)
	started := make(chan error, 1)
	go func() { started <- chromedp.Run(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("chromium did not start in 60 s")
	}
	shot := os.Getenv("OUT")
	if shot == "" {
		shot = t.TempDir()
	}
	shot = filepath.Join(shot, "screenshots")
	if err := os.MkdirAll(shot, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{ctx: ctx, shot: shot}
}

// tab is one signed-in visitor: its own tab, and what its pages wrote to the console and
// fetched. Tabs share the browser's cookies, so one role at a time: a new tab clears them.
type tab struct {
	t    *testing.T
	b    *browser
	s    *service
	ctx  context.Context
	role string

	mu       sync.Mutex
	console  []string // console errors, exceptions and error log entries
	foreign  []string // requests to a host other than 127.0.0.1
	requests int
}

func (b *browser) tab(t *testing.T, s *service, role string) *tab {
	t.Helper()
	// A tab of its own; the roles take turns, each starting with no cookies. (A separate
	// browser context per role fails in headless chromium: "no browser is open".)
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	tb := &tab{t: t, b: b, s: s, ctx: ctx, role: role}
	chromedp.ListenTarget(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				tb.console = append(tb.console, "console."+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			tb.console = append(tb.console, "exception: "+e.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.LevelError {
				tb.console = append(tb.console, "log "+string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			tb.requests++
			u, err := url.Parse(e.Request.URL)
			if err != nil || (u.Scheme != "data" && u.Scheme != "blob" && u.Hostname() != "127.0.0.1") {
				tb.foreign = append(tb.foreign, e.Request.URL)
			}
		}
	})
	if err := chromedp.Run(ctx, network.Enable(), cdplog.Enable(), runtime.Enable(), network.ClearBrowserCookies(), page.BringToFront()); err != nil {
		t.Fatal(err)
	}
	return tb
}

// run runs actions with a bound on time.
func (tb *tab) run(actions ...chromedp.Action) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", tb.role, err)
	}
}

// open navigates to path and returns the status of the page; the console must stay quiet
// on a page that answers 200.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	tb.mu.Lock()
	tb.console = nil
	tb.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(tb.s.url+path))
	if err != nil {
		tb.t.Fatalf("%s: open %s: %v", tb.role, path, err)
	}
	tb.run(chromedp.WaitReady("body"))
	if resp.Status == 200 {
		tb.quiet(path)
	}
	return resp.Status
}

// quiet fails the test for anything written to the console since the last page opened.
func (tb *tab) quiet(what string) {
	tb.t.Helper()
	tb.run(chromedp.Sleep(50 * time.Millisecond)) // let late console events arrive
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.console {
		tb.t.Errorf("%s: %s: console: %s", tb.role, what, m)
	}
	tb.console = nil
}

// screenshots saves what the screen shows of the page at 1366×768 and at 390×844 (a
// phone, with the mobile viewport).
func (tb *tab) screenshots(name string) {
	tb.t.Helper()
	for _, vp := range [][2]int64{{1366, 768}, {390, 844}} {
		var png []byte
		var opts []chromedp.EmulateViewportOption
		if vp[0] < 768 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		tb.run(
			chromedp.EmulateViewport(vp[0], vp[1], opts...),
			chromedp.Sleep(100*time.Millisecond),
			chromedp.CaptureScreenshot(&png),
		)
		file := filepath.Join(tb.b.shot, fmt.Sprintf("%s_%s_%dx%d.png", strings.ReplaceAll(tb.role, ":", "-"), name, vp[0], vp[1]))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
	tb.run(chromedp.EmulateViewport(1366, 768))
}

// wrappedOnPhone returns the text of each cell matching sel that breaks over more than one
// line at 390×844: on a phone a table's short cells stay on one line and the table scrolls
// sideways rather than squeezing them a character a line.
func (tb *tab) wrappedOnPhone(sel string) []string {
	tb.t.Helper()
	var wrapped []string
	tb.run(
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll(%q)].filter(td => {
			const r = document.createRange(); r.selectNodeContents(td);
			return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size > 1;
		}).map(td => td.textContent)`, sel), &wrapped),
		chromedp.EmulateViewport(1366, 768),
	)
	return wrapped
}

// signIn fills in the sign-in form and submits it, as a person would.
func (tb *tab) signIn() string {
	tb.t.Helper()
	tb.open("/login")
	tb.screenshots("login")
	var loc string
	tb.run(
		chromedp.SetValue("#token", "tok-"+tb.role, chromedp.ByID),
		chromedp.Submit("#token", chromedp.ByID),
		chromedp.WaitVisible("main h1", chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	tb.quiet("sign-in")
	return strings.TrimPrefix(loc, tb.s.url)
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	var s string
	tb.run(chromedp.Text(sel, &s, chromedp.ByQuery))
	return strings.TrimSpace(s)
}

// pageRow is one row of the ranking table as the browser shows it.
type pageRow struct {
	ID, Rank, DistrictRank, Name, Key, District, Score, Grade, Veto, Change string
}

func (tb *tab) rankingRows() []pageRow {
	tb.t.Helper()
	var rows []pageRow
	tb.run(chromedp.Evaluate(`[...document.querySelectorAll('#ranking-table > tbody > tr[data-id]')].map(tr => {
		const c = [...tr.cells].map(td => td.textContent.trim());
		return {ID: tr.dataset.id, Rank: c[0], DistrictRank: c[1], Name: c[2], Key: c[3], District: c[4], Score: c[5], Grade: c[6], Veto: c[7], Change: c[8]};
	})`, &rows))
	if n := tb.count("#ranking-table"); n != 1 {
		tb.t.Errorf("%d ranking tables, want one", n)
	}
	if n := tb.count("#ranking-table > tbody"); n != 1 {
		tb.t.Errorf("%d tbody in the ranking table, want one", n)
	}
	return rows
}

func (tb *tab) count(sel string) int {
	tb.t.Helper()
	var n int
	tb.run(chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n))
	return n
}

// fetch downloads a link of the page with the browser's own session and returns the bytes.
func (tb *tab) fetch(sel string) []byte {
	tb.t.Helper()
	var b64 string
	tb.run(chromedp.Evaluate(fmt.Sprintf(`(async () => {
		const r = await fetch(document.querySelector(%q).href);
		if (!r.ok) { return "status " + r.status; }
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ""; for (let i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
		return btoa(s);
	})()`, sel), &b64, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		tb.t.Fatalf("download %s: %.100s", sel, b64)
	}
	return b
}

// checkRows holds the browser's table to the API's page, member for member, and each
// row's rank change to the API's ranking of the previous period.
func checkRows(t *testing.T, got []pageRow, api apiPage, prev map[string]int) {
	t.Helper()
	var want []pageRow
	for i, m := range api.Members {
		veto := ""
		if m.Vetoed {
			veto = "✗ 否决"
		}
		change := "新"
		if r, ok := prev[m.ID]; ok {
			switch {
			case r > m.Rank:
				change = "↑" + strconv.Itoa(r-m.Rank)
			case r < m.Rank:
				change = "↓" + strconv.Itoa(m.Rank-r)
			default:
				change = "持平"
			}
		}
		if i < len(got) && prev == nil {
			change = got[i].Change
		}
		want = append(want, pageRow{m.ID, strconv.Itoa(m.Rank), strconv.Itoa(m.DistrictRank), m.Name, m.Key, m.District, m.Score, m.Grade, veto, change})
	}
	if len(want) == 0 {
		t.Fatal("the API's page is empty: nothing compared")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the ranking table differs from the API's page (-api +page):\n%s", d)
	}
}

func testBrowser(t *testing.T, s *service, x ids) {
	b := newBrowser(t)
	began := time.Now()
	defer func() {
		t.Logf("browser part: %v; screenshots in %s", time.Since(began).Round(time.Millisecond), b.shot)
	}()
	prev := s.ranks(t, "first_secretary", "2024-04")

	t.Run("district leader", func(t *testing.T) {
		tb := b.tab(t, s, asLeaderLC)
		if loc := tb.signIn(); loc != "/" {
			t.Fatalf("signed in to %q, want /", loc)
		}
		if h := tb.text("main h1"); !strings.Contains(h, "历城区") {
			t.Errorf("the overview's heading %q does not name the district", h)
		}
		tb.screenshots("overview")

		tb.open("/rankings/first_secretary?period=2024-05")
		var api apiPage
		s.api(t, asLeaderLC, "/api/v1/rankings/first_secretary?period=2024-05&limit=50", &api)
		checkRows(t, tb.rankingRows(), api, prev)
		tb.screenshots("ranking")

		// Print it: A4 landscape, pages, the filters in force on top, the header row on
		// every page and no navigation.
		var pdf []byte
		tb.run(chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = page.PrintToPDF().WithPreferCSSPageSize(true).WithPrintBackground(true).Do(ctx)
			return err
		}))
		checkPDF(t, b, pdf)

		// Drill into the first member's scorecard.
		var href string
		tb.run(chromedp.AttributeValue("#ranking-table tbody tr:first-child td:nth-child(3) a", "href", &href, nil, chromedp.ByQuery))
		tb.run(chromedp.Click("#ranking-table tbody tr:first-child td:nth-child(3) a", chromedp.ByQuery), chromedp.WaitVisible("table.scorecard", chromedp.ByQuery))
		tb.quiet("scorecard")
		if n := tb.count("table.scorecard tbody tr"); n != 7 {
			t.Errorf("the scorecard has %d indicators, want 7", n)
		}
		if n := tb.count("ul.sources a"); n != 0 {
			t.Errorf("a leader sees %d links to raw files", n)
		}
		tb.screenshots("member")
		if w := tb.wrappedOnPhone("table.scorecard tbody td:not(:last-child)"); len(w) > 0 {
			t.Errorf("on a phone the scorecard squeezes its cells onto several lines: %q", w)
		}

		if code := tb.open("/districts/370112?period=2024-05"); code != 200 {
			t.Errorf("own district: %d", code)
		}
		tb.screenshots("district")

		// Edits of the URL: another district is refused, and says so.
		for _, p := range []string{"/rankings/first_secretary?period=2024-05&district=370102", "/districts/370102?period=2024-05", "/upload"} {
			if code := tb.open(p); code != 403 {
				t.Errorf("%s: %d, want 403", p, code)
			}
			if h := tb.text("main h1"); !strings.Contains(h, "无权查看") {
				t.Errorf("%s: heading %q", p, h)
			}
		}
		if code := tb.open("/members/" + x.memberLX + "?force=first_secretary&period=2024-05"); code != 404 {
			t.Errorf("another district's member: %d, want 404", code)
		}
		tb.checkHosts()
	})

	t.Run("evaluator", func(t *testing.T) {
		tb := b.tab(t, s, asEval)
		tb.signIn()
		tb.open("/rankings/first_secretary?period=2024-05&grade=%E7%A7%B0%E8%81%8C&page=2")
		var api apiPage
		s.api(t, asEval, "/api/v1/rankings/first_secretary?period=2024-05&grade=%E7%A7%B0%E8%81%8C&limit=50&offset=50", &api)
		checkRows(t, tb.rankingRows(), api, prev)
		tb.open("/rankings/law?period=2024-05")
		s.api(t, asEval, "/api/v1/rankings/law?period=2024-05&limit=50", &api)
		checkRows(t, tb.rankingRows(), api, nil)
		// Without JavaScript the tables are all there (only the charts need it).
		tb.run(emulation.SetScriptExecutionDisabled(true))
		tb.open("/rankings/law?period=2024-05")
		if n := tb.count("#ranking-table tbody tr[data-id]"); n != len(api.Members) {
			t.Errorf("without JavaScript the ranking shows %d rows, want %d", n, len(api.Members))
		}
		tb.run(emulation.SetScriptExecutionDisabled(false))
		tb.open("/members/" + x.memberLX + "?force=first_secretary&period=2024-05")
		if n := tb.count("ul.sources a[href^='/files/']"); n == 0 {
			t.Error("an evaluator sees no link to the raw files")
		}
		raw := tb.fetch("ul.sources a[href^='/files/']")
		if !bytes.HasPrefix(raw, []byte("PK")) {
			t.Errorf("the raw file is not the workbook as received: %.20q", raw)
		}
		tb.open("/districts/370102?period=2024-05")
		tb.open("/rankings/first_secretary?period=2024-05")
		if book, err := excelize.OpenReader(bytes.NewReader(tb.fetch("#download-appraisal"))); err != nil {
			t.Errorf("the appraisal workbook: %v", err)
		} else {
			book.Close()
		}
		tb.checkHosts()
	})

	t.Run("uploader", func(t *testing.T) {
		tb := b.tab(t, s, asUploader)
		if loc := tb.signIn(); loc != "/upload" {
			t.Errorf("the uploader lands on %q, want /upload", loc)
		}
		tb.screenshots("upload")
		dir := t.TempDir()
		bad := filepath.Join(dir, "第一书记工作情况表_2024-06.xlsx")
		if err := os.WriteFile(bad, badFirstSecretary(t, filepath.Join(s.files, "第一书记工作情况表_2024-06.xlsx")), 0o644); err != nil {
			t.Fatal(err)
		}
		tb.run(
			chromedp.SetUploadFiles("#file", []string{bad}, chromedp.ByID),
			chromedp.Submit("#upload-form", chromedp.ByID),
			chromedp.WaitVisible("#receipt-status", chromedp.ByID),
		)
		tb.quiet("the bad file's receipt")
		tb.screenshots("receipt")
		if w := tb.wrappedOnPhone("#issues tbody td:not(:last-child)"); len(w) > 0 {
			t.Errorf("on a phone the receipt squeezes its cells onto several lines: %q", w)
		}
		if st := tb.text("#receipt-status"); st != "已退回" {
			t.Errorf("the bad file's status %q, want 已退回", st)
		}
		// Every problem of the receipt is on the page, as the API has it.
		var wb string
		tb.run(chromedp.AttributeValue("#marked-workbook", "href", &wb, nil, chromedp.ByID))
		id := strings.TrimSuffix(strings.TrimPrefix(wb, "/submissions/"), "/receipt.xlsx")
		var rc struct {
			Issues []struct{ Sheet, Cell, Column, Value, Message string }
		}
		s.api(t, asUploader, "/api/v1/submissions/"+id, &rc)
		var shown [][]string
		tb.run(chromedp.Evaluate(`[...document.querySelectorAll('#issues tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))`, &shown))
		var want, got [][]string
		for _, is := range rc.Issues {
			want = append(want, []string{is.Sheet, is.Cell, is.Column, is.Value, is.Message})
		}
		for _, r := range shown {
			got = append(got, []string{r[0], r[1], r[2], r[3], r[5]})
		}
		if len(want) < 3 {
			t.Errorf("the spoilt file has %d problems, want at least 3", len(want))
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("the receipt page's problems differ from the API's (-api +page):\n%s", d)
		}
		// The marked workbook, downloaded in the browser.
		book, err := excelize.OpenReader(bytes.NewReader(tb.fetch("#marked-workbook")))
		if err != nil {
			t.Fatalf("the marked workbook: %v", err)
		}
		if book.GetSheetIndex("问题清单"); len(book.GetSheetList()) < 2 || book.GetSheetList()[0] != "问题清单" {
			t.Errorf("the marked workbook's sheets: %v", book.GetSheetList())
		}
		book.Close()

		// The fixed file is accepted.
		tb.open("/upload")
		tb.run(
			chromedp.SetUploadFiles("#file", []string{filepath.Join(s.files, "第一书记工作情况表_2024-06.xlsx")}, chromedp.ByID),
			chromedp.Submit("#upload-form", chromedp.ByID),
			chromedp.WaitVisible("#receipt-status", chromedp.ByID),
		)
		if st := tb.text("#receipt-status"); st != "已接收" {
			t.Errorf("the fixed file's status %q, want 已接收", st)
		}
		tb.open("/upload")
		if n := tb.count("table.history tbody tr"); n < 3 {
			t.Errorf("the history shows %d submissions", n)
		}
		tb.screenshots("upload-after")
		if code := tb.open("/rankings/first_secretary"); code != 403 {
			t.Errorf("an uploader opens a ranking: %d, want 403", code)
		}
		tb.checkHosts()
	})

	t.Run("admin", func(t *testing.T) {
		tb := b.tab(t, s, asAdmin)
		tb.signIn()
		tb.screenshots("overview")
		if n := tb.count("canvas#district-chart"); n != 1 {
			t.Errorf("%d district charts", n)
		}
		tb.open("/rankings/first_secretary?period=2024-Q2&district=370112")
		tb.screenshots("ranking-q2")
		tb.open("/districts/370112?period=2024-06")
		tb.open(fmt.Sprintf("/submissions/%d", x.lawSub))
		tb.checkHosts()
	})

	t.Run("publications", func(t *testing.T) { testPublications(t, b, s) })
}

// testPublications publishes the first secretaries' 2024-05 ranking from the page, as an
// administrator; an evaluator objects to a member; the administrator answers; the leader
// sees the banner and the published figures; the evaluator reads the diff against the live
// data; the administrator withdraws it.
func testPublications(t *testing.T, b *browser, s *service) {
	admin := b.tab(t, s, asAdmin)
	admin.signIn()
	admin.open("/publications")
	admin.screenshots("publications")
	admin.run(
		chromedp.SetValue(`#publish-form select[name=force]`, "first_secretary", chromedp.ByQuery),
		chromedp.SetValue(`#publish-form select[name=period]`, "2024-05", chromedp.ByQuery),
		chromedp.Submit("#publish-form", chromedp.ByID),
		chromedp.WaitVisible("#pub-state", chromedp.ByID),
	)
	admin.quiet("the new publication")
	if st := admin.text("#pub-state"); st != "公示" {
		t.Fatalf("the new publication's state %q, want 公示", st)
	}
	var loc string
	admin.run(chromedp.Location(&loc))
	pubPath := strings.TrimPrefix(loc, s.url)
	admin.screenshots("publication")

	// The API's page of the publication is the page's, member for member.
	var api struct {
		Members []apiMember `json:"members"`
	}
	s.api(t, asEval, "/api/v1"+pubPath+"?limit=50", &api)
	ev := b.tab(t, s, asEval)
	ev.signIn()
	ev.open(pubPath)
	var ids []string
	ev.run(chromedp.Evaluate(`[...document.querySelectorAll('#publication-table tbody tr[data-id]')].map(tr => tr.dataset.id)`, &ids))
	var want []string
	for _, m := range api.Members {
		want = append(want, m.ID)
	}
	if d := cmp.Diff(want, ids); d != "" || len(ids) == 0 {
		t.Errorf("the publication's table differs from the API's page (-api +page):\n%s", d)
	}
	// An objection, by the evaluator.
	// The row's 提出异议 link fills in the form for that member.
	var member string
	ev.run(
		chromedp.Click(fmt.Sprintf(`#publication-table tr[data-id=%q] a.object-link`, ids[1]), chromedp.ByQuery),
		chromedp.WaitVisible("#objection-form", chromedp.ByID),
		chromedp.Value(`#objection-form input[name=member]`, &member, chromedp.ByQuery),
	)
	if member != ids[1] {
		t.Errorf("the 提出异议 link of %s filled in the form with %q", ids[1], member)
	}
	ev.run(
		chromedp.SetValue(`#objection-form input[name=reason]`, "驻村天数漏报一天", chromedp.ByQuery),
		chromedp.Submit("#objection-form", chromedp.ByID),
		chromedp.WaitVisible("#objection-table", chromedp.ByID),
	)
	ev.quiet("the objection")
	if txt := ev.text("#objection-table tbody"); !strings.Contains(txt, "驻村天数漏报一天") || !strings.Contains(txt, "待处理") {
		t.Errorf("the objection is not listed as open: %q", txt)
	}
	ev.open(pubPath + "/diff")
	if n := ev.count("#diff-changed"); n != 1 {
		t.Error("no diff table")
	}
	ev.screenshots("diff")
	ev.checkHosts()

	// The administrator answers it. (Tabs share the browser's cookies: each role signs in
	// again in a fresh tab.)
	admin = b.tab(t, s, asAdmin)
	admin.signIn()
	admin.open(pubPath)
	admin.run(
		chromedp.SetValue(`#objection-table select[name=resolution]`, "维持", chromedp.ByQuery),
		chromedp.SetValue(`#objection-table input[name=note]`, "核实无误", chromedp.ByQuery),
		chromedp.Submit(`#objection-table form`, chromedp.ByQuery),
		chromedp.WaitVisible("#pub-state", chromedp.ByID),
	)
	if txt := admin.text("#objection-table tbody"); !strings.Contains(txt, "维持") || !strings.Contains(txt, "核实无误") {
		t.Errorf("the answer is not shown: %q", txt)
	}

	// The leader: a banner on the overview, the published figures in the ranking.
	ld := b.tab(t, s, asLeaderLC)
	ld.signIn()
	if ld.count(".banner") == 0 {
		t.Error("the overview has no banner for the publication in 公示")
	} else if txt := ld.text(".banner"); !strings.Contains(txt, "公示中") || !strings.Contains(txt, "第一书记") {
		t.Errorf("the overview's banner: %q", txt)
	}
	ld.screenshots("overview-notice")
	ld.open("/rankings/first_secretary?period=2024-05")
	ld.screenshots("ranking-published")
	if src := ld.text("#source"); !strings.Contains(src, "公示稿") || !strings.Contains(src, "公示期至") {
		t.Errorf("the leader's ranking states its source as %q", src)
	}
	var lapi apiPage
	s.api(t, asLeaderLC, "/api/v1/rankings/first_secretary?period=2024-05&limit=50", &lapi)
	rows := ld.rankingRows()
	if len(rows) == 0 || len(rows) != len(lapi.Members) || rows[0].ID != lapi.Members[0].ID {
		t.Errorf("the leader's published ranking: %d rows, the API's %d", len(rows), len(lapi.Members))
	}
	if code := ld.open(pubPath + "/diff"); code != 403 {
		t.Errorf("a leader opens the diff: %d, want 403", code)
	}
	// Who may act: a leader may not object, an evaluator may not withdraw, an uploader sees
	// no publication.
	for _, x := range []struct {
		role, method, path string
		want               int
	}{
		{asLeaderLC, http.MethodPost, pubPath + "/objections", 403},
		{asEval, http.MethodPost, pubPath + "/withdraw", 403},
		{asEval, http.MethodPost, "/publications", 403},
		{asUploader, http.MethodGet, "/publications", 403},
		{asUploader, http.MethodGet, pubPath, 403},
		{asLeader, http.MethodGet, pubPath, 200},
	} {
		c := s.client(t)
		c.signIn("tok-" + x.role)
		var form url.Values
		if x.method == http.MethodPost {
			_, _, home := c.do(http.MethodGet, "/login", nil, "")
			form = url.Values{"csrf": {csrf(t, home)}, "reason": {"x"}, "member": {"x"}}
		}
		if code, _, _ := c.do(x.method, x.path, form, s.url); code != x.want {
			t.Errorf("%s %s as %s: %d, want %d", x.method, x.path, x.role, code, x.want)
		}
	}
	ld.checkHosts()

	// Withdrawn, it says so.
	admin = b.tab(t, s, asAdmin)
	admin.signIn()
	admin.open(pubPath)
	admin.run(
		chromedp.SetValue(`form[action$="/withdraw"] input[name=reason]`, "数据有误", chromedp.ByQuery),
		chromedp.Submit(`form[action$="/withdraw"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#pub-state", chromedp.ByID),
	)
	if st := admin.text("#pub-state"); st != "已撤回" {
		t.Errorf("after withdrawal the state is %q", st)
	}
	admin.checkHosts()
}

// checkHosts fails the test for any request the pages made to a host but the service.
func (tb *tab) checkHosts() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.requests == 0 {
		tb.t.Error("no request was seen: the listener does not work")
	}
	for _, u := range tb.foreign {
		tb.t.Errorf("%s: a request to another host: %s", tb.role, u)
	}
}

// checkPDF reads the printed ranking back with pdftotext: it has pages, the filters in
// force, the header row on every page and no navigation.
func checkPDF(t *testing.T, b *browser, pdf []byte) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	file := filepath.Join(filepath.Dir(b.shot), "ranking.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	pdftotext := testtool.Need(t, "poppler-utils", "pdftotext")
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	pages := strings.Count(strings.TrimRight(text, "\f"), "\f") + 1
	if pages < 2 {
		t.Errorf("the printed ranking has %d page(s), want at least 2 (50 rows)", pages)
	}
	if !strings.Contains(text, "筛选条件") || !strings.Contains(text, "考核期 2024年5月") || !strings.Contains(text, "区县 历城区") {
		t.Errorf("the printed ranking does not state its filters:\n%.600s", text)
	}
	if n := strings.Count(text, "区县名次"); n < pages {
		t.Errorf("the header row is printed %d times on %d pages", n, pages)
	}
	for _, chrome := range []string{"退出", "下载考核结果", "上一页"} {
		if strings.Contains(text, chrome) {
			t.Errorf("the printed page shows %q", chrome)
		}
	}
}

//go:build loadtest

package loadtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/deploy"
	"github.com/qiancun/qiancun/internal/peakrss"
	"github.com/qiancun/qiancun/internal/testbin"
	"github.com/qiancun/qiancun/internal/testtool"
	"github.com/qiancun/qiancun/replica"
	"github.com/qiancun/qiancun/synth"
)

// Knobs, for measuring capacity by hand (deploy/README.md); CI runs the defaults.
var (
	scaleName = envOr("QIANCUN_LOADTEST_SCALE", "demo") // demo, city or national
	duration  = envDuration("QIANCUN_LOADTEST_DURATION", 20*time.Second)
	clients   = envInt("QIANCUN_LOADTEST_CLIENTS", 32)
	replicas  = envInt("QIANCUN_LOADTEST_REPLICAS", 3)
	faults    = os.Getenv("QIANCUN_LOADTEST_FAULTS") != "0" // resubmissions, the kill
)

const (
	adminToken = "lt-admin"
	evalToken  = "lt-evaluator"
	leadToken  = "lt-leader"
	monToken   = "lt-monitor"
	swapWithin = 10 * time.Second
)

var (
	periods = []string{"2024-Q2", "2024-04", "2024-05", "2024-06"}
	forces  = []string{"first_secretary", "enterprise", "finance", "law", "postal", "tech", "culture"}
)

func TestLoadAndFault(t *testing.T) {
	nginx := testtool.Need(t, "nginx-light", "nginx")
	scale, err := synth.ParseScale(scaleName)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	start := time.Now()

	bin := testbin.Build(t, "../../cmd/qiancun", dir)
	files, messy := filepath.Join(dir, "files"), filepath.Join(dir, "messy")
	if _, err := synth.Generate(ctx, files, synth.Options{Scale: scale, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// The resubmissions: the same months as offices fill them in, so the same members and
	// figures in other bytes.
	if _, err := synth.Generate(ctx, messy, synth.Options{Scale: scale, Seed: 1, Messy: true}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "q.db")
	all, _ := filepath.Glob(filepath.Join(files, "*"))
	if out, err := exec.Command(bin, append([]string{"ingest", "--db", db}, all...)...).CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	t.Logf("built and ingested %s scale in %v", scaleName, time.Since(start).Round(time.Millisecond))

	hash := func(s string) string { return api.FormatHash(sha256.Sum256([]byte(s))) }
	config := filepath.Join(dir, "qiancun.toml")
	cfg := fmt.Sprintf(`member_id_key = "00112233445566778899aabbccddeeff"
session_key = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
log_level = "warn"
[[token]]
name = "lt admin"
role = "admin"
hash = %q
[[token]]
name = "lt evaluator"
role = "evaluator"
hash = %q
[[token]]
name = "lt leader"
role = "leader"
district = "370112"
hash = %q
[[token]]
name = "lt monitor"
role = "monitor"
hash = %q
`, hash(adminToken), hash(evalToken), hash(leadToken), hash(monToken))
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	snaps := filepath.Join(dir, "snapshots")
	nginxAddr := freeAddr(t)
	front := "http://" + nginxAddr

	primary := startProc(t, bin, "primary", "serve", "--db", db, "--config", config, "--addr", "127.0.0.1:0",
		"--snapshots", snaps, "--snapshot-debounce", "1s", "--keep-snapshots", "4")
	first := waitSnapshot(t, snaps, "", 60*time.Second)
	reps := make([]*proc, replicas)
	replicaArgs := func(addr string) []string {
		return []string{"serve", "--replica", "--snapshots", snaps, "--config", config, "--addr", addr,
			"--poll", "200ms", "--primary", front}
	}
	for i := range reps {
		reps[i] = startProc(t, bin, fmt.Sprintf("replica%d", i+1), replicaArgs("127.0.0.1:0")...)
	}
	for _, r := range reps {
		waitServing(t, r, first, 60*time.Second)
	}

	// nginx with the shipped site configuration, its addresses replaced by the test's.
	site, err := os.ReadFile("../nginx/qiancun.conf")
	if err != nil {
		t.Fatal(err)
	}
	siteConf := renderSite(t, string(site), nginxAddr, primary.addr, reps)
	sitePath := filepath.Join(dir, "qiancun.conf")
	if err := os.WriteFile(sitePath, []byte(siteConf), 0o644); err != nil {
		t.Fatal(err)
	}
	mainPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainPath, []byte(deploy.MainConfig(dir, sitePath)), 0o644); err != nil {
		t.Fatal(err)
	}
	ng := exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", mainPath, "-g", "daemon off;")
	var ngOut bytes.Buffer
	ng.Stdout, ng.Stderr = &ngOut, &ngOut
	if err := ng.Start(); err != nil {
		t.Fatal(err)
	}
	ngDone := make(chan struct{})
	go func() { ng.Wait(); close(ngDone) }()
	t.Cleanup(func() {
		_ = ng.Process.Signal(syscall.SIGQUIT)
		select {
		case <-ngDone:
		case <-time.After(5 * time.Second):
			_ = ng.Process.Kill()
		}
	})
	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * clients, MaxIdleConns: 4 * clients}}
	waitOK(t, hc, front+"/readyz", 20*time.Second)

	// Members to ask scorecards of: the first page of each force's quarter.
	type member struct{ force, id string }
	var members []member
	for _, f := range forces {
		var page struct {
			Members []struct{ ID string } `json:"members"`
		}
		code, _, body := call(hc, front+"/api/v1/rankings/"+f+"?period=2024-Q2&limit=20", evalToken)
		if code != 200 || json.Unmarshal(body, &page) != nil || len(page.Members) == 0 {
			t.Fatalf("ranking of %s: %d %.300s", f, code, body)
		}
		for _, m := range page.Members {
			members = append(members, member{f, m.ID})
		}
	}
	// A session for the pages: the sign-in form from a replica, the sign-in itself (a POST)
	// on the primary, the pages from any replica, which all know the primary's session_key.
	session := login(t, hc, front, evalToken)

	// Every ranking the clients ask for, computed once on each replica before the load, so
	// that the figures are the steady state's (a replica warms only the latest month and
	// quarter itself; at national scale a cold ranking takes seconds).
	warmStart := time.Now()
	slow := &http.Client{Timeout: 5 * time.Minute}
	for _, r := range reps {
		for _, f := range forces {
			for _, p := range periods {
				if code, _, body := call(slow, "http://"+r.addr+"/api/v1/rankings/"+f+"?limit=1&period="+p, evalToken); code != 200 {
					t.Fatalf("warm %s %s on %s: %d %.300s", f, p, r.name, code, body)
				}
			}
		}
	}
	t.Logf("everything up in %v (rankings warmed in %v); load for %v with %d clients through nginx",
		time.Since(start).Round(time.Millisecond), time.Since(warmStart).Round(time.Millisecond), duration, clients)

	// The load.
	var (
		stop      atomic.Bool
		failures  atomic.Int64
		mixed     atomic.Int64
		retried   atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		failLog   []string
		seen      = map[string]int{}
		wg        sync.WaitGroup
	)
	loadStart := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			var lat []time.Duration
			for n := 0; n < 1_000_000 && !stop.Load(); n++ {
				var url, tok string
				kind := rng.IntN(10)
				ranking := kind < 6 || kind == 9 // the bodies that name their snapshot
				switch {
				case kind == 9:
					url, tok = front+"/api/v1/publications", evalToken
				case kind == 8:
					url, tok = fmt.Sprintf("%s/rankings/%s?period=%s", front, forces[rng.IntN(len(forces))], periods[rng.IntN(len(periods))]), session
				case ranking:
					f := members[rng.IntN(len(members))].force
					url = fmt.Sprintf("%s/api/v1/rankings/%s?period=%s&limit=%d&offset=%d", front, f, periods[rng.IntN(len(periods))], 10+rng.IntN(50), rng.IntN(200))
					tok = []string{evalToken, leadToken}[rng.IntN(2)]
				default:
					m := members[rng.IntN(len(members))]
					url = fmt.Sprintf("%s/api/v1/members/%s/%s/scorecard?period=2024-Q2", front, m.force, m.id)
					tok = evalToken
				}
				t0 := time.Now()
				code, snap, body := call(hc, url, tok)
				if code == 0 {
					// The connection broke mid-answer: nginx had passed on the header of an
					// answer the killed replica never finished, which no proxy can take
					// back. A read is idempotent: ask once more, as a careful client does,
					// and count it. An HTTP error status is never asked again.
					retried.Add(1)
					code, snap, body = call(hc, url, tok)
				}
				lat = append(lat, time.Since(t0))
				bad := ""
				switch {
				case code != 200:
					bad = fmt.Sprintf("%s: %d %.200s", url, code, body)
				case snap == "":
					bad = url + ": no " + replica.HeaderSnapshot + " header"
				case ranking:
					var b struct {
						Snapshot string `json:"snapshot"`
					}
					if err := json.Unmarshal(body, &b); err != nil || b.Snapshot != snap {
						mixed.Add(1)
						bad = fmt.Sprintf("%s: header names %s, body %q (%v)", url, snap, b.Snapshot, err)
					}
				}
				mu.Lock()
				if bad != "" {
					failures.Add(1)
					if len(failLog) < 20 {
						failLog = append(failLog, bad)
					}
				} else {
					seen[snap]++
				}
				mu.Unlock()
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			mu.Unlock()
		}()
	}

	// The faults, while the load runs.
	if faults {
		time.Sleep(duration / 5)
		// A department resubmits May, and the evaluators publish the first secretaries'
		// second quarter; every replica must be on the new snapshot within 10 s.
		prev := newest(t, snaps)
		resubmit(t, hc, front, filepath.Join(messy, "第一书记工作情况表_2024-05.xlsx"), filepath.Join(dir, "error.log"))
		pubID := publish(t, hc, front, "first_secretary", "2024-Q2")
		id := waitSnapshot(t, snaps, prev, 30*time.Second)
		// The debounce may have split the two writes: wait for the snapshot that has both.
		for i := 0; i < 100; i++ {
			m, err := replica.Verify(filepath.Join(snaps, id))
			if err == nil && m.Publications["first_secretary"].ID == pubID {
				break
			}
			id = waitSnapshot(t, snaps, id, 30*time.Second)
		}
		appeared := time.Now()
		for _, r := range reps {
			waitServing(t, r, id, swapWithin-time.Since(appeared))
		}
		t.Logf("snapshot %s (May resubmitted, publication %d): every replica serving it %v after it appeared", id, pubID, time.Since(appeared).Round(time.Millisecond))

		// A replica is killed; while it is down June is resubmitted; it comes back on its
		// port and, like the others, serves the new snapshot within 10 s of its appearing.
		victim := reps[1]
		victim.kill(t)
		prev = newest(t, snaps)
		resubmit(t, hc, front, filepath.Join(messy, "第一书记工作情况表_2024-06.xlsx"), filepath.Join(dir, "error.log"))
		id = waitSnapshot(t, snaps, prev, 30*time.Second)
		appeared = time.Now()
		reps[1] = startProc(t, bin, "replica2-restarted", replicaArgs(victim.addr)...)
		for _, r := range reps {
			waitServing(t, r, id, swapWithin-time.Since(appeared))
		}
		t.Logf("snapshot %s: every replica, the restarted one too, serving it %v after it appeared", id, time.Since(appeared).Round(time.Millisecond))
	}
	if rest := duration - time.Since(loadStart); rest > 0 {
		time.Sleep(rest)
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(loadStart)

	slices.Sort(latencies)
	q := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	var rss []string
	for i, r := range reps {
		rss = append(rss, fmt.Sprintf("replica%d %d MiB", i+1, r.peakRSS()/1024))
	}
	rss = append(rss, fmt.Sprintf("primary %d MiB", primary.peakRSS()/1024))
	fmt.Printf("loadtest %s scale: %d requests in %v (%.0f req/s through nginx, %d clients, %d replicas, %d asked again after a broken connection); latency p50 %v p99 %v max %v; %d snapshots answered %v; peak RSS %s\n",
		scaleName, len(latencies), elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(), clients, replicas, retried.Load(),
		q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond), latencies[len(latencies)-1].Round(time.Microsecond),
		len(seen), seen, strings.Join(rss, ", "))

	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d requests failed at the client; first ones:\n%s\nnginx error log:\n%s", n, len(latencies), strings.Join(failLog, "\n"), readTail(filepath.Join(dir, "error.log")))
	}
	if n := mixed.Load(); n > 0 {
		t.Errorf("%d answers whose body and header name different snapshots", n)
	}
	// Only the answers in flight on the killed replica may break: at most one per client.
	if n := retried.Load(); n > int64(clients) || !faults && n > 0 {
		t.Errorf("%d requests met a broken connection (at most %d may, on the killed replica)", n, clients)
	}
	if faults && len(seen) < 2 {
		t.Errorf("the clients saw snapshots %v, want the replicas to have swapped under load", seen)
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// proc is one qiancun process.
type proc struct {
	*testbin.Server
	name string
	addr string // host:port
}

func startProc(t *testing.T, bin, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name}
	t.Cleanup(func() { // runs after testbin's own, once the process has stopped
		if t.Failed() && p.Server != nil {
			t.Logf("%s's log (tail):\n%s", p.name, tail(p.Stderr.String(), 3000))
		}
	})
	p.Server = testbin.Start(t, bin, args...)
	p.addr = strings.TrimPrefix(p.URL, "http://")
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.Cmd.Process.Kill()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not die", p.name)
	}
}

// peakRSS is the process's peak resident set, in KiB (VmHWM), while it runs; 0 if
// unknown.
func (p *proc) peakRSS() int {
	kb, _ := peakrss.Of(p.Cmd.Process.Pid)
	return int(kb)
}

// waitServing waits until the replica answers /readyz from snapshot id.
func waitServing(t *testing.T, p *proc, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for i := 0; i < 10000 && time.Now().Before(deadline); i++ {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			last = resp.Header.Get(replica.HeaderSnapshot)
			if resp.StatusCode == 200 && last == id {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s still serves %q, not %s, %v after it appeared\n%s", p.name, last, id, within, tail(p.Stderr.String(), 2000))
}

// waitSnapshot waits for a snapshot newer than after and returns its id.
func waitSnapshot(t *testing.T, dir, after string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for i := 0; i < 100000 && time.Now().Before(deadline); i++ {
		if id := newest(t, dir); id > after {
			return id
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no snapshot newer than %q in %v", after, within)
	return ""
}

func newest(t *testing.T, dir string) string {
	ids, err := replica.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func waitOK(t *testing.T, hc *http.Client, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for i := 0; i < 10000 && time.Now().Before(deadline); i++ {
		if code, _, _ := call(hc, url, ""); code == 200 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not 200 within %v", url, within)
}

// call GETs url with a bearer token, or a page session's cookie (qc_session=…); code is 0
// when the request failed.
func call(hc *http.Client, url, token string) (code int, snapshot string, body []byte) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	switch {
	case strings.HasPrefix(token, "qc_session="):
		req.Header.Set("Cookie", token)
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", []byte(err.Error())
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", []byte(err.Error())
	}
	return resp.StatusCode, resp.Header.Get(replica.HeaderSnapshot), body
}

// resubmit uploads a file through nginx, which sends it to the primary.
func resubmit(t *testing.T, hc *http.Client, front, path, errorLog string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("file", filepath.Base(path))
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, front+"/api/v1/submissions", &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var rc struct{ Status string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &rc) != nil || rc.Status != "accepted" {
		t.Fatalf("resubmit %s: %d %.500s\nnginx error log:\n%s", filepath.Base(path), resp.StatusCode, body, readTail(errorLog))
	}
}

// login signs in to the pages through nginx with a token and returns the session cookie
// (qc_session=…).
func login(t *testing.T, hc *http.Client, front, token string) string {
	t.Helper()
	resp, err := hc.Get(front + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET /login: %d %.300s", resp.StatusCode, body)
	}
	form := "csrf=" + string(m[1]) + "&token=" + token
	req, _ := http.NewRequest(http.MethodPost, front+"/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// As a browser's form post: the Origin, which the pages compare with the Host nginx
	// passes on (a browser without Sec-Fetch-Site is judged by it alone).
	req.Header.Set("Origin", front)
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	noRedirect := &http.Client{Timeout: hc.Timeout, Transport: hc.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "qc_session" && ck.Value != "" {
			return ck.Name + "=" + ck.Value
		}
	}
	t.Fatalf("POST /login: %d, no session cookie", resp.StatusCode)
	return ""
}

// publish publishes a force's ranking of a period through nginx, which sends it to the
// primary, and returns the publication's id.
func publish(t *testing.T, hc *http.Client, front, force, period string) int64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, front+"/api/v1/publications", strings.NewReader(fmt.Sprintf(`{"force":%q,"period":%q}`, force, period)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var p struct{ ID int64 }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &p) != nil || p.ID == 0 {
		t.Fatalf("publish %s %s: %d %.500s", force, period, resp.StatusCode, body)
	}
	return p.ID
}

// renderSite is the shipped site configuration with the test's addresses: nginx on
// nginxAddr, the primary's, and one upstream server line per replica, with the shipped
// line's health-check parameters.
func renderSite(t *testing.T, site, nginxAddr, primaryAddr string, reps []*proc) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(\s*)server 127\.0\.0\.1:808[12]( [^;]*)?;\n`)
	lines := re.FindAllStringSubmatch(site, -1)
	if len(lines) != 2 {
		t.Fatalf("deploy/nginx/qiancun.conf: want the two replica server lines, found %d", len(lines))
	}
	var servers strings.Builder
	for _, r := range reps {
		fmt.Fprintf(&servers, "%sserver %s%s;\n", lines[0][1], r.addr, lines[0][2])
	}
	n := 0
	site = re.ReplaceAllStringFunc(site, func(string) string {
		n++
		if n == 1 {
			return servers.String()
		}
		return ""
	})
	for old, new := range map[string]string{"server 127.0.0.1:8080": "server " + primaryAddr, "listen 127.0.0.1:8000;": "listen " + nginxAddr + ";"} {
		if !strings.Contains(site, old) {
			t.Fatalf("deploy/nginx/qiancun.conf has no %q", old)
		}
		site = strings.ReplaceAll(site, old, new)
	}
	return site
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	return tail(string(b), 3000)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil && d > 0 {
		return d
	}
	return def
}

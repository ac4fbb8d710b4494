package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/internal/testbin"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

// client talks to the server under test.
type client struct {
	t   *testing.T
	url string
}

func (c *client) do(method, path, token string, body io.Reader, ctype string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *client) get(path, token string, want int) []byte {
	c.t.Helper()
	code, b := c.do(http.MethodGet, path, token, nil, "")
	if code != want {
		c.t.Fatalf("GET %s: %d, want %d: %.300s", path, code, want, b)
	}
	return b
}

func form(name string, data []byte, fields map[string]string) (*bytes.Buffer, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

func (c *client) upload(token, name string, data []byte, fields map[string]string, want int) qiancun.Receipt {
	c.t.Helper()
	body, ctype := form(name, data, fields)
	code, b := c.do(http.MethodPost, "/api/v1/submissions", token, body, ctype)
	if code != want {
		c.t.Fatalf("upload %s: %d, want %d: %.500s", name, code, want, b)
	}
	var rc qiancun.Receipt
	if want == 200 {
		if err := json.Unmarshal(b, &rc); err != nil {
			c.t.Fatal(err)
		}
	}
	return rc
}

// metric reads one series of /metrics.
func (c *client) metric(token, series string) float64 {
	c.t.Helper()
	b := c.get("/metrics", token, 200)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				c.t.Fatal(err)
			}
			return f
		}
	}
	c.t.Fatalf("/metrics has no series %s", series)
	return 0
}

// TestServeEndToEnd builds the real binary, serves a fresh database, uploads good and bad
// files, reads a ranking and a scorecard, watches the progress metrics move, checks that a
// CLI command on the same database is refused with a pointer to the API, and stops the
// server with SIGTERM while an upload is in flight: the upload finishes, the exit status is
// 0, and the database reopens with everything in it.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := testbin.Build(t, ".", dir)
	files := filepath.Join(dir, "files")
	if _, err := synth.Generate(context.Background(), files, synth.Options{Scale: synth.Demo, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(files, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	tokens := map[string]string{"admin": "e2e-admin", "uploader": "e2e-uploader", "evaluator": "e2e-evaluator", "monitor": "e2e-monitor"}
	hash := func(s string) string { return api.FormatHash(sha256.Sum256([]byte(s))) }
	db := filepath.Join(dir, "qiancun.db")
	config := filepath.Join(dir, "qiancun.toml")
	cfg := fmt.Sprintf(`db = "qiancun.db"
max_upload_mb = 1
progress_ttl = "100ms"

[[token]]
name = "e2e admin"
role = "admin"
hash = %q

[[token]]
name = "组织部"
role = "uploader"
templates = ["first_secretary", "villages"]
hash = %q

[[token]]
name = "e2e evaluator"
role = "evaluator"
hash = %q

[[token]]
name = "e2e monitor"
role = "monitor"
hash = %q
`, hash(tokens["admin"]), hash(tokens["uploader"]), hash(tokens["evaluator"]), hash(tokens["monitor"]))
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := testbin.Start(t, bin, "serve", "--config", config, "--addr", "127.0.0.1:0")
	c, stderr := &client{t: t, url: srv.URL}, srv.Stderr

	c.get("/readyz", "", 200)
	mon := tokens["monitor"]
	reached := `qiancun_villages_reached{force="first_secretary"}`
	if v := c.metric(mon, reached); v != 0 {
		t.Fatalf("%s = %v before any upload", reached, v)
	}

	up := tokens["uploader"]
	for _, name := range []string{"帮扶村名册.xlsx", "第一书记工作情况表_2024-05.xlsx"} {
		if rc := c.upload(up, name, read(name), nil, 200); rc.Status != qiancun.Accepted {
			t.Fatalf("%s: %+v", name, rc)
		}
	}
	bad := c.upload(up, "../第一书记工作情况表_2024-06.xlsx", []byte("姓名,身份证号\n张三,123\n"), nil, 200)
	if bad.Status != qiancun.Rejected || len(bad.Issues) == 0 || bad.File != "第一书记工作情况表_2024-06.xlsx" {
		t.Errorf("the bad file's receipt: %+v", bad)
	}
	c.upload(up, "big.xlsx", make([]byte, 2<<20), nil, 413)
	c.upload(up, "法治专员工作表_2024-05.xlsx", read("法治专员工作表_2024-05.xlsx"), nil, 403)

	var page struct {
		Total   int `json:"total"`
		Members []struct {
			ID, Key, Score string
		} `json:"members"`
	}
	ev := tokens["evaluator"]
	if err := json.Unmarshal(c.get("/api/v1/rankings/first_secretary?period=2024-05&limit=50", ev, 200), &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 2383 || len(page.Members) != 50 || !strings.Contains(page.Members[0].Key, "********") {
		t.Fatalf("ranking: total %d, %d members, first key %q", page.Total, len(page.Members), page.Members[0].Key)
	}
	var sc struct {
		Member struct{ ID, Score string }
		Lines  []struct{ Sources []struct{ File string } }
	}
	if err := json.Unmarshal(c.get("/api/v1/members/first_secretary/"+page.Members[0].ID+"/scorecard?period=2024-05", ev, 200), &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Member.ID != page.Members[0].ID || sc.Member.Score != page.Members[0].Score || len(sc.Lines) != 7 ||
		sc.Lines[0].Sources[0].File != "第一书记工作情况表_2024-05.xlsx" {
		t.Errorf("scorecard %+v", sc)
	}

	time.Sleep(150 * time.Millisecond) // the progress cache's TTL
	if v := c.metric(mon, reached); v == 0 {
		t.Errorf("%s did not move", reached)
	}
	for series, want := range map[string]float64{
		`qiancun_members{force="first_secretary"}`:                                          2383,
		`qiancun_reporting_month_submissions_received{template="first_secretary"}`:          1,
		`qiancun_submissions_total{status="accepted",template="first_secretary"}`:           1,
		`qiancun_submissions_total{status="rejected",template="unknown"}`:                   1,
		`qiancun_http_requests_total{code="413",method="POST",route="/api/v1/submissions"}`: 1,
	} {
		if v := c.metric(mon, series); v != want {
			t.Errorf("%s = %v, want %v", series, v, want)
		}
	}

	// A CLI command on the database the server holds is refused at once, pointing to the API.
	out, err := exec.Command(bin, "ingest", "--db", db, filepath.Join(files, "法治专员工作表_2024-05.xlsx")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "qiancun serve") || !strings.Contains(string(out), "/api/v1/submissions") {
		t.Errorf("ingest on a served database: %v\n%s", err, out)
	}

	// SIGTERM with an upload in flight: it finishes, then the server stops cleanly.
	law := read("法治专员工作表_2024-05.xlsx")
	body, ctype := form("法治专员工作表_2024-05.xlsx", law, nil)
	pr, pw := io.Pipe()
	inflight := make(chan qiancun.Receipt, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, c.url+"/api/v1/submissions", pr)
		req.Header.Set("Authorization", "Bearer "+tokens["admin"])
		req.Header.Set("Content-Type", ctype)
		var rc qiancun.Receipt
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&rc)
			resp.Body.Close()
		}
		inflight <- rc
	}()
	whole := body.Bytes()
	pw.Write(whole[:len(whole)/2])
	time.Sleep(300 * time.Millisecond)
	if err := srv.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	pw.Write(whole[len(whole)/2:])
	pw.Close()
	select {
	case rc := <-inflight:
		if rc.Status != qiancun.Accepted {
			t.Errorf("the upload in flight at SIGTERM: %+v", rc)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the upload in flight never finished")
	}
	select {
	case <-srv.Done():
		if err := srv.Err(); err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not stop\n%s", stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, `"msg":"database closed"`) {
		t.Errorf("no clean close in the log:\n%s", log)
	}
	for _, tok := range tokens {
		if strings.Contains(log, tok) {
			t.Errorf("the log holds a token")
		}
	}

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st.Close()
	_, total, err := st.Submissions(context.Background(), store.SubmissionFilter{Status: "accepted"})
	if err != nil || total != 3 {
		t.Errorf("after restart: %d accepted submissions (%v), want 3", total, err)
	}
}

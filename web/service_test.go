package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/internal/testbin"
	"github.com/qiancun/qiancun/synth"
)

// The roles of the tests; each token's text is "tok-" + its label.
const (
	asAdmin    = "admin"
	asUploader = "uploader"
	asEval     = "evaluator"
	asLeader   = "leader"
	asLeaderLC = "leader:370112" // 历城区
	asMonitor  = "monitor"
)

// service is the real binary serving a small database on a random port.
type service struct {
	url    string
	dir    string
	files  string // the generated departmental files
	bin    string
	config string
	stderr *testbin.Log
}

// startService builds the command, writes the demo's files for 2024-04..06, ingests the
// registry, the first secretaries of April and May and the rule-of-law commissioners of
// May with the CLI, and serves the database with one token per role.
func startService(t *testing.T) *service {
	t.Helper()
	dir := t.TempDir()
	s := &service{dir: dir, files: filepath.Join(dir, "files"), bin: testbin.Build(t, "../cmd/qiancun", dir)}
	if _, err := synth.Generate(context.Background(), s.files, synth.Options{Scale: synth.Demo, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "qiancun.db")
	args := []string{"ingest", "--db", db}
	for _, f := range []string{"帮扶村名册.xlsx", "第一书记工作情况表_2024-04.xlsx", "第一书记工作情况表_2024-05.xlsx", "法治专员工作表_2024-05.xlsx"} {
		args = append(args, filepath.Join(s.files, f))
	}
	if out, err := exec.Command(s.bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	key := make([]byte, 32)
	rand.Read(key)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "db = %q\nsession_key = %q\nsession_idle = \"10m\"\n", db, hex.EncodeToString(key))
	for _, tk := range []struct{ label, role, extra string }{
		{asAdmin, "admin", ""},
		{asUploader, "uploader", `templates = ["first_secretary", "villages"]`},
		{asEval, "evaluator", ""},
		{asLeader, "leader", ""},
		{asLeaderLC, "leader", `district = "370112"`},
		{asMonitor, "monitor", ""},
	} {
		fmt.Fprintf(&cfg, "\n[[token]]\nname = %q\nrole = %q\nhash = %q\n%s\n", "测试 "+tk.label, tk.role,
			auth.FormatHash(sha256.Sum256([]byte("tok-"+tk.label))), tk.extra)
	}
	s.config = filepath.Join(dir, "qiancun.toml")
	if err := os.WriteFile(s.config, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := testbin.Start(t, s.bin, "serve", "--config", s.config, "--addr", "127.0.0.1:0")
	s.url, s.stderr = srv.URL, srv.Stderr
	return s
}

// api reads a JSON answer of the API with the role's bearer token.
func (s *service) api(t *testing.T, role, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	req.Header.Set("Authorization", "Bearer tok-"+role)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s as %s: %d %s", path, role, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// apiMember is a member of the API's ranking page.
type apiMember struct {
	ID           string `json:"id"`
	Rank         int    `json:"rank"`
	DistrictRank int    `json:"district_rank"`
	Key          string `json:"key"`
	Name         string `json:"name"`
	District     string `json:"district"`
	DistrictCode string `json:"district_code"`
	Score        string `json:"score"`
	Grade        string `json:"grade"`
	Vetoed       bool   `json:"vetoed"`
}

type apiPage struct {
	Total   int         `json:"total"`
	Members []apiMember `json:"members"`
}

// ranks reads every member's rank of a whole ranking through the API.
func (s *service) ranks(t *testing.T, force, period string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for off := 0; ; off += 1000 {
		var p apiPage
		s.api(t, asEval, fmt.Sprintf("/api/v1/rankings/%s?period=%s&limit=1000&offset=%d", force, period, off), &p)
		for _, m := range p.Members {
			out[m.ID] = m.Rank
		}
		if off+1000 >= p.Total {
			return out
		}
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// client is a browser-less visitor with a cookie jar, for the route × role table.
type client struct {
	t *testing.T
	s *service
	h *http.Client
}

func (s *service) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t, s, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, origin string) (int, http.Header, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.s.url+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.h.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// csrf reads the CSRF token of a page's form.
func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page:\n%.500s", page)
	}
	return m[1]
}

// signIn signs in with the form and returns the status of the POST and where it sends.
func (c *client) signIn(token string) (int, string) {
	c.t.Helper()
	_, _, page := c.do(http.MethodGet, "/login", nil, "")
	code, h, _ := c.do(http.MethodPost, "/login", url.Values{"csrf": {csrf(c.t, page)}, "token": {token}}, c.s.url)
	return code, h.Get("Location")
}

// badFirstSecretary returns the first secretaries' file of 2024-06 with three cells
// spoilt: a 身份证号 with a wrong check digit, text in a number column, and a village code
// that is not in the registry.
func badFirstSecretary(t *testing.T, good string) []byte {
	t.Helper()
	f, err := excelize.OpenFile(good)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	hdr, col := -1, map[string]int{}
	for i, r := range rows {
		for j, v := range r {
			if strings.TrimSpace(v) == "身份证号" {
				hdr = i
			}
			col[strings.TrimSpace(v)] = j
		}
		if hdr >= 0 {
			break
		}
	}
	if hdr < 0 {
		t.Fatal("no header row in the first secretaries' file")
	}
	set := func(row int, header, v string) {
		c, ok := col[header]
		if !ok {
			t.Fatalf("no column %s", header)
		}
		name, _ := excelize.CoordinatesToCellName(c+1, hdr+1+row)
		if err := f.SetCellStr(sheet, name, v); err != nil {
			t.Fatal(err)
		}
	}
	id := rows[hdr+1][col["身份证号"]]
	badID := id[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", id[17])+1)%11])
	if qiancun.ValidID(badID) {
		t.Fatal("the spoilt 身份证号 is valid")
	}
	set(1, "身份证号", badID)
	set(2, "驻村天数", "很多")
	set(3, "村代码", "370112999999")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartBody is a form with the fields and one file, as a browser sends it.
func multipartBody(t *testing.T, fields map[string]string, name string, data []byte) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	return &b, w.FormDataContentType()
}

func execOutput(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

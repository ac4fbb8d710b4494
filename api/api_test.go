package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/metrics"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	code := m.Run()
	if demo.dir != "" {
		os.RemoveAll(demo.dir)
	}
	os.Exit(code)
}

// The callers of the tests: a label, and the token each presents.
const (
	asNone     = ""
	asBad      = "bad"
	asAdmin    = "admin"
	asUploader = "uploader"
	asEval     = "evaluator"
	asLeader   = "leader"
	asLeaderLC = "leader:370112"
	asMonitor  = "monitor"
)

// callers are every label of the route × role table, in its column order.
var callers = []string{asAdmin, asUploader, asEval, asLeader, asLeaderLC, asMonitor, asNone, asBad}

// testTokens are the tokens the test servers accept; each token's text is "tok-" + label.
func testTokens() []api.Token {
	mk := func(label string, t api.Token) api.Token {
		t.Name = "test " + label
		t.Hash = sha256.Sum256([]byte("tok-" + label))
		return t
	}
	return []api.Token{
		mk(asAdmin, api.Token{Role: api.RoleAdmin}),
		mk(asUploader, api.Token{Role: api.RoleUploader, Templates: []string{"first_secretary", "villages"}}),
		mk(asEval, api.Token{Role: api.RoleEvaluator}),
		mk(asLeader, api.Token{Role: api.RoleLeader}),
		mk(asLeaderLC, api.Token{Role: api.RoleLeader, District: "370112"}),
		mk(asMonitor, api.Token{Role: api.RoleMonitor}),
	}
}

// demo holds the demo files, written once for the whole test binary.
var demo struct {
	once  sync.Once
	dir   string
	files map[string]string // base name -> path
	err   error
}

// demoFile returns the path of one demo file (e.g. 帮扶村名册.xlsx).
func demoFile(t testing.TB, name string) string {
	t.Helper()
	demo.once.Do(func() {
		if demo.dir, demo.err = os.MkdirTemp("", "qiancun-api-test-"); demo.err != nil {
			return
		}
		sum, err := synth.Generate(context.Background(), demo.dir, synth.Options{Scale: synth.Demo, Seed: 1})
		if err != nil {
			demo.err = err
			return
		}
		demo.files = map[string]string{}
		for _, f := range sum.Files {
			if !filepath.IsAbs(f) {
				f = filepath.Join(demo.dir, f)
			}
			demo.files[filepath.Base(f)] = f
		}
	})
	if demo.err != nil {
		t.Fatalf("demo files: %v", demo.err)
	}
	p, ok := demo.files[name]
	if !ok {
		t.Fatalf("no demo file %s", name)
	}
	return p
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	registryFile = "帮扶村名册.xlsx"
	ledgerFile   = "产业项目台账.xlsx"
)

// monthFiles are the demo files of one month, one per force.
func monthFiles(month string) []string {
	var out []string
	for _, f := range []string{"第一书记工作情况表", "村企联建情况表", "金融专员工作表", "法治专员工作表", "邮政专员工作表", "科技顾问工作表", "文化顾问工作表"} {
		out = append(out, f+"_"+month+".xlsx")
	}
	return out
}

// testEnv is a server over a real DuckDB database in memory.
type testEnv struct {
	st  *store.Store
	srv *api.Server
	reg *prometheus.Registry
	log *bytes.Buffer // the server's log, JSON lines
	mu  *sync.Mutex   // guards log
}

type envOptions struct {
	files  []string // demo files ingested before serving, in order
	config api.Config
	now    func() time.Time // the publications' clock; nil for time.Now
	db     string           // the database file; in memory when empty
}

func newEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, o.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.New(ts, st, ingest.DefaultLimits())
	for _, f := range o.files {
		rc, err := in.Ingest(ctx, f, readFile(t, demoFile(t, f)), ingest.Options{Uploader: "test"})
		if err != nil || rc.Status != qiancun.Accepted {
			t.Fatalf("ingest %s: %v %+v", f, err, rc)
		}
	}
	packs, err := queries.LoadPacks("")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		t.Fatal(err)
	}
	eng := queries.New(st, packs, rules)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var monthly []string
	for _, tm := range ts.All() {
		if tm.Kind == ingest.KindMonthly {
			monthly = append(monthly, tm.Slug)
		}
	}
	reg.MustRegister(metrics.NewProgress(metrics.Sources{Engine: eng, Store: st}, metrics.ProgressOptions{Templates: monthly}))
	cfg := o.config
	if cfg.Tokens == nil {
		cfg.Tokens = testTokens()
	}
	cfg.Gatherer = reg
	if o.now != nil {
		cfg.Publish = publish.New(st, eng, publish.Options{Now: o.now})
	}
	env := &testEnv{st: st, reg: reg, log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	logger := slog.New(slog.NewJSONHandler(lockedWriter{env.mu, env.log}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if env.srv, err = api.New(logger, st, eng, ts, m, cfg); err != nil {
		t.Fatal(err)
	}
	return env
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (e *testEnv) logText() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.String()
}

// shared is the whole demo database, built once and only read by the tests that use it.
var shared struct {
	once sync.Once
	env  *testEnv
}

// sharedEnv returns the server over the whole demo data. Its tests must not write: a
// POST to it is a dry run.
func sharedEnv(t testing.TB) *testEnv {
	t.Helper()
	shared.once.Do(func() {
		// Built on a testing.TB that outlives the test that asked first.
		shared.env = newEnv(keep{t}, envOptions{files: demoFiles()})
	})
	if shared.env == nil {
		t.Fatal("the shared demo database could not be built")
	}
	return shared.env
}

// demoFiles are the whole demo data: the registry, three months of every force, the ledger.
func demoFiles() []string {
	files := []string{registryFile}
	for _, m := range []string{"2024-04", "2024-05", "2024-06"} {
		files = append(files, monthFiles(m)...)
	}
	return append(files, ledgerFile)
}

// keep is a testing.TB whose cleanups never run: the shared database lives as long as the
// test binary.
type keep struct{ testing.TB }

func (keep) Cleanup(func()) {}

// scenario is one request and what must come back.
type scenario struct {
	name   string
	method string
	path   string
	as     string                     // the caller's label
	body   func() (io.Reader, string) // the body and its content type
	want   int
	check  func(t *testing.T, body []byte)
}

// run sends the scenario's request, checks the status and that the answer conforms to
// the OpenAPI document, then runs the scenario's own checks.
func (e *testEnv) run(t *testing.T, sc scenario) *httptest.ResponseRecorder {
	t.Helper()
	method := sc.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	ctype := ""
	if sc.body != nil {
		body, ctype = sc.body()
	}
	req := httptest.NewRequest(method, sc.path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	switch sc.as {
	case asNone:
	case asBad:
		req.Header.Set("Authorization", "Bearer tok-not-a-token")
	default:
		req.Header.Set("Authorization", "Bearer tok-"+sc.as)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != sc.want {
		t.Fatalf("%s %s as %q: status %d, want %d; body: %.600s", method, sc.path, sc.as, rec.Code, sc.want, rec.Body.String())
	}
	conform(t, method, req.URL.Path, rec)
	if sc.check != nil {
		sc.check(t, rec.Body.Bytes())
	}
	return rec
}

// get is a GET scenario run at once.
func (e *testEnv) get(t *testing.T, path, as string, want int) []byte {
	t.Helper()
	return e.run(t, scenario{path: path, as: as, want: want}).Body.Bytes()
}

// multipartBody builds an upload form: the file part (when name is not "") and fields.
func multipartBody(name string, data []byte, fields map[string]string) func() (io.Reader, string) {
	return func() (io.Reader, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		if name != "" {
			fw, _ := w.CreateFormFile("file", name)
			fw.Write(data)
		}
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			w.WriteField(k, fields[k])
		}
		w.Close()
		return &b, w.FormDataContentType()
	}
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v; body %.300s", v, err, b)
	}
	return v
}

// errorOf returns the error object of an error answer.
func errorOf(t *testing.T, b []byte) api.Error {
	t.Helper()
	v := decode[struct {
		Error *api.Error `json:"error"`
	}](t, b)
	if v.Error == nil {
		t.Fatalf("no error object in %s", b)
	}
	return *v.Error
}

// wantError checks an error answer's code (and param, when given).
func wantError(code, param string) func(t *testing.T, b []byte) {
	return func(t *testing.T, b []byte) {
		t.Helper()
		e := errorOf(t, b)
		if e.Code != code || param != "" && e.Param != param {
			t.Errorf("error = %+v, want code %s param %q", e, code, param)
		}
		if !chinese(e.Message) {
			t.Errorf("error message %q: a user reads it, want it in Chinese", e.Message)
		}
	}
}

// chinese reports whether s has a Han character: a user's message is in Chinese (the
// machine-readable code stays English).
func chinese(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// ---- The OpenAPI document ----

type openAPIDoc struct {
	Paths      map[string]map[string]openAPIOp `json:"paths"`
	Components struct {
		Schemas   map[string]*schema         `json:"schemas"`
		Responses map[string]openAPIResponse `json:"responses"`
	} `json:"components"`
}

type openAPIOp struct {
	Responses map[string]openAPIResponse `json:"responses"`
	Roles     []string                   `json:"x-roles"`
}

type openAPIResponse struct {
	Ref     string `json:"$ref"`
	Content map[string]struct {
		Schema *schema `json:"schema"`
	} `json:"content"`
}

type schema struct {
	Ref        string             `json:"$ref"`
	Type       any                `json:"type"`
	Properties map[string]*schema `json:"properties"`
	Required   []string           `json:"required"`
	Items      *schema            `json:"items"`
}

var doc = func() *openAPIDoc {
	var d openAPIDoc
	if err := json.Unmarshal(api.OpenAPI(), &d); err != nil {
		panic(fmt.Sprintf("openapi.json: %v", err))
	}
	return &d
}()

func (d *openAPIDoc) schema(s *schema) *schema {
	for s != nil && s.Ref != "" {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

func (d *openAPIDoc) response(r openAPIResponse) openAPIResponse {
	if r.Ref != "" {
		return d.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")]
	}
	return r
}

// docPath returns the document's path template that path matches.
func (d *openAPIDoc) docPath(path string) (string, bool) {
	for p := range d.Paths {
		re := "^" + regexp.MustCompile(`\\\{[a-z_]+\\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) {
			return p, true
		}
	}
	return "", false
}

// conform checks an answer against the document: the route exists, the status is
// documented for it, and a JSON body's top-level keys are the schema's properties, with
// every required one present. A path the document does not know must be answered 404 or
// 405.
func conform(t *testing.T, method, path string, rec *httptest.ResponseRecorder) {
	t.Helper()
	p, ok := doc.docPath(path)
	if !ok {
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s %s: not in openapi.json, yet answered %d", method, path, rec.Code)
		}
		return
	}
	op, ok := doc.Paths[p][strings.ToLower(method)]
	if !ok {
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: method not in openapi.json, yet answered %d", method, p, rec.Code)
		}
		return
	}
	r, ok := op.Responses[fmt.Sprint(rec.Code)]
	if !ok {
		t.Errorf("%s %s: status %d is not documented", method, p, rec.Code)
		return
	}
	r = doc.response(r)
	ctype, _, _ := strings.Cut(rec.Header().Get("Content-Type"), ";")
	media, ok := r.Content[ctype]
	if !ok {
		t.Errorf("%s %s %d: content type %q is not documented", method, p, rec.Code, ctype)
		return
	}
	s := doc.schema(media.Schema)
	if ctype != "application/json" || s == nil || s.Properties == nil {
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Errorf("%s %s %d: body is not a JSON object: %v", method, p, rec.Code, err)
		return
	}
	for k := range body {
		if _, ok := s.Properties[k]; !ok {
			t.Errorf("%s %s %d: key %q is not in the documented schema", method, p, rec.Code, k)
		}
	}
	for _, k := range s.Required {
		if _, ok := body[k]; !ok {
			t.Errorf("%s %s %d: required key %q is missing", method, p, rec.Code, k)
		}
	}
}

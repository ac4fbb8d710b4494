// Package api serves the appraisal over HTTP with gin: rankings, scorecards, village
// coverage, progress, projects, submissions (uploads with their receipts) and the
// Prometheus metrics, behind bearer tokens with five roles. All routes are listed in
// routes.go; errors are answered by one function (fail, in errors.go); the OpenAPI document
// is openapi.json, kept true by the tests. See README.md.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/metrics"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

// Store is what the API needs of the database: the ingest sink for uploads, the history,
// and a ping. *store.Store satisfies it.
type Store interface {
	ingest.Sink
	Ping(ctx context.Context) error
	Version() uint64
	Receipt(ctx context.Context, id int64) (*qiancun.Receipt, error)
	Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, int, error)
	MemberCounts(ctx context.Context) (map[qiancun.Force]int64, error)
	TemplateStatuses(ctx context.Context) ([]store.TemplateStatus, error) // for the reporting status
	RawFile(ctx context.Context, sha string) ([]byte, error)              // for the receipt workbook
	// RejectedBytes is the size of the raw files of uploader's rejected submissions.
	RejectedBytes(ctx context.Context, uploader string) (int64, error)
}

// Config is how the server behaves.
type Config struct {
	// Tokens are the bearer tokens it accepts, by hash.
	Tokens []Token
	// MaxUploadBytes bounds an uploaded file; a larger one is answered 413. Default 50 MiB.
	MaxUploadBytes int64
	// Limits bound what the readers take from an uploaded file (rows, columns, unpacked
	// size); zero fields take ingest's defaults, and MaxFileBytes is MaxUploadBytes.
	Limits ingest.Limits
	// MaxConcurrentUploads bounds the uploads checked at once (each costs memory while it
	// is read, and a database writer); more wait their turn. An upload's body is first spooled to a file in
	// Limits.TempDir, without a turn, so a slow sender keeps no one waiting. Default 2.
	MaxConcurrentUploads int
	// MaxConcurrentWorkbooks bounds the workbooks made at once (each is made in memory;
	// a receipt workbook copies at most 100,000 rows of a sheet). Default 2.
	MaxConcurrentWorkbooks int
	// UploadReadTimeout bounds the time an upload's body may take to arrive. Default 10
	// minutes.
	UploadReadTimeout time.Duration
	// RejectedQuotaBytes bounds the raw files of rejected submissions kept per uploader:
	// past it, an upload that would be rejected is checked and answered but not stored.
	// Default 1 GiB; negative: no quota.
	RejectedQuotaBytes int64
	// MemberIDKey keys the opaque member ids (HMAC-SHA256). Give a fixed key to keep ids
	// stable across restarts; when empty a random one is made and ids change on restart.
	MemberIDKey []byte
	// OnFatal is called, once, when the database fails fatally (store.IsFatal: DuckDB
	// refuses every statement until it is opened again). serve then exits, so that its
	// supervisor restarts it on the intact file; meanwhile readyz answers 503.
	OnFatal func(error)
	// Gatherer is served at /metrics; nil serves nothing but an empty page.
	Gatherer prometheus.Gatherer
	// Publish publishes and serves publications; when nil, one is made over the store
	// (which must then be a *store.Store) with the default options.
	Publish *publish.Service
	// Snapshot is the id of the snapshot a read replica serves: it is put in the body of
	// every ranking (a top-level "snapshot" field), so that a client can check that the body
	// and the X-Qiancun-Snapshot header name the same one. Empty on the primary.
	Snapshot string
	// ReadOnly makes the server a read replica's: every request but GET, HEAD and OPTIONS
	// (uploads, publications, objections) is answered 503 with a message naming Primary,
	// the URL writes go to.
	ReadOnly bool
	Primary  string
	// OnWrite, when set, is called after each write request (any method but GET, HEAD and
	// OPTIONS) answered 2xx: the primary's snapshotter listens to it.
	OnWrite func()
	// BenchCeiling adds GET /bench/ceiling, a fixed body of ?bytes=N behind the same
	// middleware, for the load benchmark in bench/.
	BenchCeiling bool
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	log     *slog.Logger
	st      Store
	eng     *queries.Engine
	in      *ingest.Ingester
	ts      *ingest.Templates
	metrics *metrics.Metrics
	cfg     Config
	tokens  *auth.Tokens

	engine *gin.Engine
	views  *views
	pubs   pubViews
	// reporting caches the reporting month per data version.
	reporting reportingCache
	uploads   chan struct{}
	books     chan struct{} // a turn to make a workbook
	reqSeq    atomic.Uint64
	reqPfx    string
	fatal     atomic.Pointer[error] // the database's fatal error, once seen
}

// noteFatal records err when it is the database's fatal error, and tells OnFatal the
// first time. It reports whether err was fatal.
func (s *Server) noteFatal(err error) bool {
	if !store.IsFatal(err) {
		return false
	}
	if s.fatal.CompareAndSwap(nil, &err) {
		s.log.Error("the database failed fatally: it refuses every statement until the service restarts", "err", err)
		if s.cfg.OnFatal != nil {
			s.cfg.OnFatal(err)
		}
	}
	return true
}

// New returns the server. It does not listen: serve Handler with an http.Server.
func New(logger *slog.Logger, st Store, eng *queries.Engine, ts *ingest.Templates, m *metrics.Metrics, cfg Config) (*Server, error) {
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 50 << 20
	}
	if cfg.MaxConcurrentUploads <= 0 {
		cfg.MaxConcurrentUploads = 2
	}
	if cfg.MaxConcurrentWorkbooks <= 0 {
		cfg.MaxConcurrentWorkbooks = 2
	}
	if cfg.UploadReadTimeout <= 0 {
		cfg.UploadReadTimeout = 10 * time.Minute
	}
	if cfg.RejectedQuotaBytes == 0 {
		cfg.RejectedQuotaBytes = 1 << 30
	}
	cfg.Limits.MaxFileBytes = cfg.MaxUploadBytes
	if len(cfg.MemberIDKey) == 0 {
		cfg.MemberIDKey = make([]byte, 32)
		if _, err := rand.Read(cfg.MemberIDKey); err != nil {
			return nil, err
		}
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = prometheus.NewRegistry()
	}
	tokens, err := auth.NewTokens(cfg.Tokens, func(s string) bool { return ts.Get(s) != nil })
	if err != nil {
		return nil, err
	}
	var pfx [4]byte
	_, _ = rand.Read(pfx[:])
	s := &Server{
		log: logger, st: st, eng: eng, ts: ts, metrics: m, cfg: cfg, tokens: tokens,
		views:   newViews(cfg.MemberIDKey, cfg.Snapshot),
		uploads: make(chan struct{}, cfg.MaxConcurrentUploads),
		books:   make(chan struct{}, cfg.MaxConcurrentWorkbooks),
		reqPfx:  hex.EncodeToString(pfx[:]),
	}
	if s.cfg.Publish == nil {
		ss, ok := st.(*store.Store)
		if !ok {
			return nil, fmt.Errorf("api: Config.Publish is required when the store is not a *store.Store")
		}
		s.cfg.Publish = publish.New(ss, eng, publish.Options{})
	}
	s.in = ingest.New(ts, guardedSink{st}, cfg.Limits)
	s.engine = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return headAsGet(s.engine) }

// headAsGet answers HEAD as the GET of the same URL without its body: gin routes only the
// methods registered, and would answer 405 to the HEAD that nginx sends to the replicas and
// that monitors and link checkers ask.
func headAsGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		get := r.Clone(r.Context())
		get.Method = http.MethodGet
		h.ServeHTTP(bodiless{w}, get)
	})
}

// bodiless drops the body written to it (net/http would for a HEAD; a recorder would not).
type bodiless struct{ http.ResponseWriter }

func (b bodiless) Write(p []byte) (int, error) { return len(p), nil }

// Unwrap lets http.ResponseController reach the connection's writer.
func (b bodiless) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// Mount adds routes to the server's engine (the pages of web/), behind the same request
// ids, logs, metrics and panic recovery as the API's. Call it before serving.
func (s *Server) Mount(add func(e *gin.Engine)) { add(s.engine) }

// Tokens are the tokens the server accepts.
func (s *Server) Tokens() *auth.Tokens { return s.tokens }

// Templates are the templates the server ingests.
func (s *Server) Templates() *ingest.Templates { return s.ts }

// Rules are the appraisal rules in force.
func (s *Server) Rules() *qiancun.Rules { return s.eng.Rules() }

// SetCaller records who makes the request (a page's session holder), for the logs.
func SetCaller(c *gin.Context, who *Token) { c.Set(callerKey, &caller{who}) }

// Routes lists the routes as "METHOD /path/{param}", for the documentation tests.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.engine.Routes() {
		out = append(out, r.Method+" "+openAPIPath(r.Path))
	}
	return out
}

const requestIDKey = "qiancun.request_id"

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// routeOf is the route pattern of the request, or "unmatched": what logs and metrics name,
// never the raw path, which may hold a member key.
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// observe gives the request an id, and after it is answered logs it (route pattern, never
// the path, the query, the token or the body) and counts it in the metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	id := s.reqPfx + "-" + strconv.FormatUint(s.reqSeq.Add(1), 10)
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
	d := time.Since(start)
	route, status := routeOf(c), c.Writer.Status()
	if s.cfg.OnWrite != nil && isWrite(c.Request.Method) && status >= 200 && status < 300 {
		s.cfg.OnWrite()
	}
	if s.metrics != nil {
		s.metrics.ObserveRequest(route, c.Request.Method, status, d)
	}
	if s.log.Enabled(c.Request.Context(), slog.LevelInfo) {
		role := ""
		if cl := callerOf(c); cl != nil {
			role = string(cl.tok.Role)
		}
		s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("method", c.Request.Method), slog.String("route", route), slog.Int("status", status),
			slog.Duration("duration", d), slog.Int("bytes", c.Writer.Size()), slog.String("role", role),
			slog.String("request_id", id))
	}
}

// secureHeaders sets the headers every answer carries: nosniff, so that no browser takes a
// JSON body or a workbook for a page; and no-store, so that no browser or proxy keeps an
// answer that may carry names and (masked) 身份证号. Only the OpenAPI document, the same
// for everyone, may be cached.
func secureHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if c.Request.URL.Path != "/api/v1/openapi.json" {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// recoverPanic answers a panicking handler 500 and logs the panic once, with its stack.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		s.log.Error("panic", "route", routeOf(c), "method", c.Request.Method, "request_id", requestID(c),
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		c.Abort()
		s.fail(c, errInternal(c))
	}()
	c.Next()
}

// guardedSink refuses to read or write a template outside the uploader's scope carried by
// the context (see withScope), so that an uploader's file of another department's template
// is refused before anything is stored.
type guardedSink struct{ ingest.Sink }

func (g guardedSink) Current(ctx context.Context, template, period, sha string) (*qiancun.Receipt, bool, error) {
	if !inScope(ctx, template) {
		return nil, false, errOutOfScope(template)
	}
	return g.Sink.Current(ctx, template, period, sha)
}

func (g guardedSink) Begin(ctx context.Context, t *ingest.Template) (ingest.Tx, error) {
	if t != nil && !inScope(ctx, t.Slug) {
		return nil, errOutOfScope(t.Slug)
	}
	return g.Sink.Begin(ctx, t)
}

// isWrite tells whether a request of this method may change the data.
func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// readOnly answers a write to a read replica 503, naming the primary to send it to.
func (s *Server) readOnly(c *gin.Context) {
	if !isWrite(c.Request.Method) {
		c.Next()
		return
	}
	primary := s.cfg.Primary
	if primary == "" {
		primary = "主节点"
	}
	c.Abort()
	s.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: codeReadOnly,
		Message: "这是只读副本：上传、发布和异议请发往主节点 " + primary})
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/metrics"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/replica"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/web"
)

func runServe(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "serve", "--db PATH [--addr HOST:PORT] [--config FILE] [--dev]",
		`Serves the database over HTTP: the pages for people at / (sign in at /login with a
token; see web/README.md), the JSON API under /api/v1 (see api/README.md and
/api/v1/openapi.json), /metrics for Prometheus, /healthz and /readyz. Bearer tokens are
declared, as hashes, in the config file (make them with 'qiancun token').

It prints "url http://HOST:PORT" on standard output once it listens (with --addr
127.0.0.1:0 the system picks the port), and logs to standard error. SIGINT or SIGTERM
stops it: requests in flight finish, then the database is closed cleanly.

With --snapshots DIR it also writes a snapshot of the database there after each change
(debounced), for read replicas. With --replica --snapshots DIR (and no --db) it is a read
replica: it serves the newest snapshot of DIR that verifies, read-only, and swaps to newer
ones as they appear (see deploy/README.md).`)
	sf := addServeFlags(fs, e)
	db := fs.String("db", "", "database file (required here or in the config file)")
	config := fs.String("config", "", "configuration file (TOML): tokens, limits, paths")
	rules := fs.String("rules", "", "appraisal rules file (default: the built-in rules)")
	packs := fs.String("packs", "", "directory of query packs that override or add to the built-in ones")
	templates := fs.String("templates", "", "directory of templates that override or add to the built-in ones")
	snapshots := fs.String("snapshots", "", "snapshots directory: the primary writes a snapshot there after each change (debounced); with --replica, where the replica reads them")
	keep := fs.Int("keep-snapshots", 0, "snapshots the primary keeps (default 5)")
	debounce := fs.Duration("snapshot-debounce", 0, "how long the primary waits for more changes before it takes a snapshot (default 2s)")
	replicaMode := fs.Bool("replica", false, "serve as a read replica: the newest verified snapshot of --snapshots, read-only, swapped when a newer one appears")
	primary := fs.String("primary", "", "with --replica: the primary's URL, named in the answer to a write")
	poll := fs.Duration("poll", 0, "with --replica: how often to look for a newer snapshot (default 1s)")
	bundles := fs.String("bundles", "", "directory every new publication's bundle (Parquet + manifest.json) is written under")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	cfg := &serverConfig{}
	if *config != "" {
		var err error
		if cfg, err = loadConfig(*config); err != nil {
			return fail(e, exitUsage, "%v", err)
		}
	}
	// Flags given on the command line win over the file.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, x := range []struct {
		flag string
		val  *string
		dst  *string
	}{{"db", db, &cfg.DB}, {"rules", rules, &cfg.Rules}, {"packs", packs, &cfg.Packs}, {"templates", templates, &cfg.Templates},
		{"bundles", bundles, &cfg.Bundles}, {"snapshots", snapshots, &cfg.Snapshots}, {"primary", primary, &cfg.PrimaryURL}} {
		if set[x.flag] {
			*x.dst = *x.val
		}
	}
	opt, err := sf.options(cfg, set)
	if err != nil {
		return fail(e, exitUsage, "serve: %v", err)
	}
	if opt.api.Tokens, err = cfg.tokens(); err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	if set["keep-snapshots"] {
		cfg.KeepSnapshots = *keep
	}
	if *keep < 0 || *debounce < 0 || *poll < 0 {
		return fail(e, exitUsage, "serve: --keep-snapshots, --snapshot-debounce and --poll must not be negative")
	}
	opt.snapshots, opt.keepSnapshots, opt.debounce, opt.poll = cfg.Snapshots, cfg.KeepSnapshots, *debounce, *poll
	opt.packs, opt.rules, opt.bundles = cfg.Packs, cfg.Rules, cfg.Bundles
	if *replicaMode || cfg.Replica {
		if cfg.Snapshots == "" {
			return fail(e, exitUsage, "serve: --replica needs --snapshots DIR (or snapshots in the config file)")
		}
		if set["db"] {
			return fail(e, exitUsage, "serve: a replica serves snapshots, not a database file: drop --db")
		}
		ts, err := ingest.LoadTemplates(cfg.Templates)
		if err != nil {
			return fail(e, exitUsage, "%v", err)
		}
		opt.api.ReadOnly, opt.api.Primary = true, cfg.PrimaryURL
		return serveReplica(ctx, e, ts, opt)
	}
	if cfg.DB == "" {
		return fail(e, exitUsage, "serve: --db is required (or db in the config file)")
	}
	ts, err := ingest.LoadTemplates(cfg.Templates)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	// Large sheets and upload bodies go to a directory of our own, swept of what a killed
	// process left there.
	if opt.api.Limits.TempDir, err = ownTempDir(cfg.DB); err != nil {
		st.Close()
		return fail(e, exitRejected, "%v", err)
	}
	return serve(ctx, e, st, ts, opt)
}

// watchdog pings the database every 15 seconds until ctx ends, and calls stop with the
// error of a ping that finds it failed fatally.
func watchdog(ctx context.Context, st *store.Store, stop context.CancelCauseFunc) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := st.Ping(pctx)
			cancel()
			if store.IsFatal(err) {
				stop(err)
				return
			}
		}
	}
}

// serveFlags are the flags serve and demo share.
type serveFlags struct {
	addr         *string
	dev          *bool
	logLevel     *string
	maxUploadMB  *int64
	benchCeiling *bool
	getenv       func(string) string
}

func addServeFlags(fs *flag.FlagSet, e *env) *serveFlags {
	return &serveFlags{
		addr:         fs.String("addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free one"),
		dev:          fs.Bool("dev", false, "development mode: gin debug mode and text logs (also QIANCUN_DEV=1)"),
		logLevel:     fs.String("log-level", "", "debug, info (default), warn or error"),
		maxUploadMB:  fs.Int64("max-upload-mb", 0, "largest file accepted by POST /api/v1/submissions, in MiB (default 50)"),
		benchCeiling: fs.Bool("bench-ceiling", false, "also serve GET /bench/ceiling?bytes=N, a fixed body, for the load benchmark in bench/"),
		getenv:       e.getenv,
	}
}

// serveOptions is everything serve needs beyond the store and the templates.
type serveOptions struct {
	addr         string
	dev          bool
	level        slog.Level
	packs, rules string
	bundles      string // where publications' bundles are written; "" for none
	api          api.Config
	// announce, when set, prints what a script needs once the server listens (the demo's
	// tokens); the URL line is always printed first.
	announce func(w io.Writer)
	// progressTTL is how long the progress metrics are cached; 0: the collector's default.
	progressTTL time.Duration
	// snapshots is the snapshots directory: the primary writes there (none when empty), a
	// replica reads from there.
	snapshots     string
	keepSnapshots int
	debounce      time.Duration
	// poll is how often a replica looks for a newer snapshot.
	poll time.Duration
	// session is how the pages' sessions are signed and how long they last; a nil key is
	// made at random (sessions then end with the process).
	session       auth.SessionOptions
	secureCookies bool
}

// options merges the flags with the config file: a flag given wins.
func (sf *serveFlags) options(cfg *serverConfig, set map[string]bool) (serveOptions, error) {
	o := serveOptions{addr: *sf.addr, dev: *sf.dev}
	if !set["addr"] && cfg.Addr != "" {
		o.addr = cfg.Addr
	}
	if !set["dev"] {
		o.dev = cfg.Dev
	}
	if v := sf.getenv("QIANCUN_DEV"); v != "" {
		if on, err := strconv.ParseBool(v); err == nil && on {
			o.dev = true
		}
	}
	lvl := *sf.logLevel
	if lvl == "" {
		lvl = cfg.LogLevel
	}
	var err error
	if o.level, err = parseLevel(lvl); err != nil {
		return o, err
	}
	mb := *sf.maxUploadMB
	if !set["max-upload-mb"] && cfg.MaxUploadMB > 0 {
		mb = cfg.MaxUploadMB
	}
	if mb < 0 {
		return o, fmt.Errorf("--max-upload-mb must be positive")
	}
	if mb == 0 {
		mb = 50
	}
	o.api.MaxUploadBytes = mb << 20
	switch {
	case cfg.RejectedMB < 0:
		o.api.RejectedQuotaBytes = -1
	case cfg.RejectedMB > 0:
		o.api.RejectedQuotaBytes = cfg.RejectedMB << 20
	}
	o.api.BenchCeiling = *sf.benchCeiling
	if o.api.MemberIDKey, err = cfg.memberIDKey(); err != nil {
		return o, err
	}
	if o.progressTTL, err = cfg.progressTTL(); err != nil {
		return o, err
	}
	if o.session.Key, err = cfg.sessionKey(); err != nil {
		return o, err
	}
	if o.session.Idle, o.session.MaxAge, err = cfg.sessionDurations(); err != nil {
		return o, err
	}
	o.secureCookies = cfg.Secure
	return o, nil
}

// serve wires the engine, the metrics and the API over st, listens, and serves until ctx
// ends; then it lets the requests in flight finish and closes st, which it owns.
func serve(ctx context.Context, e *env, st *store.Store, ts *ingest.Templates, o serveOptions) (code int) {
	h, logger := newLogger(e, o)
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("close the database", "err", err)
			code = exitRejected
			return
		}
		logger.Info("database closed")
	}()

	packs, err := queries.LoadPacks(o.packs)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	rules, err := queries.LoadRules(o.rules, ts.ForceIndicators())
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	eng := queries.New(st, packs, rules)

	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var all, monthly []string
	for _, t := range ts.All() {
		all = append(all, t.Slug)
		if t.Kind == ingest.KindMonthly {
			monthly = append(monthly, t.Slug)
		}
	}
	m.Init(all)
	reg.MustRegister(metrics.NewProgress(metrics.Sources{Engine: eng, Store: st}, metrics.ProgressOptions{Templates: monthly, TTL: o.progressTTL, Logger: logger}))
	// Seed the last-accepted gauges from the history, so that a restart does not blank them.
	sts, err := st.TemplateStatuses(ctx)
	if err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	for _, s := range sts {
		m.SetLastAccepted(s.Template, s.LastAccepted)
	}
	reg.MustRegister(metrics.NewPublications(st, nil, logger))
	o.api.Gatherer = reg
	o.api.Publish = publish.New(st, eng, publish.Options{Now: e.now, Program: programVersion(), Bundles: o.bundles})
	if err := o.api.Publish.SealLogs(ctx); err != nil { // log rows written before migration 021
		return fail(e, exitRejected, "%v", err)
	}

	// A fatal failure of the database (a checkpoint on a full disk) leaves DuckDB refusing
	// every statement until it is opened again: the server then shuts down and exits 1, so
	// that its supervisor (systemd's Restart=on-failure) starts it again on the intact file.
	// The API reports it when a request meets it; a watchdog pings meanwhile.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	o.api.OnFatal = func(err error) { stop(err) }
	go watchdog(ctx, st, stop)

	// The snapshotter writes one at start, then one after each burst of writes; it stops
	// before the database is closed.
	var snapshotter *replica.Snapshotter
	if o.snapshots != "" {
		snaps := metrics.NewPrimarySnapshots(reg)
		snapshotter = replica.NewSnapshotter(st, replica.SnapshotterOptions{
			Dir: o.snapshots, Keep: o.keepSnapshots, Debounce: o.debounce, Logger: logger, Publications: latestPublications(st),
			Written: func(m *replica.Manifest, took time.Duration) { snaps.Written(m.CreatedAt, took) },
			Failed:  func(error) { snaps.WriteFailed() },
		})
		o.api.OnWrite = snapshotter.Changed
	}

	srv, err := api.New(logger, st, eng, ts, m, o.api)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	sessions, err := newSessions(o, logger)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	pages, err := web.New(srv, web.Options{Sessions: sessions, SecureCookies: o.secureCookies, Logger: logger})
	if err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	srv.Mount(pages.Mount)
	if snapshotter != nil {
		sctx, stopSnapshots := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); snapshotter.Run(sctx) }()
		defer func() { stopSnapshots(); <-done }()
	}
	return listenAndServe(ctx, e, h, logger, srv.Handler(), o)
}

// newSessions makes the signer of the pages' sessions. Without a session_key one is made
// at random: sessions then end with the process, and a session of one replica is unknown
// to the others.
func newSessions(o serveOptions, logger *slog.Logger) (*auth.Sessions, error) {
	if len(o.session.Key) == 0 {
		o.session.Key = make([]byte, 32)
		if _, err := rand.Read(o.session.Key); err != nil {
			return nil, err
		}
		logger.Warn("no session_key configured: page sessions are signed with a random key and end when the server stops")
	}
	return auth.NewSessions(o.session)
}

// newLogger makes the server's logger: JSON lines on standard error, text with --dev.
func newLogger(e *env, o serveOptions) (slog.Handler, *slog.Logger) {
	var h slog.Handler
	if o.dev {
		h = slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: o.level})
		gin.SetMode(gin.DebugMode)
	} else {
		h = slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: o.level})
		gin.SetMode(gin.ReleaseMode)
	}
	// gin's own debug output goes where the logs go, never to standard output, which
	// scripts read.
	gin.DefaultWriter, gin.DefaultErrorWriter = e.stderr, e.stderr
	return h, slog.New(h)
}

// listenAndServe serves handler on o.addr until ctx ends, then lets the requests in flight
// finish.
func listenAndServe(ctx context.Context, e *env, h slog.Handler, logger *slog.Logger, handler http.Handler, o serveOptions) int {
	if len(o.api.Tokens) == 0 {
		logger.Warn("no tokens configured: every route but the probes and the OpenAPI document answers 401; make one with `qiancun token`")
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fail(e, exitRejected, "listen: %v", err)
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request, body included, must arrive within this: an upload of the
		// largest size at 100 KB/s. A slow upload never holds an upload slot meanwhile
		// (the body is spooled before the slot is taken).
		ReadTimeout: 10 * time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(h, slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "url %s\n", url)
	if o.announce != nil {
		o.announce(e.stdout)
	}
	logger.Info("serving", "url", url, "tokens", len(o.api.Tokens), "max_upload_bytes", o.api.MaxUploadBytes)

	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fail(e, exitRejected, "serve: %v", err)
	case <-ctx.Done():
	}
	fatal := store.IsFatal(context.Cause(ctx))
	if fatal {
		logger.Error("the database failed fatally: exiting so that the supervisor restarts the service", "err", context.Cause(ctx))
	}
	logger.Info("shutting down: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		return exitRejected
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serve", "err", err)
		return exitRejected
	}
	logger.Info("stopped")
	if fatal {
		return exitRejected
	}
	return exitOK
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/metrics"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/replica"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/web"
)

func runSnapshot(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "snapshot", "--db PATH --out DIR [--keep N]",
		`Writes a snapshot of the database: a consistent Parquet export of every table (facts,
registry, submissions and their history, raw files, publications) in a new subdirectory of
DIR named by the time it was taken, with a manifest.json giving every file's SHA-256, the
store version and the latest publication per force. The subdirectory appears whole, by an
atomic rename. Read replicas ('qiancun serve --replica --snapshots DIR') serve it.

The database must not be held by a running server: a serving primary takes its own
snapshots ('qiancun serve --snapshots DIR'). Prints "snapshot ID" on standard output.`)
	db := fs.String("db", "", "database file (required)")
	out := fs.String("out", "", "snapshots directory (required); created if need be")
	keep := fs.Int("keep", 0, "keep only the newest N snapshots of DIR (default: keep all)")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if *db == "" || *out == "" {
		return fail(e, exitUsage, "snapshot: --db and --out are required")
	}
	st, err := store.Open(ctx, *db)
	if errors.Is(err, store.ErrLocked) {
		return fail(e, exitRejected, "%v\n(a serving primary writes its own snapshots: restart it with --snapshots %s)", err, *out)
	}
	if err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	defer st.Close()
	m, err := replica.Write(ctx, st, *out, replica.WriteOptions{Publications: latestPublications(st)})
	if err != nil {
		return fail(e, exitRejected, "snapshot: %v", err)
	}
	if *keep > 0 {
		if err := replica.Prune(*out, *keep, time.Now()); err != nil {
			return fail(e, exitRejected, "snapshot: prune: %v", err)
		}
	}
	fmt.Fprintf(e.stdout, "snapshot %s\n", m.ID)
	return exitOK
}

// serveReplica serves the snapshots of o.snapshots as a read replica until ctx ends: each
// snapshot is loaded into an in-memory database of its own, with its own engine and API
// server over it; the replica swaps between them (see package replica).
func serveReplica(ctx context.Context, e *env, ts *ingest.Templates, o serveOptions) int {
	h, logger := newLogger(e, o)
	packs, err := queries.LoadPacks(o.packs)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	rules, err := queries.LoadRules(o.rules, ts.ForceIndicators())
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var all []string
	for _, t := range ts.All() {
		all = append(all, t.Slug)
	}
	m.Init(all)
	snaps := metrics.NewReplicaSnapshots(reg)
	o.api.Gatherer = reg
	// The API checks its configuration (the tokens) when it is made: check it now, over an
	// empty database, not at the first snapshot.
	empty, err := store.Open(ctx, "")
	if err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	_, err = api.New(logger, empty, queries.New(empty, packs, rules), ts, m, o.api)
	empty.Close()
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}

	// One signer of sessions for every snapshot: a session outlives a swap, and, with the
	// session_key of the config shared by the primary and the replicas, a restart and a
	// move to another replica.
	sessions, err := newSessions(o, logger)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	load := func(ctx context.Context, dir string, man *replica.Manifest) (*replica.Backend, error) {
		st, err := store.Open(ctx, "")
		if err != nil {
			return nil, err
		}
		if err := st.LoadExport(ctx, dir); err != nil {
			st.Close()
			return nil, err
		}
		cfg := o.api
		cfg.Snapshot = man.ID
		eng := queries.New(st, packs, rules)
		// The publications are read from the snapshot; the replica writes none (no bundles).
		cfg.Publish = publish.New(st, eng, publish.Options{Now: e.now, Program: programVersion()})
		srv, err := api.New(logger, st, eng, ts, m, cfg)
		if err != nil {
			st.Close()
			return nil, err
		}
		pages, err := web.New(srv, web.Options{Sessions: sessions, SecureCookies: o.secureCookies, Logger: logger})
		if err != nil {
			st.Close()
			return nil, err
		}
		srv.Mount(pages.Mount)
		warm(ctx, logger, st, eng, time.Second)
		return &replica.Backend{Handler: srv.Handler(), Close: st.Close}, nil
	}
	rs := replica.New(replica.Options{
		Dir: o.snapshots, Poll: o.poll, StoreVersion: store.SchemaVersion(), Load: load, Logger: logger,
		NotReady: api.NotReady("this replica has not loaded a snapshot yet"),
		Loaded:   func(man *replica.Manifest) { snaps.Loaded(man.CreatedAt) },
		Refused:  func(string, error) { snaps.Refused() },
	})
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); rs.Run(rctx) }()
	logger.Info("replica", "snapshots", o.snapshots, "primary", o.api.Primary)
	code := listenAndServe(ctx, e, h, logger, rs, o)
	stop()
	<-done
	rs.Close()
	logger.Info("snapshots closed")
	return code
}

// warm ranks every force for the latest month with data, its quarter and the quarter's
// earlier months before a snapshot is served, so that the first requests after a swap do
// not all wait on the same computations; it gives up after limit (the rest is then
// computed on demand). Failures are only logged: the requests will meet them and answer
// them.
func warm(ctx context.Context, logger *slog.Logger, st *store.Store, eng *queries.Engine, limit time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	sts, err := st.TemplateStatuses(ctx)
	if err != nil {
		logger.Warn("warm up", "err", err)
		return
	}
	latest := ""
	for _, s := range sts {
		latest = max(latest, s.LastMonth)
	}
	m, err := qiancun.ParseMonth(latest)
	if err != nil {
		return // no monthly data yet
	}
	// The quarter, then its months up to the latest, newest first.
	periods := []string{fmt.Sprintf("%04d-Q%d", m.Year, (m.Month-1)/3+1)}
	for mo := m.Month; mo > (m.Month-1)/3*3; mo-- {
		periods = append(periods, qiancun.Month{Year: m.Year, Month: mo}.String())
	}
	for _, p := range periods {
		if _, err := eng.RankAll(ctx, p); err != nil {
			logger.Warn("warm up", "period", p, "err", err)
			return
		}
	}
	logger.Debug("warmed up", "month", latest, "took", time.Since(start))
}

// latestPublications reads the latest publication of each force for a snapshot's manifest.
func latestPublications(st *store.Store) replica.Publications {
	return func(ctx context.Context) (map[string]replica.Publication, error) {
		ps, err := st.Publications(ctx, store.PublicationFilter{})
		if err != nil {
			return nil, err
		}
		return replica.LatestPublications(ps), nil
	}
}

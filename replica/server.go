package replica

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// HeaderSnapshot names, on every answer of a replica, the snapshot that answered it.
const HeaderSnapshot = "X-Qiancun-Snapshot"

// Backend is a loaded snapshot ready to serve: its handler (the API over a database holding
// the snapshot, with the snapshot's id in its answers) and how to release it.
type Backend struct {
	Handler http.Handler
	// Close releases the database; it is called once, after the last request on the
	// backend has finished.
	Close func() error
}

// Loader loads the verified snapshot in dir, described by m, into a database of the
// replica's own and returns the backend that serves it.
type Loader func(ctx context.Context, dir string, m *Manifest) (*Backend, error)

// Options steer a Server.
type Options struct {
	// Dir is the snapshots directory the primary writes to.
	Dir string
	// Poll is how often Dir is looked at for a newer snapshot; default 1 s.
	Poll time.Duration
	// StoreVersion is the store version of this build; a snapshot of another is refused.
	// Zero accepts any.
	StoreVersion int
	// Load loads a snapshot.
	Load Loader
	// NotReady answers every request while no snapshot is loaded (503).
	NotReady http.Handler
	// Loaded is told of each snapshot the replica starts serving, Refused of each it
	// refuses (the metrics).
	Loaded  func(m *Manifest)
	Refused func(id string, err error)
	Logger  *slog.Logger
}

// Server is a read replica: an http.Handler that serves the newest snapshot it has loaded,
// and a loop that loads newer ones. It is safe for concurrent use.
type Server struct {
	opt Options
	cur atomic.Pointer[generation]

	mu       sync.Mutex // one Check at a time
	refused  map[string]bool
	retiring sync.WaitGroup
}

// generation is one loaded snapshot and the requests it is answering.
type generation struct {
	m *Manifest
	b *Backend

	mu      sync.Mutex
	refs    int
	retired bool
	drained chan struct{} // closed when retired and refs is 0
}

// New returns a replica with no snapshot loaded; Run (or Check) loads one.
func New(opt Options) *Server {
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.NotReady == nil {
		opt.NotReady = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no snapshot loaded yet", http.StatusServiceUnavailable)
		})
	}
	return &Server{opt: opt, refused: map[string]bool{}}
}

// ServeHTTP answers r from the current snapshot, naming it in the X-Qiancun-Snapshot
// header; the snapshot stays open until the answer is complete, however soon a newer one
// replaces it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := s.acquire()
	if g == nil {
		s.opt.NotReady.ServeHTTP(w, r)
		return
	}
	defer g.release()
	w.Header().Set(HeaderSnapshot, g.m.ID)
	g.b.Handler.ServeHTTP(w, r)
}

// Current returns the manifest of the snapshot served, or nil before the first is loaded.
func (s *Server) Current() *Manifest {
	if g := s.cur.Load(); g != nil {
		return g.m
	}
	return nil
}

// acquire returns the current generation with one more request on it, or nil when none is
// loaded. A generation retired between the load and the count is passed over for its
// successor, which is already current.
func (s *Server) acquire() *generation {
	for range 1000 {
		g := s.cur.Load()
		if g == nil {
			return nil
		}
		g.mu.Lock()
		ok := !g.retired
		if ok {
			g.refs++
		}
		g.mu.Unlock()
		if ok {
			return g
		}
	}
	return nil // unreachable in practice: a swap happens at most once per poll
}

func (g *generation) release() {
	g.mu.Lock()
	g.refs--
	if g.retired && g.refs == 0 {
		close(g.drained)
	}
	g.mu.Unlock()
}

// retire stops new requests from starting on g and returns when the last one has finished.
func (g *generation) retire() {
	g.mu.Lock()
	g.retired = true
	if g.refs == 0 {
		close(g.drained)
	}
	g.mu.Unlock()
	<-g.drained
}

// Run loads the newest snapshot that verifies, then looks for a newer one every poll
// period until ctx ends. Close the server after Run returns.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for {
		if err := s.Check(ctx); err != nil && ctx.Err() == nil {
			s.opt.Logger.Error("look for snapshots", "dir", s.opt.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check loads the newest snapshot newer than the one served that verifies and loads, and
// swaps to it. A snapshot that does not verify or load is refused, once: the reason is
// logged and the replica keeps serving what it served. It returns an error only when the
// snapshots directory cannot be read or ctx ended.
func (s *Server) Check(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := List(s.opt.Dir)
	if err != nil {
		return err
	}
	cur := s.Current()
	serving := ""
	if cur != nil {
		serving = cur.ID
	}
	for _, id := range ids {
		if id <= serving {
			break
		}
		if s.refused[id] {
			continue
		}
		dir := filepath.Join(s.opt.Dir, id)
		start := time.Now()
		b, m, err := s.load(ctx, dir)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.refused[id] = true
			s.opt.Logger.Error("snapshot refused", "id", id, "reason", err.Error(), "serving", serving)
			if s.opt.Refused != nil {
				s.opt.Refused(id, err)
			}
			continue
		}
		s.swap(&generation{m: m, b: b, drained: make(chan struct{})})
		s.opt.Logger.Info("snapshot loaded", "id", id, "previous", serving, "took", time.Since(start))
		if s.opt.Loaded != nil {
			s.opt.Loaded(m)
		}
		return nil
	}
	return nil
}

func (s *Server) load(ctx context.Context, dir string) (*Backend, *Manifest, error) {
	m, err := Verify(dir)
	if err != nil {
		return nil, nil, err
	}
	if s.opt.StoreVersion != 0 && m.StoreVersion != s.opt.StoreVersion {
		return nil, nil, fmt.Errorf("the snapshot has store version %d, this build %d: run the same release on the primary and the replicas", m.StoreVersion, s.opt.StoreVersion)
	}
	b, err := s.opt.Load(ctx, dir, m)
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	return b, m, nil
}

// swap makes g current and closes the generation it replaces once that one's requests
// have drained.
func (s *Server) swap(g *generation) {
	old := s.cur.Swap(g)
	if old != nil {
		s.retire(old)
	}
}

func (s *Server) retire(g *generation) {
	s.retiring.Add(1)
	go func() {
		defer s.retiring.Done()
		g.retire()
		if err := g.b.Close(); err != nil {
			s.opt.Logger.Error("close snapshot", "id", g.m.ID, "err", err)
			return
		}
		s.opt.Logger.Info("snapshot closed", "id", g.m.ID)
	}()
}

// Close stops serving (later requests are answered as before the first load), and returns
// once every loaded snapshot has drained and been closed. Call it after the HTTP server has
// shut down.
func (s *Server) Close() {
	s.mu.Lock()
	if old := s.cur.Swap(nil); old != nil {
		s.retire(old)
	}
	s.mu.Unlock()
	s.retiring.Wait()
}

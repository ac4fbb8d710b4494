package replica

import (
	"context"
	"log/slog"
	"time"
)

// SnapshotterOptions steer a Snapshotter.
type SnapshotterOptions struct {
	// Dir is the snapshots directory.
	Dir string
	// Keep is how many snapshots are kept; older ones are removed. Default 5.
	Keep int
	// Debounce is how long the snapshotter waits after a change for more changes before it
	// takes a snapshot; default 2 s. However often changes come, a snapshot is taken at
	// most 10 debounce periods after the first change not in a snapshot.
	Debounce time.Duration
	// Publications, when set, fills the manifests' latest publications.
	Publications Publications
	// Written is told of each snapshot written (the metrics).
	Written func(m *Manifest, took time.Duration)
	// Failed is told of each snapshot that could not be written.
	Failed func(err error)
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Snapshotter writes a snapshot of a primary's database after it changes, debounced, and
// keeps the newest few. Changed is safe to call from any goroutine; Run runs the loop.
type Snapshotter struct {
	src     Exporter
	opt     SnapshotterOptions
	changed chan struct{}
}

// NewSnapshotter returns a snapshotter of src.
func NewSnapshotter(src Exporter, opt SnapshotterOptions) *Snapshotter {
	if opt.Keep <= 0 {
		opt.Keep = 5
	}
	if opt.Debounce <= 0 {
		opt.Debounce = 2 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Snapshotter{src: src, opt: opt, changed: make(chan struct{}, 1)}
}

// Changed says that the database changed (a submission was accepted, a publication made):
// a snapshot follows after the debounce. It never blocks.
func (s *Snapshotter) Changed() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Run takes a snapshot at once, then one after each burst of changes, until ctx ends. A
// failed snapshot is logged and tried again at the next change.
func (s *Snapshotter) Run(ctx context.Context) {
	s.take(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.changed:
		}
		// Wait until no change has come for a debounce period, or ten have passed.
		deadline := time.NewTimer(10 * s.opt.Debounce)
		quiet := time.NewTimer(s.opt.Debounce)
	wait:
		for {
			select {
			case <-ctx.Done():
				deadline.Stop()
				quiet.Stop()
				return
			case <-s.changed:
				quiet.Reset(s.opt.Debounce)
			case <-quiet.C:
				break wait
			case <-deadline.C:
				break wait
			}
		}
		deadline.Stop()
		quiet.Stop()
		s.take(ctx)
	}
}

// Take writes one snapshot now and prunes the old ones.
func (s *Snapshotter) Take(ctx context.Context) (*Manifest, error) {
	start := time.Now()
	m, err := Write(ctx, s.src, s.opt.Dir, WriteOptions{Publications: s.opt.Publications, Now: s.opt.Now})
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	if err := Prune(s.opt.Dir, s.opt.Keep, s.opt.Now()); err != nil {
		s.opt.Logger.Warn("prune old snapshots", "dir", s.opt.Dir, "err", err)
	}
	if s.opt.Written != nil {
		s.opt.Written(m, took)
	}
	return m, nil
}

func (s *Snapshotter) take(ctx context.Context) {
	start := time.Now()
	m, err := s.Take(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.opt.Logger.Error("snapshot failed", "dir", s.opt.Dir, "err", err)
			if s.opt.Failed != nil {
				s.opt.Failed(err)
			}
		}
		return
	}
	s.opt.Logger.Info("snapshot written", "id", m.ID, "dir", s.opt.Dir, "took", time.Since(start))
}

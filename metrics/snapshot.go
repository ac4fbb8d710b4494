package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Snapshots are the instruments of snapshots: on the primary, the newest snapshot written
// and how writing goes; on a read replica, the snapshot served and the ones refused. Each
// process registers only its own side, so that the alert comparing the two never reads a
// zero from the wrong one. Its methods are safe for concurrent use.
type Snapshots struct {
	written       prometheus.Gauge
	writeDuration prometheus.Histogram
	writeFailures prometheus.Counter
	served        prometheus.Gauge
	loads         *prometheus.CounterVec
}

// NewPrimarySnapshots registers the primary's snapshot instruments on reg.
func NewPrimarySnapshots(reg prometheus.Registerer) *Snapshots {
	s := &Snapshots{
		written: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "qiancun_snapshot_written_timestamp_seconds",
			Help: "When the newest snapshot this primary wrote was taken, Unix time.",
		}),
		writeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "qiancun_snapshot_write_duration_seconds",
			Help:    "Time to write one snapshot (export, hashes, manifest, rename).",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}),
		writeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "qiancun_snapshot_write_failures_total",
			Help: "Snapshots this primary failed to write.",
		}),
	}
	reg.MustRegister(s.written, s.writeDuration, s.writeFailures)
	return s
}

// NewReplicaSnapshots registers a read replica's snapshot instruments on reg.
func NewReplicaSnapshots(reg prometheus.Registerer) *Snapshots {
	s := &Snapshots{
		served: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "qiancun_snapshot_served_timestamp_seconds",
			Help: "When the snapshot this replica serves was taken, Unix time; 0 until one is loaded.",
		}),
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qiancun_snapshot_loads_total",
			Help: "Snapshots this replica tried to load, by result: loaded, or refused (altered, another store version, unreadable).",
		}, []string{"result"}),
	}
	s.loads.WithLabelValues("loaded")
	s.loads.WithLabelValues("refused")
	reg.MustRegister(s.served, s.loads)
	return s
}

// Written records a snapshot the primary wrote.
func (s *Snapshots) Written(taken time.Time, took time.Duration) {
	s.written.Set(float64(taken.UnixMilli()) / 1000)
	s.writeDuration.Observe(took.Seconds())
}

// WriteFailed counts a snapshot the primary could not write.
func (s *Snapshots) WriteFailed() { s.writeFailures.Inc() }

// Loaded records the snapshot a replica now serves.
func (s *Snapshots) Loaded(taken time.Time) {
	s.loads.WithLabelValues("loaded").Inc()
	s.served.Set(float64(taken.UnixMilli()) / 1000)
}

// Refused counts a snapshot a replica refused.
func (s *Snapshots) Refused() { s.loads.WithLabelValues("refused").Inc() }

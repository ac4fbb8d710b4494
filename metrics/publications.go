package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// PublicationSource is what the publications collector reads; *store.Store satisfies it.
type PublicationSource interface {
	PublicationStats(ctx context.Context) (*store.PublicationStats, error)
}

// Publications is a prometheus.Collector of the official results, read from the database
// at scrape time (a few small aggregates): publications by force and state, the age of
// each force's latest final publication, and the objections awaiting an answer.
type Publications struct {
	src     PublicationSource
	now     func() time.Time
	log     *slog.Logger
	count   *prometheus.Desc
	age     *prometheus.Desc
	open    *prometheus.Desc
	timeout time.Duration
}

// NewPublications returns the collector; now is the clock (nil: time.Now), log receives a
// failed scrape's error (nil: discarded).
func NewPublications(src PublicationSource, now func() time.Time, log *slog.Logger) *Publications {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publications{
		src: src, now: now, log: log, timeout: 10 * time.Second,
		count: prometheus.NewDesc("qiancun_publications", "Publications, by force and state (公示, 已发布, 已撤回, 已更正).", []string{"force", "state"}, nil),
		age: prometheus.NewDesc("qiancun_publication_final_age_seconds",
			"Seconds since each force's latest publication became final (已发布: finalized, or published as a correction); absent for a force with none.", []string{"force"}, nil),
		open: prometheus.NewDesc("qiancun_objections_open", "Objections (异议) to publications not yet answered.", nil, nil),
	}
}

// Describe sends the descriptors.
func (p *Publications) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.count
	ch <- p.age
	ch <- p.open
}

// Collect reads the figures. Every force and state is reported, at 0 when there is none.
func (p *Publications) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	st, err := p.src.PublicationStats(ctx)
	if err != nil {
		p.log.Error("publication metrics", "err", err)
		ch <- prometheus.NewInvalidMetric(p.count, err)
		return
	}
	now := p.now()
	for _, f := range qiancun.Forces() {
		for _, s := range []qiancun.PublicationState{qiancun.Notice, qiancun.Final, qiancun.Withdrawn, qiancun.Superseded} {
			ch <- prometheus.MustNewConstMetric(p.count, prometheus.GaugeValue, float64(st.ByState[f.Slug][s]), string(f.Slug), string(s))
		}
		if at, ok := st.LatestFinal[f.Slug]; ok {
			ch <- prometheus.MustNewConstMetric(p.age, prometheus.GaugeValue, now.Sub(at).Seconds(), string(f.Slug))
		}
	}
	ch <- prometheus.MustNewConstMetric(p.open, prometheus.GaugeValue, float64(st.OpenObjections))
}

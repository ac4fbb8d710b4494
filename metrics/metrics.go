// Package metrics owns the service's Prometheus instruments: HTTP requests by route
// pattern, submissions and their rows, the last accepted submission per template, and a
// collector that reads the programme's progress from the database at scrape time.
//
// Nothing here registers on the default registry: New takes the registerer the server owns,
// so that any number of servers (and tests) can live in one process.
package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/qiancun/qiancun"
)

// UnknownTemplate is the template label of a submission whose template was not recognised.
const UnknownTemplate = "unknown"

// Metrics holds the service's instruments. Its methods are safe for concurrent use.
type Metrics struct {
	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	submissions     *prometheus.CounterVec
	rowsAccepted    *prometheus.CounterVec
	rowsQuarantined *prometheus.CounterVec
	lastAccepted    *prometheus.GaugeVec

	mu   sync.Mutex
	last map[string]float64 // lastAccepted's values, to keep the latest
}

// New makes the instruments and registers them, with the Go runtime and process
// collectors, on reg. It panics if reg already holds them, as MustRegister does: build one
// registry per server.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qiancun_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "qiancun_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status code.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "code"}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qiancun_submissions_total",
			Help: "Files submitted through the API (dry runs excluded), by template and outcome (accepted, partial, rejected, unchanged).",
		}, []string{"template", "status"}),
		rowsAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qiancun_submission_rows_accepted_total",
			Help: "Data rows of submitted files that reached the KPIs, by template.",
		}, []string{"template"}),
		rowsQuarantined: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qiancun_submission_rows_quarantined_total",
			Help: "Bad data rows set aside when the uploader asked for the valid rows to be accepted, by template.",
		}, []string{"template"}),
		lastAccepted: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "qiancun_submission_last_accepted_timestamp_seconds",
			Help: "When the latest accepted (or partly accepted) submission of each template was received, Unix time.",
		}, []string{"template"}),
		last: map[string]float64{},
	}
	reg.MustRegister(m.requests, m.duration, m.submissions, m.rowsAccepted, m.rowsQuarantined, m.lastAccepted,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Init creates the series of every template, at zero, so that a rate over them is defined
// before the first submission.
func (m *Metrics) Init(templates []string) {
	statuses := []qiancun.Status{qiancun.Accepted, qiancun.Partial, qiancun.Rejected, qiancun.Unchanged}
	for _, t := range append(templates, UnknownTemplate) {
		for _, s := range statuses {
			m.submissions.WithLabelValues(t, string(s))
		}
		m.rowsAccepted.WithLabelValues(t)
		m.rowsQuarantined.WithLabelValues(t)
	}
}

// ObserveRequest counts one answered request. route is the route pattern (never the raw
// path, which may hold a member key).
func (m *Metrics) ObserveRequest(route, method string, code int, d time.Duration) {
	c := strconv.Itoa(code)
	m.requests.WithLabelValues(route, method, c).Inc()
	m.duration.WithLabelValues(route, method, c).Observe(d.Seconds())
}

// ObserveReceipt counts one stored submission by its receipt.
func (m *Metrics) ObserveReceipt(rc *qiancun.Receipt) {
	t := rc.Template
	if t == "" {
		t = UnknownTemplate
	}
	m.submissions.WithLabelValues(t, string(rc.Status)).Inc()
	if rc.Status == qiancun.Unchanged {
		return
	}
	m.rowsAccepted.WithLabelValues(t).Add(float64(rc.Accepted))
	m.rowsQuarantined.WithLabelValues(t).Add(float64(rc.Quarantined))
	if rc.Status == qiancun.Accepted || rc.Status == qiancun.Partial {
		m.SetLastAccepted(t, rc.ReceivedAt)
	}
}

// SetLastAccepted sets the time of template's latest accepted submission, unless the gauge
// already holds a later one. The server seeds it from the database at start.
func (m *Metrics) SetLastAccepted(template string, at time.Time) {
	v := float64(at.UnixMilli()) / 1000
	m.mu.Lock()
	defer m.mu.Unlock()
	if v <= m.last[template] {
		return
	}
	m.last[template] = v
	m.lastAccepted.WithLabelValues(template).Set(v)
}

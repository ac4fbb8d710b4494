package metrics_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/internal/testtool"
	"github.com/qiancun/qiancun/metrics"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

var monthly = []string{"first_secretary", "enterprise", "finance", "law", "postal", "tech", "culture"}

func TestObserveReceipt(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	at := time.Date(2024, 5, 3, 8, 0, 0, 0, time.UTC)
	for _, rc := range []qiancun.Receipt{
		{Template: "law", Status: qiancun.Accepted, Accepted: 388, ReceivedAt: at},
		{Template: "law", Status: qiancun.Partial, Accepted: 10, Quarantined: 2, ReceivedAt: at.Add(time.Hour)},
		{Template: "law", Status: qiancun.Rejected, Rows: 5, ReceivedAt: at.Add(2 * time.Hour)},
		{Template: "law", Status: qiancun.Unchanged, Accepted: 388, ReceivedAt: at.Add(3 * time.Hour)},
		{Template: "", Status: qiancun.Rejected, ReceivedAt: at},
	} {
		m.ObserveReceipt(&rc)
	}
	// An older time from the history does not move the gauge back.
	m.SetLastAccepted("law", at)
	want := `
# HELP qiancun_submissions_total Files submitted through the API (dry runs excluded), by template and outcome (accepted, partial, rejected, unchanged).
# TYPE qiancun_submissions_total counter
qiancun_submissions_total{status="accepted",template="law"} 1
qiancun_submissions_total{status="partial",template="law"} 1
qiancun_submissions_total{status="rejected",template="law"} 1
qiancun_submissions_total{status="rejected",template="unknown"} 1
qiancun_submissions_total{status="unchanged",template="law"} 1
# HELP qiancun_submission_rows_accepted_total Data rows of submitted files that reached the KPIs, by template.
# TYPE qiancun_submission_rows_accepted_total counter
qiancun_submission_rows_accepted_total{template="law"} 398
qiancun_submission_rows_accepted_total{template="unknown"} 0
# HELP qiancun_submission_rows_quarantined_total Bad data rows set aside when the uploader asked for the valid rows to be accepted, by template.
# TYPE qiancun_submission_rows_quarantined_total counter
qiancun_submission_rows_quarantined_total{template="law"} 2
qiancun_submission_rows_quarantined_total{template="unknown"} 0
# HELP qiancun_submission_last_accepted_timestamp_seconds When the latest accepted (or partly accepted) submission of each template was received, Unix time.
# TYPE qiancun_submission_last_accepted_timestamp_seconds gauge
qiancun_submission_last_accepted_timestamp_seconds{template="law"} 1.7147268e+09
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "qiancun_submissions_total",
		"qiancun_submission_rows_accepted_total", "qiancun_submission_rows_quarantined_total",
		"qiancun_submission_last_accepted_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}

// demoDir holds the demo files, written once.
var demo struct {
	once sync.Once
	dir  string
	err  error
}

func demoFile(t *testing.T, name string) []byte {
	t.Helper()
	demo.once.Do(func() {
		demo.dir, demo.err = os.MkdirTemp("", "qiancun-metrics-test-")
		if demo.err == nil {
			_, demo.err = synth.Generate(context.Background(), demo.dir, synth.Options{Scale: synth.Demo, Seed: 1})
		}
	})
	if demo.err != nil {
		t.Fatal(demo.err)
	}
	b, err := os.ReadFile(filepath.Join(demo.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demo.dir != "" {
		os.RemoveAll(demo.dir)
	}
	os.Exit(code)
}

// fixture is a real store, the engine over it, and a progress collector with a clock the
// test moves.
type fixture struct {
	st   *store.Store
	in   *ingest.Ingester
	reg  *prometheus.Registry
	m    *metrics.Metrics
	now  time.Time
	mu   sync.Mutex
	prog *metrics.Progress
	pub  *publish.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts, _ := ingest.LoadTemplates("")
	packs, _ := queries.LoadPacks("")
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, in: ingest.New(ts, st, ingest.DefaultLimits()), reg: prometheus.NewRegistry(),
		now: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	f.m = metrics.New(f.reg)
	f.prog = metrics.NewProgress(metrics.Sources{Engine: queries.New(st, packs, rules), Store: st}, metrics.ProgressOptions{
		Templates: monthly, TTL: 15 * time.Second,
		Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
	})
	f.reg.MustRegister(f.prog, metrics.NewPublications(st, f.clock, nil))
	f.pub = publish.New(st, queries.New(st, packs, rules), publish.Options{Now: f.clock})
	return f
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *fixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *fixture) ingest(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		rc, err := f.in.Ingest(context.Background(), n, demoFile(t, n), ingest.Options{})
		if err != nil || rc.Status != qiancun.Accepted {
			t.Fatalf("%s: %v %+v", n, err, rc)
		}
		f.m.ObserveReceipt(rc)
	}
}

// values gathers the registry: series (name{labels}) -> value, for the progress metrics.
func (f *fixture) values(t *testing.T) map[string]float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			key := mf.GetName()
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestProgressMoves(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pick := func(v map[string]float64, keys ...string) map[string]float64 {
		out := map[string]float64{}
		for _, k := range keys {
			out[k] = v[k]
		}
		return out
	}
	keys := []string{
		"qiancun_reporting_month_start_timestamp_seconds",
		"qiancun_villages{district=370112}",
		"qiancun_villages_reached{force=first_secretary}",
		"qiancun_villages_reached{force=law}",
		"qiancun_members{force=first_secretary}",
		"qiancun_members_target{force=first_secretary}",
		"qiancun_reporting_month_submissions_expected{template=first_secretary}",
		"qiancun_reporting_month_submissions_received{template=first_secretary}",
		"qiancun_reporting_month_submissions_received{template=law}",
		"qiancun_projects{district=370112,status=under_construction}",
		"qiancun_funds_coordinated_target_yuan",
		"qiancun_submission_latest_month_start_timestamp_seconds{template=first_secretary}",
		"qiancun_submission_latest_month_start_timestamp_seconds{template=law}",
	}
	march2026 := float64(time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).Unix())
	may2024 := float64(time.Date(2024, 5, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).Unix())

	empty := pick(f.values(t), keys...)
	want := map[string]float64{
		keys[0]: march2026, keys[1]: 0, keys[2]: 0, keys[3]: 0, keys[4]: 0, keys[5]: 2383,
		keys[6]: 1, keys[7]: 0, keys[8]: 0, keys[9]: 0, keys[10]: 2.8e8, keys[11]: 0, keys[12]: 0,
	}
	if diff := cmp.Diff(want, empty); diff != "" {
		t.Errorf("an empty database (-want +got):\n%s", diff)
	}

	f.ingest(t, "帮扶村名册.xlsx", "第一书记工作情况表_2024-05.xlsx", "产业项目台账.xlsx")
	if diff := cmp.Diff(empty, pick(f.values(t), keys...)); diff != "" {
		t.Errorf("within the cache's 15 s the figures moved (-cached +got):\n%s", diff)
	}
	f.advance(16 * time.Second)
	got := pick(f.values(t), keys...)
	if got[keys[1]] == 0 || got[keys[2]] == 0 || got[keys[9]] == 0 {
		t.Errorf("villages, reach or projects did not move: %v", got)
	}
	for k, v := range map[string]float64{keys[0]: may2024, keys[3]: 0, keys[4]: 2383, keys[7]: 1, keys[8]: 0, keys[11]: may2024, keys[12]: 0} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// TestLint checks every metric the service exposes with client_golang's linter and with
// promtool check metrics.
func TestLint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.m.Init(append(monthly, "villages", "projects"))
	f.m.ObserveRequest("/api/v1/rankings/:force", "GET", 200, 3*time.Millisecond)
	f.m.ObserveRequest("unmatched", "GET", 404, time.Millisecond)
	f.ingest(t, "帮扶村名册.xlsx", "法治专员工作表_2024-05.xlsx")
	// Both sides of the snapshots, as a primary and a replica register them.
	metrics.NewPrimarySnapshots(f.reg).Written(f.now, 2*time.Second)
	rs := metrics.NewReplicaSnapshots(f.reg)
	rs.Loaded(f.now)
	rs.Refused()

	problems, err := testutil.GatherAndLint(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	names := map[string]bool{}
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"qiancun_http_requests_total", "qiancun_http_request_duration_seconds", "qiancun_villages_reached",
		"qiancun_members", "qiancun_funds_coordinated_yuan", "qiancun_projects", "qiancun_reporting_month_submissions_expected",
		"qiancun_reporting_month_submissions_received", "qiancun_submissions_total", "qiancun_submission_last_accepted_timestamp_seconds",
		"qiancun_submission_latest_month_start_timestamp_seconds", "qiancun_snapshot_written_timestamp_seconds",
		"qiancun_snapshot_served_timestamp_seconds", "qiancun_snapshot_loads_total", "qiancun_publications", "qiancun_objections_open"} {
		if !names[n] {
			t.Errorf("metric %s is missing", n)
		}
	}

	promtool := testtool.Need(t, "prometheus", "promtool")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = &text
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestPublicationMetrics follows a publication through 公示, an objection and
// finalization, and reads the publication metrics at each step.
func TestPublicationMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.ingest(t, "帮扶村名册.xlsx", "法治专员工作表_2024-05.xlsx")
	v := f.values(t)
	if v["qiancun_publications{force=law,state=公示}"] != 0 || v["qiancun_objections_open"] != 0 {
		t.Fatalf("before any publication: %v", v["qiancun_publications{force=law,state=公示}"])
	}
	if _, ok := v["qiancun_publication_final_age_seconds{force=law}"]; ok {
		t.Error("an age without a final publication")
	}
	p, err := f.pub.Publish(ctx, publish.Request{Force: qiancun.Law, Period: "2024-05", Until: "2026-03-16"})
	if err != nil {
		t.Fatal(err)
	}
	frozen, err := f.pub.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.pub.AddObjection(ctx, p.ID, frozen.Members[0].Key, "x", "少算")
	if err != nil {
		t.Fatal(err)
	}
	v = f.values(t)
	if v["qiancun_publications{force=law,state=公示}"] != 1 || v["qiancun_objections_open"] != 1 {
		t.Errorf("in 公示 with an objection: %v publications, %v open", v["qiancun_publications{force=law,state=公示}"], v["qiancun_objections_open"])
	}
	if _, err := f.pub.Resolve(ctx, o.ID, qiancun.Upheld, "admin", "无误"); err != nil {
		t.Fatal(err)
	}
	f.advance(24 * time.Hour) // the end date
	if _, err := f.pub.Finalize(ctx, p.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	f.advance(90 * time.Minute)
	v = f.values(t)
	want := map[string]float64{
		"qiancun_publications{force=law,state=公示}":         0,
		"qiancun_publications{force=law,state=已发布}":        1,
		"qiancun_objections_open":                          0,
		"qiancun_publication_final_age_seconds{force=law}": 5400,
	}
	got := map[string]float64{}
	for k := range want {
		got[k] = v[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after finalize (-want +got):\n%s", diff)
	}
}

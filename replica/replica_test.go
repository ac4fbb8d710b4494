package replica_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/replica"
)

// fakeExport writes the files a DuckDB export would, with given contents.
type fakeExport struct {
	files   map[string]string
	version int
}

func (f fakeExport) Export(_ context.Context, dir string) (int, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return 0, err
	}
	for name, body := range f.files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return 0, err
		}
	}
	return f.version, nil
}

// clock hands out times a second apart, so that snapshot ids are distinct and ordered.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)} }

var pubs = map[string]replica.Publication{"first_secretary": {ID: 1, Period: "2024-Q2", State: "published",
	PublishedAt: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}}

func write(t *testing.T, dir string, c *clock, body string) *replica.Manifest {
	t.Helper()
	m, err := replica.Write(context.Background(), fakeExport{files: map[string]string{
		"schema.sql": "CREATE TABLE t (x INT);", "t.parquet": body,
	}, version: 7}, dir, replica.WriteOptions{Now: c.now, Publications: func(context.Context) (map[string]replica.Publication, error) {
		return pubs, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWriteVerify checks the manifest against hashes worked out with sha256sum, and that
// Verify refuses every kind of tampering.
func TestWriteVerify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := write(t, dir, newClock(), "rows")
	got, err := replica.Verify(filepath.Join(dir, m.ID))
	if err != nil {
		t.Fatal(err)
	}
	want := &replica.Manifest{
		ID: "20261201T080001.000000000Z", CreatedAt: time.Date(2026, 12, 1, 8, 0, 1, 0, time.UTC), StoreVersion: 7,
		Publications: pubs,
		Files: []replica.File{
			{Name: "schema.sql", Bytes: 23, SHA256: "8df1e806ae3520e6a893630edacfd50962dd62bb91ee6c44fe489b4bd05994ed"},
			{Name: "t.parquet", Bytes: 4, SHA256: "bc51e9e65d79e1c90ba544ab2eae1044ccdf8c1af7a559ba375cba4276f7d99e"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("snapshots directory holds %d entries, want the snapshot alone (no .tmp- left)", len(ents))
	}

	for _, tc := range []struct {
		name   string
		tamper func(snap string) error
		want   string
	}{
		{"same size, other bytes", func(s string) error { return os.WriteFile(filepath.Join(s, "t.parquet"), []byte("rowz"), 0o644) }, "t.parquet was altered"},
		{"longer", func(s string) error { return os.WriteFile(filepath.Join(s, "t.parquet"), []byte("rows!"), 0o644) }, "t.parquet was altered"},
		{"missing file", func(s string) error { return os.Remove(filepath.Join(s, "schema.sql")) }, "schema.sql"},
		{"extra file", func(s string) error { return os.WriteFile(filepath.Join(s, "u.parquet"), nil, 0o644) }, "u.parquet is not in the manifest"},
		{"no manifest", func(s string) error { return os.Remove(filepath.Join(s, replica.ManifestName)) }, "read manifest"},
		{"renamed", func(s string) error {
			return os.Rename(s, filepath.Join(filepath.Dir(s), "20261201T090000.000000000Z"))
		}, "manifest names snapshot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m := write(t, dir, newClock(), "rows")
			snap := filepath.Join(dir, m.ID)
			if err := tc.tamper(snap); err != nil {
				t.Fatal(err)
			}
			ids, _ := replica.List(dir)
			_, err := replica.Verify(filepath.Join(dir, ids[0]))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Verify: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestListPrune(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock()
	var ids []string
	for i := range 4 {
		ids = append(ids, write(t, dir, c, fmt.Sprint(i)).ID)
	}
	// A half-written snapshot of a crash two hours ago, one being written now, and a stray file.
	for _, d := range []string{".tmp-20261201T060000.000000000Z", ".tmp-20261201T080010.000000000Z"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := replica.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{ids[3], ids[2], ids[1], ids[0]}, got); diff != "" {
		t.Errorf("List, newest first (-want +got):\n%s", diff)
	}
	if err := replica.Prune(dir, 2, c.now()); err != nil {
		t.Fatal(err)
	}
	var left []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if diff := cmp.Diff([]string{".tmp-20261201T080010.000000000Z", ids[2], ids[3], "notes.txt"}, left); diff != "" {
		t.Errorf("after Prune(2) (-want +got):\n%s", diff)
	}
}

// fakeDB is a loaded snapshot: its handler answers the body of t.parquet and the manifest
// id, and may be held open by a request that waits on block.
type fakeDB struct {
	id     string
	body   string
	block  chan struct{}
	closed chan struct{}
}

func loader(dbs chan<- *fakeDB, entered chan<- struct{}, block chan struct{}) replica.Loader {
	return func(_ context.Context, dir string, m *replica.Manifest) (*replica.Backend, error) {
		b, err := os.ReadFile(filepath.Join(dir, "t.parquet"))
		if err != nil {
			return nil, err
		}
		db := &fakeDB{id: m.ID, body: string(b), block: block, closed: make(chan struct{})}
		if dbs != nil {
			dbs <- db
		}
		return &replica.Backend{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/slow" {
					entered <- struct{}{}
					<-db.block
				}
				fmt.Fprintf(w, "%s %s", db.id, db.body)
			}),
			Close: func() error { close(db.closed); return nil },
		}, nil
	}
}

func get(t *testing.T, h http.Handler, path string) (status int, snapshot, body string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, rec.Header().Get(replica.HeaderSnapshot), string(b)
}

// syncBuffer is a log destination safe for the replica's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAlteredSnapshotRefused: a newer snapshot whose file was altered is refused, the
// replica keeps serving the one it had, logs why, and tries it no more; the next good
// snapshot is taken.
func TestAlteredSnapshotRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c := newClock()
	var logs syncBuffer
	var refused []string
	srv := replica.New(replica.Options{Dir: dir, StoreVersion: 7, Load: loader(nil, nil, nil),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Refused: func(id string, _ error) { refused = append(refused, id) }})
	defer srv.Close()

	if code, _, _ := get(t, srv, "/"); code != http.StatusServiceUnavailable {
		t.Errorf("before any snapshot: %d, want 503", code)
	}
	first := write(t, dir, c, "v1")
	if err := srv.Check(ctx); err != nil {
		t.Fatal(err)
	}
	second := write(t, dir, c, "v2")
	if err := os.WriteFile(filepath.Join(dir, second.ID, "t.parquet"), []byte("v3"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := srv.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if code, snap, body := get(t, srv, "/"); code != 200 || snap != first.ID || body != first.ID+" v1" {
		t.Errorf("after an altered snapshot: %d %q %q, want the first snapshot still", code, snap, body)
	}
	if diff := cmp.Diff([]string{second.ID}, refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	if l := logs.String(); !strings.Contains(l, "snapshot refused") || !strings.Contains(l, "id="+second.ID) ||
		!strings.Contains(l, "t.parquet was altered") {
		t.Errorf("the log does not say which snapshot was refused and why:\n%s", l)
	}

	// A snapshot of another store version is refused too.
	other, err := replica.Write(ctx, fakeExport{files: map[string]string{"t.parquet": "v4"}, version: 8}, dir, replica.WriteOptions{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "store version 8, this build 7") {
		t.Errorf("snapshot %s of another version: the log does not say so:\n%s", other.ID, logs.String())
	}

	third := write(t, dir, c, "v5")
	if err := srv.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, snap, body := get(t, srv, "/"); snap != third.ID || body != third.ID+" v5" {
		t.Errorf("after a good snapshot: %q %q, want %s", snap, body, third.ID)
	}
}

// TestSwapDrains: a request in flight when a newer snapshot is loaded finishes on the old
// one, new requests see the new one, and the old one is closed only after the request ends.
func TestSwapDrains(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c := newClock()
	dbs := make(chan *fakeDB, 2)
	block, started := make(chan struct{}), make(chan struct{}, 1)
	srv := replica.New(replica.Options{Dir: dir, Load: loader(dbs, started, block)})
	first := write(t, dir, c, "v1")
	if err := srv.Check(ctx); err != nil {
		t.Fatal(err)
	}
	old := <-dbs

	type answer struct{ snap, body string }
	slow := make(chan answer, 1)
	go func() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slow", nil))
		slow <- answer{rec.Header().Get(replica.HeaderSnapshot), rec.Body.String()}
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow request never started")
	}

	second := write(t, dir, c, "v2")
	if err := srv.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, snap, body := get(t, srv, "/"); snap != second.ID || body != second.ID+" v2" {
		t.Errorf("a new request after the swap: %q %q, want %s", snap, body, second.ID)
	}
	// A negative can only be watched for a while: a retired snapshot closed too early is
	// closed at once, well within this window.
	select {
	case <-old.closed:
		t.Fatal("the old snapshot was closed while a request was still on it")
	case <-time.After(200 * time.Millisecond):
	}
	close(block)
	if a := <-slow; a.snap != first.ID || a.body != first.ID+" v1" {
		t.Errorf("the request in flight: %+v, want it answered wholly by %s", a, first.ID)
	}
	select {
	case <-old.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the old snapshot was not closed after its last request")
	}
	srv.Close()
	select {
	case <-(<-dbs).closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not close the current snapshot")
	}
}

// TestSnapshotter: one snapshot at start, one for a burst of changes spread over less
// than the debounce period, none without a change, and only the newest Keep are kept.
func TestSnapshotter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newClock()
	written := make(chan *replica.Manifest, 10)
	s := replica.NewSnapshotter(fakeExport{files: map[string]string{"t.parquet": "x"}, version: 7}, replica.SnapshotterOptions{
		Dir: dir, Keep: 2, Debounce: time.Second, Now: c.now,
		Written: func(m *replica.Manifest, _ time.Duration) { written <- m },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	next := func(what string) *replica.Manifest {
		t.Helper()
		select {
		case m := <-written:
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("no snapshot %s", what)
		}
		return nil
	}
	quiet := func(what string) {
		t.Helper()
		// A negative is watched for a while: over a debounce period.
		select {
		case m := <-written:
			t.Fatalf("snapshot %s %s", m.ID, what)
		case <-time.After(1500 * time.Millisecond):
		}
	}
	next("at start")
	quiet("without a change")
	for range 5 {
		s.Changed()
		time.Sleep(20 * time.Millisecond) // pacing, not synchronisation: changes a moment apart
	}
	next("after a burst of changes")
	quiet("more than one for one burst")
	s.Changed()
	last := next("after another change")
	ids, err := replica.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != last.ID {
		t.Errorf("kept %v, want the newest two, %s first", ids, last.ID)
	}
}

func TestLatestPublications(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	// Newest first, as the store lists them.
	ps := []qiancun.Publication{
		{ID: 5, Force: qiancun.FirstSecretary, Period: "2024-Q3", State: qiancun.Notice, Hash: "h5", CreatedAt: at},
		{ID: 4, Force: qiancun.Law, Period: "2024-Q2", State: qiancun.Final, Hash: "h4", CreatedAt: at.Add(-time.Hour)},
		{ID: 3, Force: qiancun.FirstSecretary, Period: "2024-Q2", State: qiancun.Superseded, Hash: "h3", CreatedAt: at.Add(-2 * time.Hour)},
	}
	want := map[string]replica.Publication{
		"first_secretary": {ID: 5, Period: "2024-Q3", State: "公示", Hash: "h5", PublishedAt: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		"law":             {ID: 4, Period: "2024-Q2", State: "已发布", Hash: "h4", PublishedAt: time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, replica.LatestPublications(ps)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

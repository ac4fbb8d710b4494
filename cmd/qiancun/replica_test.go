package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/internal/testbin"
	"github.com/qiancun/qiancun/replica"
	"github.com/qiancun/qiancun/synth"
)

// startServer starts the binary with args and returns a client on the URL it prints, and
// its standard error. The process is killed when the test ends.
func startServer(t *testing.T, bin string, args ...string) (*client, *testbin.Log) {
	t.Helper()
	s := testbin.Start(t, bin, args...)
	return &client{t: t, url: s.URL}, s.Stderr
}

// TestPrimaryAndReplica runs the real binary as a primary that snapshots itself and a
// replica that follows it: the replica is not ready before the first snapshot, serves the
// primary's data with the snapshot named in the header and the body alike, refuses a write
// with 503 naming the primary, follows a new upload, and refuses a snapshot whose file was
// altered, keeping the one it serves and logging why.
func TestPrimaryAndReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := testbin.Build(t, ".", dir)
	files := filepath.Join(dir, "files")
	if _, err := synth.Generate(context.Background(), files, synth.Options{Scale: synth.Demo, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	hash := func(s string) string { return api.FormatHash(sha256.Sum256([]byte(s))) }
	config := filepath.Join(dir, "qiancun.toml")
	cfg := fmt.Sprintf(`member_id_key = "00112233445566778899aabbccddeeff"
[[token]]
name = "组织部"
role = "uploader"
templates = ["first_secretary", "villages"]
hash = %q

[[token]]
name = "evaluator"
role = "evaluator"
hash = %q

[[token]]
name = "admin"
role = "admin"
hash = %q
`, hash("up"), hash("ev"), hash("ad"))
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	snaps := filepath.Join(dir, "snapshots")

	// The replica starts first: nothing to serve yet.
	rep, repLog := startServer(t, bin, "serve", "--replica", "--snapshots", snaps, "--config", config,
		"--addr", "127.0.0.1:0", "--poll", "100ms", "--primary", "http://primary.test:8080")
	rep.get("/readyz", "", http.StatusServiceUnavailable)
	rep.get("/api/v1/rankings/first_secretary?period=2024-05", "ev", http.StatusServiceUnavailable)
	rep.get("/healthz", "", http.StatusOK) // alive, if not ready

	pri, _ := startServer(t, bin, "serve", "--db", filepath.Join(dir, "q.db"), "--snapshots", snaps, "--config", config,
		"--addr", "127.0.0.1:0", "--snapshot-debounce", "100ms")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(files, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pri.upload("up", "帮扶村名册.xlsx", read("帮扶村名册.xlsx"), nil, 200)
	pri.upload("up", "第一书记工作情况表_2024-05.xlsx", read("第一书记工作情况表_2024-05.xlsx"), nil, 200)

	// waitRanking polls the replica until its May ranking has want members.
	type page struct {
		Snapshot string `json:"snapshot"`
		Total    int    `json:"total"`
	}
	waitRanking := func(period string, want int) (page, string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for i := 0; i < 600 && time.Now().Before(deadline); i++ {
			req, _ := http.NewRequest(http.MethodGet, rep.url+"/api/v1/rankings/first_secretary?limit=1&period="+period, nil)
			req.Header.Set("Authorization", "Bearer ev")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var p page
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 && p.Total == want {
				return p, resp.Header.Get(replica.HeaderSnapshot)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("the replica never served %d members for %s\n%s", want, period, repLog.String())
		return page{}, ""
	}
	p, header := waitRanking("2024-05", 2383)
	if p.Snapshot == "" || p.Snapshot != header {
		t.Errorf("body names snapshot %q, header %q", p.Snapshot, header)
	}
	rep.get("/readyz", "", http.StatusOK)

	code, body := rep.do(http.MethodPost, "/api/v1/submissions", "up", strings.NewReader(""), "multipart/form-data; boundary=x")
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "http://primary.test:8080") {
		t.Errorf("upload to the replica: %d %s, want 503 naming the primary", code, body)
	}

	code, body = rep.do(http.MethodPost, "/api/v1/publications", "ad", strings.NewReader(`{"force":"first_secretary","period":"2024-05"}`), "application/json")
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "http://primary.test:8080") {
		t.Errorf("publish on the replica: %d %s, want 503 naming the primary", code, body)
	}

	// A new month and a publication on the primary reach the replica, in its publications
	// and in the snapshot's manifest.
	code, body = pri.do(http.MethodPost, "/api/v1/publications", "ad", strings.NewReader(`{"force":"first_secretary","period":"2024-05"}`), "application/json")
	var pub struct{ ID int64 }
	if code != http.StatusCreated || json.Unmarshal(body, &pub) != nil {
		t.Fatalf("publish on the primary: %d %s", code, body)
	}
	pri.upload("up", "第一书记工作情况表_2024-06.xlsx", read("第一书记工作情况表_2024-06.xlsx"), nil, 200)
	p2, header2 := waitRanking("2024-06", 2383)
	if p2.Snapshot != header2 || p2.Snapshot <= p.Snapshot {
		t.Errorf("after the June upload: body %q, header %q, before %q", p2.Snapshot, header2, p.Snapshot)
	}
	req, _ := http.NewRequest(http.MethodGet, rep.url+"/api/v1/publications", nil)
	req.Header.Set("Authorization", "Bearer ev")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Snapshot     string
		Publications []struct{ ID int64 }
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || list.Snapshot != resp.Header.Get(replica.HeaderSnapshot) || len(list.Publications) != 1 || list.Publications[0].ID != pub.ID {
		t.Errorf("the replica's publications: %+v (header %q, err %v), want publication %d", list, resp.Header.Get(replica.HeaderSnapshot), err, pub.ID)
	}
	m, err := replica.Verify(filepath.Join(snaps, header2))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Publications["first_secretary"]; got.ID != pub.ID || got.Period != "2024-05" || got.Hash == "" {
		t.Errorf("the manifest's latest first_secretary publication: %+v, want %d for 2024-05 with its hash", got, pub.ID)
	}

	// A forged newer snapshot: the newest one copied under a later name, one file altered.
	ids, err := replica.List(snaps)
	if err != nil || len(ids) == 0 {
		t.Fatalf("snapshots: %v %v", ids, err)
	}
	forged := "29991231T000000.000000000Z"
	src, dst := filepath.Join(snaps, ids[0]), filepath.Join(dir, forged)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	mb, _ := os.ReadFile(filepath.Join(dst, replica.ManifestName))
	if err := os.WriteFile(filepath.Join(dst, replica.ManifestName), []byte(strings.ReplaceAll(string(mb), ids[0], forged)), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dst, "submissions.parquet"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff}, 100)
	f.Close()
	if err := os.Rename(dst, filepath.Join(snaps, forged)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < 400 && time.Now().Before(deadline) && !strings.Contains(repLog.String(), "snapshot refused"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if l := repLog.String(); !strings.Contains(l, `"msg":"snapshot refused","id":"`+forged+`"`) || !strings.Contains(l, "submissions.parquet was altered") {
		t.Fatalf("the replica did not log the altered snapshot's refusal:\n%s", l)
	}
	// The replica keeps serving a verified snapshot: header2, or a newer real one that the
	// primary wrote meanwhile (its snapshotter may still be writing after the publication),
	// never the forged one.
	if p3, header3 := waitRanking("2024-06", 2383); header3 == forged || p3.Snapshot != header3 || header3 < header2 {
		t.Errorf("after the altered snapshot the replica serves %q (body %q), want %q or a newer verified one, not %q",
			header3, p3.Snapshot, header2, forged)
	}
}

// TestSnapshotCommand: `qiancun snapshot` writes a snapshot that verifies, --keep prunes,
// and a missing flag is a usage error.
func TestSnapshotCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	files := writeFiles(t, map[string]string{"帮扶村名册.csv": cliRegistry})
	if code, _, errOut := runCLI(t, "ingest", "--db", db, filepath.Join(files, "帮扶村名册.csv")); code != 0 {
		t.Fatalf("ingest: %d %s", code, errOut)
	}
	out := filepath.Join(dir, "snaps")
	var ids []string
	for range 2 {
		code, stdout, errOut := runCLI(t, "snapshot", "--db", db, "--out", out, "--keep", "1")
		id, ok := strings.CutPrefix(strings.TrimSpace(stdout), "snapshot ")
		if code != 0 || !ok {
			t.Fatalf("snapshot: %d %q %s", code, stdout, errOut)
		}
		m, err := replica.Verify(filepath.Join(out, id))
		if err != nil {
			t.Fatal(err)
		}
		if m.StoreVersion == 0 || len(m.Files) < 5 {
			t.Errorf("manifest: store version %d, %d files", m.StoreVersion, len(m.Files))
		}
		ids = append(ids, id)
	}
	got, err := replica.List(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != ids[1] || ids[1] <= ids[0] {
		t.Errorf("after two snapshots with --keep 1: %v (written %v)", got, ids)
	}
	if code, _, _ := runCLI(t, "snapshot", "--db", db); code != exitUsage {
		t.Errorf("snapshot without --out: exit %d, want %d", code, exitUsage)
	}
}

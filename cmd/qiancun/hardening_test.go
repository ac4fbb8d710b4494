package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/internal/testbin"
	"github.com/qiancun/qiancun/internal/testtool"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

// TestIngestTooLarge: a file over --max-file-mb is rejected unread, its receipt says why,
// and nothing of it is stored. Its receipt workbook lists the problem alone.
func TestIngestTooLarge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "fs_2024-05.csv")
	body := cliFS("18") + strings.Repeat("丙,"+cliID1+",市委组织部,370112001001,20,10,1,1,0.5,2,1\n", 40_000) // ~2.4 MB
	if err := os.WriteFile(big, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "q.db")
	code, out, errOut := runCLI(t, "ingest", "--db", db, "--max-file-mb", "1", "--json", "--receipt-dir", filepath.Join(dir, "回执"), big)
	if code != exitRejected {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitRejected, errOut)
	}
	var rcs []qiancun.Receipt
	if err := json.Unmarshal([]byte(out), &rcs); err != nil || len(rcs) != 1 {
		t.Fatalf("receipts %v: %s", err, out)
	}
	rc := rcs[0]
	var rules []qiancun.Rule
	for _, is := range rc.Issues {
		rules = append(rules, is.Rule)
	}
	if rc.Status != qiancun.Rejected || rc.SubmissionID != 0 || len(rules) != 2 || rules[0] != qiancun.BadFile || rules[1] != qiancun.NotStored || len(rc.SHA256) != 64 {
		t.Errorf("receipt %+v", rc)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, table := range []string{"submissions", "raw_files"} {
		var n int
		if err := st.DB().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s holds %d rows (%v), want none", table, n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "回执", "fs_2024-05_回执.xlsx")); err != nil {
		t.Errorf("no receipt workbook: %v", err)
	}
}

// TestTempDirSwept: the directory where the readers unpack large sheets is the database's
// own, and what a killed process left there is removed at the next start.
func TestTempDirSwept(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"帮扶村名册.csv": cliRegistry})
	db := filepath.Join(dir, "q.db")
	tmp := db + ".ingest-tmp"
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, n := range []string{"excelize-123456", "upload-789"} {
		stale = append(stale, filepath.Join(tmp, n))
		if err := os.WriteFile(stale[len(stale)-1], []byte("left by kill -9"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errOut := runCLI(t, "ingest", "--db", db, filepath.Join(dir, "帮扶村名册.csv")); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("the stale temporary file %s is still there (%v)", filepath.Base(p), err)
		}
	}
}

// TestQueryCSVNeutralised: text that a spreadsheet would run as a formula gets a leading
// apostrophe in `query --csv`; numbers, negative ones included, stay as they are.
func TestQueryCSVNeutralised(t *testing.T) {
	t.Parallel()
	res := &queries.Result{
		Columns: []queries.OutColumn{{Name: "name"}, {Name: "n"}, {Name: "list"}, {Name: "plain"}},
		Rows: [][]any{
			{`=HYPERLINK("http://evil.example/","x")`, int64(-5), []any{"@SUM(1)", "b"}, "张三"},
			{"+1", -2.5, []any{"a"}, "-"},
		},
	}
	var buf bytes.Buffer
	if code := writeCSV(&buf, res); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	want := "name,n,list,plain\n" +
		`"'=HYPERLINK(""http://evil.example/"",""x"")",-5,'@SUM(1)、b,张三` + "\n" +
		"'+1,-2.5,a,'-\n"
	if got := buf.String(); got != want {
		t.Errorf("csv:\n%s\nwant:\n%s", got, want)
	}
}

// TestServeExitsOnFatalDatabase: when the database fails fatally (a checkpoint that cannot
// be written to a full disk), serve shuts down and exits 1, for its supervisor to restart it.
func TestServeExitsOnFatalDatabase(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs to fill (run as root): %v %s", err, out)
		if testtool.Required() {
			t.Fatal(msg + " (QIANCUN_REQUIRE_TOOLS=1)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(dir, "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec("SET checkpoint_threshold = '1KB'"); err != nil {
		t.Fatal(err)
	}
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := &testbin.Log{}, &testbin.Log{}
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}
	token := "fatal-admin"
	o := serveOptions{addr: "127.0.0.1:0", api: api.Config{Tokens: []api.Token{{Name: "admin", Role: api.RoleAdmin, Hash: sha256.Sum256([]byte(token))}}}}
	code := make(chan int, 1)
	go func() { code <- serve(ctx, e, st, ts, o) }()
	var url string
	for i := 0; i < 600 && url == ""; i++ { // bounded: 60 s
		if u, ok := strings.CutPrefix(strings.SplitN(stdout.String(), "\n", 2)[0], "url "); ok {
			url = u
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if url == "" {
		t.Fatalf("no url line\n%s", stderr.String())
	}
	// Fill the disk, then write until a checkpoint fails.
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for i := 0; i < 1<<16; i++ {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	var rows []string
	for i := range 2000 {
		rows = append(rows, fmt.Sprintf("3701120010%02d,历城区,港沟街道,村%d", i%100, i))
	}
	// send answers the request's status, or 0 once the server no longer answers.
	send := func(method, path string, body io.Reader, ctype string) int {
		req, err := http.NewRequest(method, url+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 10; i++ {
		body, ctype := form(fmt.Sprintf("帮扶村名册%d.csv", i), []byte("村代码,区县,镇街,村名\n"+strings.Join(rows, "\n")), nil)
		if status := send(http.MethodPost, "/api/v1/submissions", body, ctype); status != 0 && status != http.StatusInternalServerError {
			continue
		}
		if send(http.MethodGet, "/readyz", nil, "") != http.StatusOK {
			break // failed fatally (503), or already gone (0)
		}
	}
	select {
	case got := <-code:
		if got != exitRejected {
			t.Errorf("serve exited %d, want %d", got, exitRejected)
		}
		if !strings.Contains(stderr.String(), "failed fatally") {
			t.Errorf("the log does not say why:\n%s", stderr.String())
		}
	case <-time.After(60 * time.Second): // a bound on a hang
		t.Fatalf("serve did not exit after the database failed\n%s", stderr.String())
	}
}

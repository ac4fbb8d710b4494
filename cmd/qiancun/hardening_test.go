package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qiancun/qiancun"
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

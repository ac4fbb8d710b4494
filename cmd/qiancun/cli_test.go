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
)

// runCLI runs the command in-process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var (
	cliID1 = qiancun.MakeID("37011219800101001")
	cliID2 = qiancun.MakeID("37012419850202002")
)

const cliRegistry = "村代码,区县,镇街,村名\n370112001001,历城区,港沟街道,东村\n370124001001,平阴县,榆山街道,南村\n"

func cliFS(days2 string) string {
	return "姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金(万元),实施项目数,村集体增收(万元),办实事数,化解矛盾纠纷数\n" +
		"甲," + cliID1 + ",市委组织部,370112001001,20,10,1,1,0.5,2,1\n" +
		"乙," + cliID2 + ",市财政局,370124001001," + days2 + ",20,2,0,-1,2,0\n"
}

func TestIngestAndRankCLI(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"fs_2024-05.csv":  cliFS("18"),
		"bad_2024-06.csv": cliFS("40"),
		"帮扶村名册.csv":       cliRegistry,
	})
	db := filepath.Join(dir, "q.db")
	f := func(n string) string { return filepath.Join(dir, n) }

	// The registry is read first even when named last; the receipts keep the order given.
	code, out, errOut := runCLI(t, "ingest", "--db", db, "--json", f("fs_2024-05.csv"), f("帮扶村名册.csv"))
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var receipts []qiancun.Receipt
	if err := json.Unmarshal([]byte(out), &receipts); err != nil {
		t.Fatalf("--json output is not a JSON array of receipts: %v\n%s", err, out)
	}
	if len(receipts) != 2 || receipts[0].Template != "first_secretary" || receipts[1].Template != "villages" ||
		receipts[0].Status != qiancun.Accepted || receipts[0].SHA256 == "" {
		t.Fatalf("receipts = %+v", receipts)
	}

	// A rejected file: exit 1, and its receipt names the cell, masked.
	code, out, _ = runCLI(t, "ingest", "--db", db, f("bad_2024-06.csv"))
	if code != exitRejected || !strings.Contains(out, "E3") || !strings.Contains(out, "out_of_range") {
		t.Errorf("bad file: exit %d, output:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "ingest", "--db", db, f("fs_2024-05.csv"))
	if code != exitOK || !strings.Contains(out, "unchanged") {
		t.Errorf("the same file again: exit %d, output:\n%s", code, out)
	}

	code, out, errOut = runCLI(t, "rank", "--db", db, "--force", "first_secretary", "--period", "2024-05", "--json")
	if code != exitOK {
		t.Fatalf("rank: exit %d: %s", code, errOut)
	}
	var members []map[string]any
	if err := json.Unmarshal([]byte(out), &members); err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 {
		t.Fatalf("rank: %d members", len(members))
	}
	for _, k := range []string{"rank", "district_rank", "key", "name", "district", "score", "grade", "vetoed", "indicators"} {
		if _, ok := members[0][k]; !ok {
			t.Errorf("rank --json: member lacks %q", k)
		}
	}
	if members[0]["key"] == cliID1 || members[0]["key"] == cliID2 || !strings.Contains(members[0]["key"].(string), "****") {
		t.Errorf("rank shows an unmasked key without --unmasked: %v", members[0]["key"])
	}
	if s, _ := members[0]["score"].(string); len(s) < 4 || s[len(s)-3] != '.' {
		t.Errorf("score %v: want a string with two decimals", members[0]["score"])
	}
	_, out, _ = runCLI(t, "rank", "--db", db, "--force", "first_secretary", "--period", "2024-05", "--unmasked", "--json")
	if !strings.Contains(out, cliID1) {
		t.Error("--unmasked does not show the key")
	}

	code, out, _ = runCLI(t, "query", "--db", db, "progress", "--param", "period=2024-05", "--csv")
	if code != exitOK || !strings.Contains(out, ",济南市,members:first_secretary,2") {
		t.Errorf("query progress: exit %d:\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		say  string
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"--help"}, exitOK, "Commands:"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"ingest"}, exitUsage, "Usage:"},
		{[]string{"ingest", "--help"}, exitOK, "--accept-valid"},
		{[]string{"ingest", "--period", "2024-13", "x.csv"}, exitUsage, "--period"},
		{[]string{"ingest", "--template", "nope", "x.csv"}, exitUsage, "unknown template"},
		{[]string{"rank", "--db", "x.db", "--force", "first_secretary"}, exitUsage, "--period"},
		{[]string{"rank", "--db", "x.db", "--force", "mayor", "--period", "2024-05"}, exitUsage, `unknown force "mayor"`},
		{[]string{"rank", "--db", "x.db", "--force", "law", "--period", "2024-5"}, exitUsage, "period"},
		{[]string{"query", "--db", "x.db", "nope"}, exitUsage, "unknown pack"},
		{[]string{"gen"}, exitUsage, "--out"},
		{[]string{"gen", "--out", "x", "--scale", "galactic"}, exitUsage, "--scale"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			args := tt.args
			for i, a := range args {
				if a == "x.db" {
					args = append([]string{}, args...)
					args[i] = filepath.Join(t.TempDir(), "x.db")
				}
			}
			code, out, errOut := runCLI(t, args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.say) {
				t.Errorf("exit %d (want %d), output does not say %q:\n%s%s", code, tt.code, tt.say, out, errOut)
			}
		})
	}
}

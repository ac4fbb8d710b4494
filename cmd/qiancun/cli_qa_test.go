package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
)

// TestCLIMasksKeysUnlessUnmasked: every command that prints a member's 身份证号 prints it
// masked unless --unmasked, as rank does: the objection commands' JSON and query's output
// in each of its forms.
func TestCLIMasksKeysUnlessUnmasked(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"帮扶村名册.csv":        cliRegistry,
		"第一书记_2024-06.csv": pubFS("2024年6月", juneRows),
	})
	db, tue := ingestJune(t, dir)
	if code, _, errOut := runAt(t, tue, "publish", "--db", db, "--force", "first_secretary", "--period", "2024-06"); code != exitOK {
		t.Fatalf("publish: %d %s", code, errOut)
	}
	full, masked := pubIDs[3], qiancun.MaskID(pubIDs[3])
	appraisal := []string{"query", "--db", db, "appraisal", "--param", "force=first_secretary", "--param", "period=2024-06", "--param", "indicators=驻村天数"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"objection add", []string{"objection", "add", "--db", db, "1", "--key", full, "--reason", "漏填", "--json"}},
		{"objection resolve", []string{"objection", "resolve", "--db", db, "1", "--resolution", "维持", "--note", "核实无误", "--json"}},
		{"objection list", []string{"objection", "list", "--db", db, "--json"}},
		{"query", appraisal},
		{"query --json", append(appraisal, "--json")},
		{"query --csv", append(appraisal, "--csv")},
	} {
		code, out, errOut := runAt(t, tue, c.args...)
		if code != exitOK {
			t.Fatalf("%s: %d %s", c.name, code, errOut)
		}
		if strings.Contains(out, full) || !strings.Contains(out, masked) {
			t.Errorf("%s prints the key unmasked or not at all:\n%s", c.name, out)
		}
		if c.name == "objection resolve" {
			continue // answered once
		}
		code, out, errOut = runAt(t, tue, append(c.args, "--unmasked")...)
		if code != exitOK || !strings.Contains(out, full) {
			t.Errorf("%s --unmasked: %d %s %s; want the key in full", c.name, code, out, errOut)
		}
	}
}

// TestRankPublicationSaysWhich: rank --publication prints, above the table, which publication
// it is, its state and its hash, so that a withdrawn or superseded ranking is never taken for
// the result in force; its JSON stays the live ranking's form.
func TestRankPublicationSaysWhich(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"帮扶村名册.csv":        cliRegistry,
		"第一书记_2024-06.csv": pubFS("2024年6月", juneRows),
	})
	db, tue := ingestJune(t, dir)
	code, hash, errOut := runAt(t, tue, "publish", "--db", db, "--force", "first_secretary", "--period", "2024-06", "--json")
	if code != exitOK {
		t.Fatalf("publish: %d %s", code, errOut)
	}
	if code, _, errOut := runAt(t, tue, "publication", "withdraw", "--db", db, "1", "--reason", "数据有误"); code != exitOK {
		t.Fatalf("withdraw: %d %s", code, errOut)
	}
	_, out, _ := runAt(t, tue, "rank", "--db", db, "--publication", "1")
	head, _, _ := strings.Cut(out, "\nbenchmarks:")
	if !strings.Contains(head, "publication 1 · 已撤回（公示稿）· 公示至 2024-07-09 · hash ") || !strings.Contains(hash, head[strings.LastIndex(head, " ")+1:]) {
		t.Errorf("rank --publication 1 does not say which publication it is and that it was withdrawn:\n%s", head)
	}
	if _, live, _ := runAt(t, tue, "rank", "--db", db, "--force", "first_secretary", "--period", "2024-06"); strings.Contains(live, "publication") {
		t.Errorf("a live ranking names a publication:\n%s", live)
	}
}

// TestUsageLinesNamePublication: the commands that read a publication as well as live data
// say so in their usage line, the one a user reads first.
func TestUsageLinesNamePublication(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"rank"}, {"report", "appraisal"}} {
		_, out, errOut := runCLI(t, append(cmd, "--help")...)
		help := out + errOut
		_, rest, _ := strings.Cut(help, "Usage:\n")
		usage, _, _ := strings.Cut(rest, "\n")
		if !strings.Contains(usage, "--publication ID") {
			t.Errorf("%v --help: the usage line %q does not name --publication", cmd, usage)
		}
	}
}

// TestPublishSaysMissingMonths: publishing a period some of whose months no department has
// sent (a year, in June) says which months count as missing, as rank does.
func TestPublishSaysMissingMonths(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"帮扶村名册.csv":        cliRegistry,
		"第一书记_2024-06.csv": pubFS("2024年6月", juneRows),
	})
	db, tue := ingestJune(t, dir)
	for _, c := range []struct {
		period string
		note   string
	}{
		{"2024-06", ""},
		{"2024-Q2", "note: publication 2 has no accepted first_secretary submission for 2024-04, 2024-05; those months count as missing, not zero\n"},
	} {
		code, _, errOut := runAt(t, tue, "publish", "--db", db, "--force", "first_secretary", "--period", c.period, "--json")
		if code != exitOK || errOut != c.note {
			t.Errorf("publish %s: exit %d, stderr %q; want 0 and %q", c.period, code, errOut, c.note)
		}
	}
}

// TestDiffTextSaysHowMany: publication diff's text starts with the counts, and a diff with
// nothing in it says so rather than printing an empty table.
func TestDiffTextSaysHowMany(t *testing.T) {
	t.Parallel()
	corrected := make([][]any, len(juneRows))
	for i := range juneRows {
		corrected[i] = append([]any{}, juneRows[i]...)
	}
	corrected[1][3] = 6 // 乙 was in the village 6 days: vetoed
	dir := writeFiles(t, map[string]string{
		"帮扶村名册.csv":           cliRegistry,
		"第一书记_2024-06.csv":    pubFS("2024年6月", juneRows),
		"第一书记_2024-06_更正.csv": pubFS("2024年6月", corrected),
	})
	db, tue := ingestJune(t, dir)
	if code, _, errOut := runAt(t, tue, "publish", "--db", db, "--force", "first_secretary", "--period", "2024-06"); code != exitOK {
		t.Fatalf("publish: %d %s", code, errOut)
	}
	_, out, _ := runAt(t, tue, "publication", "diff", "--db", db, "1")
	if want := "first_secretary 2024-06: publication 1 → live\n0 changed, 0 entered, 0 left; submissions: 0 added, 0 removed\n"; out != want {
		t.Errorf("an empty diff printed\n%s\nwant\n%s", out, want)
	}
	if code, _, errOut := runAt(t, tue, "ingest", "--db", db, filepath.Join(dir, "第一书记_2024-06_更正.csv")); code != exitOK {
		t.Fatalf("resubmit: %d %s", code, errOut)
	}
	_, out, _ = runAt(t, tue, "publication", "diff", "--db", db, "1")
	lines := strings.Split(out, "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[1], "entered, 0 left; submissions: 1 added, 1 removed") || !strings.HasPrefix(lines[2], "change ") {
		t.Errorf("a diff printed\n%s", out)
	}
}

// ingestJune ingests, on Tuesday 2 July 2024, the registry and the June first-secretary file
// written in dir, into dir/q.db, and returns the database and that moment.
func ingestJune(t *testing.T, dir string) (db string, tue time.Time) {
	t.Helper()
	db = filepath.Join(dir, "q.db")
	tue = time.Date(2024, 7, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if code, _, errOut := runAt(t, tue, "ingest", "--db", db, filepath.Join(dir, "帮扶村名册.csv"), filepath.Join(dir, "第一书记_2024-06.csv")); code != exitOK {
		t.Fatalf("ingest: %d %s", code, errOut)
	}
	return db, tue
}

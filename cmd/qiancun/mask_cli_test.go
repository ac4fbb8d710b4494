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
	db := filepath.Join(dir, "q.db")
	tue := time.Date(2024, 7, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if code, _, errOut := runAt(t, tue, "ingest", "--db", db, filepath.Join(dir, "帮扶村名册.csv"), filepath.Join(dir, "第一书记_2024-06.csv")); code != exitOK {
		t.Fatalf("ingest: %d %s", code, errOut)
	}
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

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestReportCLI writes the appraisal and coverage workbooks from a database, and the
// receipt workbooks of ingest --receipt-dir.
func TestReportCLI(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"帮扶村名册.csv":       cliRegistry,
		"fs_2024-05.csv":  cliFS("18"),
		"bad_2024-06.csv": cliFS("40"),
	})
	f := func(n string) string { return filepath.Join(dir, n) }
	db := f("q.db")
	receipts := f("回执")
	code, _, errOut := runCLI(t, "ingest", "--db", db, "--receipt-dir", receipts,
		f("帮扶村名册.csv"), f("fs_2024-05.csv"), f("bad_2024-06.csv"))
	if code != exitRejected {
		t.Fatalf("ingest: exit %d, want 1 (a file rejected)\n%s", code, errOut)
	}
	// Each file whose receipt has issues gets a receipt workbook (fs_2024-05.csv has
	// warnings: its amounts were converted from 万元); the clean registry gets none.
	entries, err := os.ReadDir(receipts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"bad_2024-06_回执.xlsx", "fs_2024-05_回执.xlsx"}) {
		t.Fatalf("receipt workbooks %q\n%s", names, errOut)
	}
	wb := openFile(t, filepath.Join(receipts, names[0]))
	if sheets := wb.GetSheetList(); len(sheets) != 2 || sheets[0] != "问题清单" {
		t.Errorf("receipt sheets %q", sheets)
	}

	tests := []struct {
		name   string
		args   []string
		code   int
		sheets []string
	}{
		{"appraisal", []string{"report", "appraisal", "--db", db, "--force", "first_secretary", "--period", "2024-05", "-o", f("a.xlsx")},
			exitOK, []string{"汇总", "排名", "指标说明", "数据来源"}},
		{"appraisal of a district", []string{"report", "appraisal", "--db", db, "--force", "first_secretary", "--period", "2024-Q2", "--district", "370124", "-o", f("b.xlsx")},
			exitOK, []string{"汇总", "排名", "指标说明", "数据来源"}},
		{"coverage", []string{"report", "coverage", "--db", db, "--period", "2024-05", "-o", f("c.xlsx")},
			exitOK, []string{"汇总", "帮扶村"}},
		{"unknown district", []string{"report", "coverage", "--db", db, "--period", "2024-05", "--district", "999999", "-o", f("d.xlsx")}, exitUsage, nil},
		{"unknown force", []string{"report", "appraisal", "--db", db, "--force", "nobody", "--period", "2024-05", "-o", f("e.xlsx")}, exitUsage, nil},
		{"no such database", []string{"report", "coverage", "--db", f("none.db"), "--period", "2024-05", "-o", f("g.xlsx")}, exitUsage, nil},
		{"no output", []string{"report", "coverage", "--db", db, "--period", "2024-05"}, exitUsage, nil},
		{"unknown workbook", []string{"report", "nothing"}, exitUsage, nil},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, tt.args...)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, code, tt.code, errOut)
			continue
		}
		out := tt.args[len(tt.args)-1]
		if tt.sheets == nil {
			if strings.HasSuffix(out, ".xlsx") {
				if _, err := os.Stat(out); err == nil {
					t.Errorf("%s: %s written after a failure", tt.name, out)
				}
			}
			continue
		}
		if got := openFile(t, out).GetSheetList(); !slices.Equal(got, tt.sheets) {
			t.Errorf("%s: sheets %q, want %q", tt.name, got, tt.sheets)
		}
	}
	if _, err := os.Stat(f("none.db")); err == nil {
		t.Error("report created the database it was pointed at")
	}
}

func openFile(t *testing.T, path string) *excelize.File {
	t.Helper()
	wb, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wb.Close() })
	return wb
}

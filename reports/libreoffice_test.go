package reports_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/internal/testtool"
	"github.com/qiancun/qiancun/reports"
)

// TestLibreOfficeOpens converts each kind of workbook to PDF with LibreOffice, which
// refuses a workbook it cannot open: a check that the files are sound beyond what excelize
// reads back. It is skipped when soffice is not installed (apt-get install -y
// libreoffice-calc-nogui) and with -short.
func TestLibreOfficeOpens(t *testing.T) {
	soffice := testtool.Need(t, "libreoffice-calc-nogui", "soffice")
	testtool.Short(t, testing.Short(), "LibreOffice conversion")
	dir := t.TempDir()
	books := map[string]func(*bytes.Buffer) error{
		"appraisal": func(w *bytes.Buffer) error {
			return reports.WriteAppraisal(w, reports.AppraisalInput{Ranking: smallRanking(), Sources: sources(), Made: made})
		},
		"appraisal_1000": func(w *bytes.Buffer) error {
			return reports.WriteAppraisal(w, reports.AppraisalInput{Ranking: bigRanking(1000), Made: made})
		},
		"appraisal_publication": func(w *bytes.Buffer) error {
			r := smallRanking()
			return reports.WriteAppraisal(w, reports.AppraisalInput{Ranking: r, Made: made, Publication: &reports.Publication{
				ID: 3, Kind: qiancun.KindCorrection, State: qiancun.Final, Hash: strings.Repeat("ab", 32), CreatedAt: made,
				Corrects: 2, Reason: "更正", Corrections: []reports.Correction{{Change: "变动", Key: r.Members[0].Key, Name: "张三"}},
				Objections: []qiancun.Objection{{ID: 1, MemberKey: r.Members[1].Key, MemberName: "乙", RaisedAt: made, Reason: "x"}},
			}})
		},
		"coverage": func(w *bytes.Buffer) error { return reports.WriteCoverage(w, coverageInput()) },
		"receipt_xlsx": func(w *bytes.Buffer) error {
			return reports.WriteReceipt(w, receiptOf(receipt("数据"), upload(t), false))
		},
		"receipt_csv": func(w *bytes.Buffer) error {
			return reports.WriteReceipt(w, reports.ReceiptInput{Receipt: receipt("data"), Made: made, Sheets: []reports.Sheet{{
				Name: "data", Rows: rowsOf(map[int][]string{2: {"姓名", "身份证号"}, 3: {"=1+1", idBad}}),
			}}})
		},
	}
	var files []string
	for name, write := range books {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := filepath.Join(dir, name+".xlsx")
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "pdf")
	args := append([]string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--convert-to", "pdf", "--outdir", out}, files...)
	cmd := exec.CommandContext(ctx, soffice, args...)
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v\n%s", err, log)
	}
	if strings.Contains(string(log), "Error") {
		t.Errorf("soffice reported an error:\n%s", log)
	}
	for _, f := range files {
		pdf := filepath.Join(out, strings.TrimSuffix(filepath.Base(f), ".xlsx")+".pdf")
		st, err := os.Stat(pdf)
		if err != nil || st.Size() < 1000 {
			t.Errorf("%s was not converted to PDF (%v)\n%s", filepath.Base(f), err, log)
		}
	}
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/reportdata"
	"github.com/qiancun/qiancun/reports"
	"github.com/qiancun/qiancun/store"
)

const reportUsage = `Usage:
  qiancun report appraisal --db PATH (--force SLUG --period P | --publication ID) [--district CODE] [--unmasked] -o FILE.xlsx
  qiancun report coverage  --db PATH --period P [--district CODE] -o FILE.xlsx

Writes the Excel workbooks of the appraisal:
  appraisal  a force's results for a period (YYYY-MM, YYYY-Qn or YYYY): 汇总, 排名, 指标说明, 数据来源
  coverage   which forces reach each assisted village in a period: 汇总, 帮扶村

Run 'qiancun report <workbook> --help' for its flags.
`

func runReport(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, reportUsage)
		return exitUsage
	}
	switch args[0] {
	case "appraisal":
		return reportAppraisal(ctx, e, args[1:])
	case "coverage":
		return reportCoverage(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(e.stdout, reportUsage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "qiancun report: unknown workbook %q\n\n%s", args[0], reportUsage)
	return exitUsage
}

func reportAppraisal(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "report appraisal", "--db PATH (--force SLUG --period P | --publication ID) [--district CODE] [--unmasked] -o FILE.xlsx",
		`Writes the appraisal workbook of a force for a period (YYYY-MM, YYYY-Qn or YYYY): 汇总 (per
district, with a chart of the average scores), 排名 (every member), 指标说明 (the rules) and
数据来源 (the submissions it was computed from). 身份证号 are masked unless --unmasked.
With --publication, the workbook of that publication: its frozen ranking, marked 公示稿,
正式稿 or 更正稿 with its id, hash and 公示 window, plus 公示名单, 异议处理 and (for a
correction) 更正说明.
-o - writes the workbook to standard output.

Forces: first_secretary, enterprise, finance, law, postal, tech, culture.`)
	ef := addEngineFlags(fs)
	force := fs.String("force", "", "the force's slug")
	period := fs.String("period", "", "appraisal period: YYYY-MM, YYYY-Qn or YYYY")
	district := fs.String("district", "", "only this district (6-digit code, e.g. 370112)")
	unmasked := fs.Bool("unmasked", false, "show 身份证号 in full (administrators only)")
	out := fs.String("o", "", "the workbook to write (.xlsx), or - for standard output")
	publication := fs.Int64("publication", 0, "the workbook of this publication (公示稿, 正式稿 or 更正稿) instead of the live ranking")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if (*publication == 0 && (*force == "" || *period == "")) || *out == "" {
		return fail(e, exitUsage, "report appraisal: --force and --period (or --publication) and -o are required (see --help)")
	}
	st, eng, code := openForReport(ctx, e, "appraisal", ef)
	if st == nil {
		return code
	}
	defer st.Close()
	var in reports.AppraisalInput
	var err error
	if *publication != 0 {
		in, err = reportdata.PublishedAppraisal(ctx, publish.New(st, eng, publish.Options{Now: e.now}), st, *publication, *district, *unmasked)
		if err != nil {
			return pubFail(e, "report appraisal", err)
		}
	} else if in, err = reportdata.Appraisal(ctx, eng, st, reportdata.AppraisalRequest{
		Force: *force, Period: *period, District: *district, Unmasked: *unmasked,
	}); err != nil {
		return fail(e, exitFor(err), "report appraisal: %v", err)
	}
	if err := writeWorkbook(e, *out, func(w io.Writer) error { return reports.WriteAppraisal(w, in) }); err != nil {
		return fail(e, exitRejected, "report appraisal: %v", err)
	}
	shown := len(in.Ranking.Members)
	if *district != "" {
		shown = in.Ranking.Select(qiancun.Filter{District: *district, Limit: 1}).Total
	}
	fmt.Fprintf(e.stderr, "wrote %s: %s %s, %d members, %d source files\n", *out, in.Ranking.ForceName, in.Ranking.Period,
		shown, len(in.Sources))
	return exitOK
}

func reportCoverage(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "report coverage", "--db PATH --period P [--district CODE] -o FILE.xlsx",
		`Writes the coverage workbook of a period (YYYY-MM, YYYY-Qn or YYYY): 汇总 (per district, the
villages each force reaches and their share) and 帮扶村 (every assisted village, ✓ under each
force that reaches it). -o - writes the workbook to standard output.`)
	ef := addEngineFlags(fs)
	period := fs.String("period", "", "period: YYYY-MM, YYYY-Qn or YYYY")
	district := fs.String("district", "", "only this district (6-digit code, e.g. 370112)")
	out := fs.String("o", "", "the workbook to write (.xlsx), or - for standard output")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if *period == "" || *out == "" {
		return fail(e, exitUsage, "report coverage: --period and -o are required (see --help)")
	}
	st, eng, code := openForReport(ctx, e, "coverage", ef)
	if st == nil {
		return code
	}
	defer st.Close()
	in, err := reportdata.Coverage(ctx, eng, *period, *district)
	if err != nil {
		return fail(e, exitFor(err), "report coverage: %v", err)
	}
	if err := writeWorkbook(e, *out, func(w io.Writer) error { return reports.WriteCoverage(w, in) }); err != nil {
		return fail(e, exitRejected, "report coverage: %v", err)
	}
	fmt.Fprintf(e.stderr, "wrote %s: %d villages\n", *out, len(in.Villages))
	return exitOK
}

// openForReport opens an existing database and the engine on it. On failure it returns a
// nil store and the exit code, the error already printed.
func openForReport(ctx context.Context, e *env, name string, ef engineFlags) (*store.Store, *queries.Engine, int) {
	if *ef.db != "" {
		if _, err := os.Stat(*ef.db); err != nil {
			return nil, nil, fail(e, exitUsage, "report %s: --db: %v", name, err)
		}
	}
	s, en, err := ef.open(ctx)
	if err != nil {
		return nil, nil, fail(e, exitFor(err), "report %s: %v", name, err)
	}
	return s, en, exitOK
}

// writeWorkbook writes a workbook to path, or to standard output for "-". A file is
// written beside its final name and renamed into place, so that a failure leaves no
// half-written workbook.
func writeWorkbook(e *env, path string, write func(io.Writer) error) error {
	if path == "-" {
		return write(e.stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// writeReceipts writes, into dir, the receipt workbook (<file base>_回执.xlsx) of each file
// whose receipt has issues: the file marked where its problems are. A receipt is matched to
// its file by name and SHA-256, so files that failed to be read are left out.
func writeReceipts(e *env, dir string, files []string, receipts []*qiancun.Receipt, maxFile int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	written := map[string]bool{}
	for _, path := range files {
		src, big, err := openUpTo(path, maxFile)
		if err != nil {
			continue // already reported by the ingest
		}
		var data []byte
		if src != nil {
			data, err = src.readAll()
			src.Close()
			if err != nil {
				continue
			}
		}
		sha := ""
		if big != nil {
			sha = big.SHA256 // too large to read: its receipt is 问题清单 alone
		} else {
			sum := sha256.Sum256(data)
			sha = hex.EncodeToString(sum[:])
		}
		var rc *qiancun.Receipt
		for _, r := range receipts {
			if r.SHA256 == sha && r.File == qiancun.MaskText(filepath.Base(path)) {
				rc = r
				break
			}
		}
		if rc == nil || len(rc.Issues) == 0 {
			continue
		}
		in := reportdata.ReceiptOf(rc, data, false)
		name := in.Filename()
		if written[name] { // a.csv and a.xlsx: keep the extension in the second name
			ext := filepath.Ext(rc.File)
			name = strings.TrimSuffix(rc.File, ext) + "_" + strings.TrimPrefix(ext, ".") + "_回执.xlsx"
		}
		written[name] = true
		out := filepath.Join(dir, name)
		if err := writeWorkbook(e, out, func(w io.Writer) error { return reports.WriteReceipt(w, in) }); err != nil {
			return fmt.Errorf("receipt workbook of %s: %w", path, err)
		}
		fmt.Fprintf(e.stderr, "wrote %s: %d problems marked\n", out, len(rc.Issues))
	}
	return nil
}

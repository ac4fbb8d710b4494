package ingest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/internal/peakrss"
	"github.com/qiancun/qiancun/internal/testbin"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

const benchRows = 100_000

var (
	benchOnce     sync.Once
	benchRegistry []byte
	benchFile     []byte
	benchErr      error
)

// benchFiles makes, once, a city-scale registry and a 100,000-row first-secretary .xlsx
// from the generator.
func benchFiles(b *testing.B) ([]byte, []byte) {
	b.Helper()
	benchOnce.Do(func() {
		vs, err := synth.Villages(synth.City, 1)
		if err != nil {
			benchErr = err
			return
		}
		var reg, fs bytes.Buffer
		if benchErr = synth.RegistryXLSX(&reg, vs); benchErr != nil {
			return
		}
		codes := make([]string, len(vs))
		for i, v := range vs {
			codes[i] = v.Code
		}
		benchErr = synth.FirstSecretaryXLSX(&fs, qiancun.Month{Year: 2024, Month: 5}, codes, benchRows, 1)
		benchRegistry, benchFile = reg.Bytes(), fs.Bytes()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchRegistry, benchFile
}

// BenchmarkReadFloor inflates the sheet XML of the 100,000-row file to io.Discard: the
// least any reader of the file can cost. Compare BenchmarkRead (the reader ingest uses)
// and BenchmarkReadExcelize.
func BenchmarkReadFloor(b *testing.B) {
	_, data := benchFiles(b)
	b.SetBytes(int64(len(data)))
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := inflateSheets(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead reads every row of the 100,000-row file through Open, which takes the fast
// reader.
func BenchmarkRead(b *testing.B) {
	_, data := benchFiles(b)
	b.SetBytes(int64(len(data)))
	defer reportCPU(b)()
	for b.Loop() {
		if n := readAllRows(b, data); n < benchRows {
			b.Fatalf("%d rows", n)
		}
	}
}

// BenchmarkReadShared is BenchmarkRead of the same file with its text in a shared-string
// table, as Excel, WPS and LibreOffice write it (the generator writes inline strings).
func BenchmarkReadShared(b *testing.B) {
	_, data := benchFiles(b)
	data = withSharedStrings(b, data)
	b.SetBytes(int64(len(data)))
	defer reportCPU(b)()
	for b.Loop() {
		if n := readAllRows(b, data); n < benchRows {
			b.Fatalf("%d rows", n)
		}
	}
}

// withSharedStrings rewrites an .xlsx of one sheet so that each inline string of the
// sheet is a shared string instead.
func withSharedStrings(b *testing.B, data []byte) []byte {
	b.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, body []byte) {
		w, err := zw.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			b.Fatal(err)
		}
	}
	const (
		open  = ` t="inlineStr"><is><t>`
		close = `</t></is></c>`
	)
	var sst bytes.Buffer
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	index := map[string]int{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		switch zf.Name {
		case "xl/worksheets/sheet1.xml":
			var sheet bytes.Buffer
			for {
				i := bytes.Index(body, []byte(open))
				if i < 0 {
					break
				}
				j := bytes.Index(body[i:], []byte(close))
				text := string(body[i+len(open) : i+j])
				n, ok := index[text]
				if !ok {
					n = len(index)
					index[text] = n
					fmt.Fprintf(&sst, "<si><t>%s</t></si>", text) // still escaped as in the sheet
				}
				sheet.Write(body[:i])
				fmt.Fprintf(&sheet, ` t="s"><v>%d</v></c>`, n)
				body = body[i+j+len(close):]
			}
			sheet.Write(body)
			body = sheet.Bytes()
		case "xl/_rels/workbook.xml.rels":
			body = bytes.Replace(body, []byte("</Relationships>"), []byte(`<Relationship Id="rIdShared" `+
				`Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`), 1)
		case "[Content_Types].xml":
			body = bytes.Replace(body, []byte("</Types>"), []byte(`<Override PartName="/xl/sharedStrings.xml" `+
				`ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`), 1)
		}
		put(zf.Name, body)
	}
	sst.WriteString("</sst>")
	put("xl/sharedStrings.xml", sst.Bytes())
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

// BenchmarkReadExcelize iterates the rows of the 100,000-row file with excelize's row
// iterator, as the reader did before the fast one.
func BenchmarkReadExcelize(b *testing.B) {
	_, data := benchFiles(b)
	b.SetBytes(int64(len(data)))
	defer reportCPU(b)()
	for b.Loop() {
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows(f.GetSheetList()[0])
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		rows.Close()
		f.Close()
		if n < benchRows {
			b.Fatalf("%d rows", n)
		}
	}
}

// inflateSheets unpacks every worksheet part of an .xlsx to io.Discard and returns the
// bytes unpacked.
func inflateSheets(data []byte) (int64, error) {
	return inflateSheetsFrom(bytes.NewReader(data), int64(len(data)))
}

// inflateSheetsFrom is inflateSheets of a file read in pieces from r.
func inflateSheetsFrom(r io.ReaderAt, size int64) (int64, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return n, err
		}
		k, err := io.Copy(io.Discard, rc)
		rc.Close()
		if n += k; err != nil {
			return n, err
		}
	}
	return n, nil
}

// readAllRows reads every row of every sheet through Open and counts them.
func readAllRows(b *testing.B, data []byte) int {
	return readAllRowsFrom(b, bytes.NewReader(data))
}

// readAllRowsFrom is readAllRows of a file read in pieces from src.
func readAllRowsFrom(b *testing.B, src ingest.Source) int {
	bk, err := ingest.OpenFrom("a.xlsx", src, ingest.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer bk.Close()
	n := 0
	for _, sh := range bk.Sheets() {
		it, err := bk.Rows(sh.Name)
		if err != nil {
			b.Fatal(err)
		}
		for it.Next() {
			n++
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		it.Close()
	}
	return n
}

// BenchmarkIngest reads, validates and stores the 100,000-row file (one transaction, a new
// month each time so that nothing is unchanged). Its peak memory is BenchmarkIngestRSS's,
// measured in processes of their own.
func BenchmarkIngest(b *testing.B) {
	reg, data := benchFiles(b)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db")) // a file, as the service uses
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ts, _ := ingest.LoadTemplates("")
	in := ingest.New(ts, st, ingest.DefaultLimits())
	if rc, err := in.Ingest(ctx, "帮扶村名册.xlsx", reg, ingest.Options{}); err != nil || rc.Status != qiancun.Accepted {
		b.Fatalf("registry: %v %v", err, rc)
	}
	b.SetBytes(int64(len(data)))
	i := 0
	defer reportCPU(b)()
	for b.Loop() {
		period := fmt.Sprintf("%04d-%02d", 2000+i/12, i%12+1)
		i++
		rc, err := in.Ingest(ctx, "fs.xlsx", data, ingest.Options{Period: period})
		if err != nil {
			b.Fatal(err)
		}
		if rc.Status != qiancun.Accepted || rc.Accepted != benchRows {
			b.Fatalf("%s: %d accepted, %d issues", rc.Status, rc.Accepted, len(rc.Issues))
		}
	}
}

// reportCPU reports the process's CPU time (user and system, every thread, DuckDB's
// included) per operation: on a shared machine it is steadier than the wall clock.
func reportCPU(b *testing.B) func() {
	var start syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &start)
	return func() {
		var end syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &end)
		cpu := end.Utime.Nano() + end.Stime.Nano() - start.Utime.Nano() - start.Stime.Nano()
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	}
}

// nationalFiles returns the village registry and the 200,000-row first-secretary file of
// `qiancun gen --scale national --months 2024-05`, generated once into
// $QIANCUN_BENCH_DIR/ingest-national-<synth.Version> (default: the system temp dir), so
// that a new generator makes them again.
func nationalFiles(b *testing.B) (registry, fs string) {
	b.Helper()
	dir := os.Getenv("QIANCUN_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "ingest-national-"+synth.Version)
	registry, fs = filepath.Join(dir, "帮扶村名册.xlsx"), filepath.Join(dir, "第一书记工作情况表_2024-05.xlsx")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return registry, fs
	}
	b.Logf("generating national data into %s (once)", dir)
	if _, err := synth.Generate(context.Background(), dir, synth.Options{
		Scale: synth.National, Seed: 1, Months: []qiancun.Month{{Year: 2024, Month: 5}}}); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return registry, fs
}

// nationalBase returns a database file holding the national registry, made once next to
// the files; each benchmark works on a copy.
func nationalBase(b *testing.B) (db, fs string) {
	b.Helper()
	reg, fs := nationalFiles(b)
	db = filepath.Join(filepath.Dir(fs), "registry-"+schemaVersion(b)+".db")
	if _, err := os.Stat(db + ".complete"); err == nil {
		return db, fs
	}
	os.Remove(db)
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	ts, _ := ingest.LoadTemplates("")
	data, err := os.ReadFile(reg)
	if err != nil {
		b.Fatal(err)
	}
	rc, err := ingest.New(ts, st, ingest.DefaultLimits()).Ingest(ctx, reg, data, ingest.Options{})
	if err != nil || rc.Status != qiancun.Accepted {
		b.Fatalf("registry: %v %v", err, rc)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(db+".complete", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return db, fs
}

// schemaVersion names the store's schema: a hash of the DDL of a fresh in-memory store and
// of the migrations that made it (the DDL DuckDB shows leaves out some of what they do,
// a column's compression for one).
func schemaVersion(b *testing.B) string {
	st, err := store.Open(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var ddl string
	if err := st.DB().QueryRow(`SELECT string_agg(sql, ';' ORDER BY sql) FROM (
		SELECT sql FROM duckdb_tables() UNION ALL SELECT sql FROM duckdb_views() WHERE NOT internal
		UNION ALL SELECT name FROM schema_migrations)`).Scan(&ddl); err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256([]byte(ddl))
	return hex.EncodeToString(h[:4])
}

// copyFile copies src to dst.
func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// cpuNow is the process's CPU time so far (user and system, every thread).
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngestNational ingests the 200,000-row national first-secretary file, and in
// the same iteration measures its floors side by side: inflating its sheet XML with Go's
// inflater (floor-cpu-ns/op) and with `unzip -p`, the issue's first floor, in a process of
// its own (unzip-cpu-ns/op); reading its rows through the reader ingest uses
// (read-cpu-ns/op); and a dry run that reads and validates without writing
// (dry-cpu-ns/op). cpu-ns/op is the whole ingest, x-floor its ratio to Go's inflate floor
// (the tighter), x-unzip to unzip's. Peak memory is BenchmarkIngestRSS's, in processes of
// their own.
//
//	go test ./ingest -run '^$' -bench IngestNational -benchtime 3x -timeout 30m
func BenchmarkIngestNational(b *testing.B) {
	base, fs := nationalBase(b)
	// The file is read in place, as `qiancun ingest` reads it.
	f, err := os.Open(fs)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	src := io.NewSectionReader(f, 0, fi.Size())
	ctx := context.Background()
	db := filepath.Join(b.TempDir(), "bench.db")
	copyFile(b, base, db)
	st, err := store.OpenWith(ctx, db, store.IngestOptions(store.IngestMemory)) // as `qiancun ingest` opens it
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ts, _ := ingest.LoadTemplates("")
	in := ingest.New(ts, st, ingest.DefaultLimits())
	var floor, read, dry, full, unzipped time.Duration
	// The floor the issue measured first: Info-ZIP's unzip inflating the sheets, in a
	// process of its own. Go's inflater (floor-cpu-ns/op) is the tighter of the two.
	unzip, _ := exec.LookPath("unzip")
	if unzip == "" {
		b.Log("no unzip on PATH: unzip-cpu-ns/op and x-unzip left out")
	}
	i := 0
	b.ResetTimer()
	for b.Loop() {
		if unzip != "" {
			u, err := unzipCPU(unzip, fs)
			if err != nil {
				b.Fatal(err)
			}
			unzipped += u
		}
		t0 := cpuNow()
		if _, err := inflateSheetsFrom(src, src.Size()); err != nil {
			b.Fatal(err)
		}
		t1 := cpuNow()
		if n := readAllRowsFrom(b, src); n < 200_000 {
			b.Fatalf("%d rows", n)
		}
		t2 := cpuNow()
		period := fmt.Sprintf("%04d-%02d", 2000+i/12, i%12+1)
		i++
		var rc *qiancun.Receipt
		var err error
		pprof.Do(ctx, pprof.Labels("phase", "dry"), func(ctx context.Context) {
			rc, err = in.IngestFrom(ctx, fs, src, ingest.Options{Period: period, DryRun: true})
		})
		if err != nil || rc.Status != qiancun.Accepted {
			b.Fatalf("dry run: %v %v", err, rc)
		}
		t3 := cpuNow()
		// Labelled, so that a CPU profile tells the ingest from its floors (-tagfocus
		// phase=ingest, or phase=dry).
		pprof.Do(ctx, pprof.Labels("phase", "ingest"), func(ctx context.Context) {
			rc, err = in.IngestFrom(ctx, fs, src, ingest.Options{Period: period})
		})
		if err != nil || rc.Status != qiancun.Accepted || rc.Accepted != 200_000 {
			b.Fatalf("ingest: %v %+v", err, rc)
		}
		t4 := cpuNow()
		floor, read, dry, full = floor+t1-t0, read+t2-t1, dry+t3-t2, full+t4-t3
	}
	n := float64(b.N)
	b.ReportMetric(float64(floor)/n, "floor-cpu-ns/op")
	b.ReportMetric(float64(read)/n, "read-cpu-ns/op")
	b.ReportMetric(float64(dry)/n, "dry-cpu-ns/op")
	b.ReportMetric(float64(full)/n, "cpu-ns/op")
	b.ReportMetric(float64(full)/float64(floor), "x-floor")
	if unzip != "" {
		b.ReportMetric(float64(unzipped)/n, "unzip-cpu-ns/op")
		b.ReportMetric(float64(full)/float64(unzipped), "x-unzip")
	}
}

// unzipCPU is the CPU time (user and system) of `unzip -p` writing the sheets of the .xlsx
// at path to /dev/null.
func unzipCPU(unzip, path string) (time.Duration, error) {
	cmd := exec.Command(unzip, "-p", path, "xl/worksheets/*")
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("unzip -p %s: %w", path, err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// ingestChild does one measured thing in a process of its own. spec is "floor|FILE"
// (read the file and inflate its sheet XML) or "dry|DB|FILE" (a dry run: read and validate
// the file, write nothing).
func ingestChild(spec string) error {
	parts := strings.Split(spec, "|")
	switch {
	case parts[0] == "floor" && len(parts) == 2:
		f, err := os.Open(parts[1])
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		_, err = inflateSheetsFrom(f, st.Size())
		return err
	case parts[0] == "dry" && len(parts) == 3:
		ctx := context.Background()
		st, err := store.Open(ctx, parts[1])
		if err != nil {
			return err
		}
		defer st.Close()
		f, err := os.Open(parts[2])
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		ts, _ := ingest.LoadTemplates("")
		opt := ingest.Options{Period: "2024-05", DryRun: true}
		// As `qiancun ingest` does: the file read in place, in pieces.
		src := io.NewSectionReader(f, 0, fi.Size())
		rc, err := ingest.New(ts, st, ingest.DefaultLimits()).IngestFrom(ctx, parts[2], src, opt)
		if err != nil {
			return err
		}
		if rc.Status != qiancun.Accepted {
			return fmt.Errorf("%s: %s, %d issues", parts[2], rc.Status, len(rc.Issues))
		}
		return nil
	}
	return fmt.Errorf("child spec %q", spec)
}

// benchSecretaries returns a first-secretary file of n rows over the national registry's
// villages (synth.FirstSecretaryXLSX), made once beside the national files.
func benchSecretaries(b *testing.B, n int) string {
	b.Helper()
	_, fs := nationalFiles(b)
	path := filepath.Join(filepath.Dir(fs), fmt.Sprintf("fs-%d.xlsx", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	vs, err := synth.Villages(synth.National, 1)
	if err != nil {
		b.Fatal(err)
	}
	codes := make([]string, len(vs))
	for i, v := range vs {
		codes[i] = v.Code
	}
	var buf bytes.Buffer
	if err := synth.FirstSecretaryXLSX(&buf, qiancun.Month{Year: 2024, Month: 5}, codes, n, 1); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path+".tmp", buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkIngestRSS measures the peak resident memory of ingesting a file, each time in
// a process of its own, beside two floors: a process that only reads the file and inflates
// its sheet XML (floor), and a dry run, which reads and validates the file but writes
// nothing (dry). Those two are this test binary run again, which reports its maximum
// resident set (VmHWM, read from /proc/self/status as it ends: the ru_maxrss the parent
// gets would count the parent's own pages). The ingest is `qiancun ingest --db DB FILE`
// itself (cli), built once and run under /usr/bin/time, whose child starts from a fork of
// a small process, so that its ru_maxrss is the command's own. peak-RSS-MB is the peak,
// cpu-ns/op the child's CPU time. The files: the national first-secretary file of
// `gen --scale national` (200,000 rows), and files of 200,000 and 400,000 rows from
// synth.FirstSecretaryXLSX, so that growth with the rows shows.
//
//	go test ./ingest -run '^$' -bench IngestRSS -benchtime 2x -timeout 30m
func BenchmarkIngestRSS(b *testing.B) {
	base, national := nationalBase(b)
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		b.Fatalf("BenchmarkIngestRSS measures the command under /usr/bin/time (Debian package time): %v", err)
	}
	bin := testbin.Build(b, "../cmd/qiancun", b.TempDir())
	files := []struct{ name, path string }{
		{"national-200k", national},
		{"bench-200k", benchSecretaries(b, 200_000)},
		{"bench-400k", benchSecretaries(b, 400_000)},
	}
	for _, f := range files {
		for _, mode := range []string{"floor", "dry", "cli"} {
			b.Run(f.name+"/"+mode, func(b *testing.B) {
				var peak int64
				var cpu time.Duration
				for b.Loop() {
					b.StopTimer()
					var cmd *exec.Cmd
					switch mode {
					case "floor", "dry":
						spec := "floor|" + f.path
						if mode == "dry" {
							db := filepath.Join(b.TempDir(), "rss.db")
							copyFile(b, base, db)
							spec = "dry|" + db + "|" + f.path
						}
						cmd = exec.Command(os.Args[0], "-test.run=^$")
						cmd.Env = append(os.Environ(), "QIANCUN_INGEST_CHILD="+spec)
					case "cli":
						db := filepath.Join(b.TempDir(), "rss.db")
						copyFile(b, base, db)
						cmd = exec.Command("/usr/bin/time", "-f", "VmHWM: %M kB", bin, "ingest", "--db", db, "--period", "2024-05", f.path)
					}
					b.StartTimer()
					out, err := cmd.CombinedOutput()
					if err != nil {
						b.Fatalf("%v: %s", err, out)
					}
					peak = max(peak, childPeak(b, out))
					cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				}
				b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// childPeak reads the VmHWM line (in kB) a child wrote.
func childPeak(b *testing.B, out []byte) int64 {
	kb, err := peakrss.Parse(out)
	if err != nil {
		b.Fatalf("the child: %v", err)
	}
	return kb
}

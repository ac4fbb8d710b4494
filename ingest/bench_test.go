package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
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

// BenchmarkReadFloor only iterates the rows of the 100,000-row file with excelize: the floor
// that BenchmarkIngest is measured against.
func BenchmarkReadFloor(b *testing.B) {
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

// BenchmarkIngest reads, validates and stores the 100,000-row file (one transaction, a new
// month each time so that nothing is unchanged), and reports the peak heap.
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
	var peak uint64
	var ms runtime.MemStats
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
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapSys)
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-sys")
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

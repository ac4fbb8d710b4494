package ingest

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

// BenchmarkValidate validates the rows of the national first-secretary file, read once
// beforehand, against the national registry: the validator's own cost, without reading.
// It uses the data BenchmarkIngestNational makes (run that first) and is skipped without.
// cpu-ns/op is the process's CPU time, the collector's included.
//
//	go test ./ingest -run '^$' -bench 'BenchmarkValidate$' -benchtime 5x
func BenchmarkValidate(b *testing.B) {
	dir := os.Getenv("QIANCUN_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "ingest-national-"+synth.Version)
	name := filepath.Join(dir, "第一书记工作情况表_2024-05.xlsx")
	regs, _ := filepath.Glob(filepath.Join(dir, "registry-*.db.complete"))
	if len(regs) == 0 {
		b.Skip("no national data: run BenchmarkIngestNational first")
	}
	ctx := context.Background()
	db := filepath.Join(b.TempDir(), "r.db")
	src, err := os.ReadFile(regs[0][:len(regs[0])-len(".complete")])
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(db, src, 0o600); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg, err := st.Registry(ctx)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := LoadTemplates("")
	if err != nil {
		b.Fatal(err)
	}
	book, err := open(name, bytes.NewReader(data), DefaultLimits(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer book.Close()
	sheet := book.Sheets()[0].Name
	head, nums, err := headRows(book, sheet)
	if err != nil {
		b.Fatal(err)
	}
	l := findLayout(head, nums, newHeaderIndex(ts.All()), ts.All(), nil)
	if l == nil {
		b.Fatal("no header")
	}
	type row struct {
		num   int
		cells []string
	}
	var rows []row
	it, err := book.Rows(sheet)
	if err != nil {
		b.Fatal(err)
	}
	for it.Next() {
		if n := it.Num(); n > l.headerRows[len(l.headerRows)-1] {
			rows = append(rows, row{n, slices.Clone(it.Cells())})
		}
	}
	if err := it.Close(); err != nil && err != io.EOF {
		b.Fatal(err)
	}
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for b.Loop() {
		sub := &Submission{Receipt: &qiancun.Receipt{}}
		v := newValidator(nil, l, sheet, sub, Options{}, &writer{dry: true})
		v.reg = reg
		for _, r := range rows {
			v.row(r.num, r.cells)
		}
		if sub.Receipt.Rows != 200_000 || v.errors > 0 || v.w.added != 200_000 {
			b.Fatalf("%d rows, %d errors, %d added: %+v", sub.Receipt.Rows, v.errors, v.w.added, sub.Receipt.Issues[:min(3, len(sub.Receipt.Issues))])
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}

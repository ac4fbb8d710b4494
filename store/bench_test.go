package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// sevenTemplate has the shape of the first-secretary template: a 身份证号 key and seven
// indicators.
var sevenTemplate = &qiancun.Template{Slug: "t7", Kind: qiancun.KindMonthly, Force: qiancun.FirstSecretary, Columns: []qiancun.Column{
	{Header: "身份证号", Type: qiancun.ColID, Role: qiancun.RoleKey},
	{Header: "a", Type: qiancun.ColInteger}, {Header: "b", Type: qiancun.ColInteger}, {Header: "c", Type: qiancun.ColMoney},
	{Header: "d", Type: qiancun.ColInteger}, {Header: "e", Type: qiancun.ColMoney}, {Header: "f", Type: qiancun.ColInteger},
	{Header: "g", Type: qiancun.ColInteger},
}}

// benchFacts makes n rows shaped as the national first-secretary file's: an 18-digit key,
// a name of three characters, one village, a short attrs object and seven values.
func benchFacts(n int) []qiancun.Fact {
	fs := make([]qiancun.Fact, n)
	units := []string{"山东师范大学", "历下区水务局", "历下区发展和改革局", "济南市农业农村局"}
	surnames, given := []rune("王李张刘陈杨赵黄周吴"), []rune("建国新云静丽鹏强伟芳敏")
	for i := range fs {
		v := 370102001201 + int64(i%40000)
		fs[i] = qiancun.Fact{
			Row:      i + 3,
			Key:      fmt.Sprintf("3701021966%04d%04d", i/10000, i%10000),
			Name:     string([]rune{surnames[i%10], given[i%11], given[(i/11)%11]}),
			Villages: []string{fmt.Sprint(v)},
			Attrs:    []byte(`{"派出单位":"` + units[i%len(units)] + `"}`),
			Values:   []int64{int64(i % 31 * 100), int64(i%90) * 100, int64(i*37) % 6000000, int64(i%3) * 100, int64(i*53) % 5000000, int64(i%7) * 100, int64(i%5) * 100},
		}
	}
	return fs
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStoreFacts stores 200,000 rows shaped as the national first-secretary file's,
// in batches of 2,048 as ingest sends them, through a store opened as `qiancun ingest`
// opens it (cpu-ns/op). Its floor, in the same iteration (floor-cpu-ns/op): DuckDB storing
// the same rows itself, copied with INSERT … SELECT from a table in memory, and
// committed.
//
//	go test ./store -run '^$' -bench StoreFacts -benchtime 3x
func BenchmarkStoreFacts(b *testing.B) {
	const n = 200_000
	ctx := context.Background()
	fs := benchFacts(n)
	st, err := store.OpenWith(ctx, filepath.Join(b.TempDir(), "b.db"), store.IngestOptions(store.IngestMemory))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var full, floor time.Duration
	i := 0
	for b.Loop() {
		i++
		t0 := cpuNow()
		tx, err := st.Begin(ctx, sevenTemplate)
		if err != nil {
			b.Fatal(err)
		}
		addBatches(b, tx, fs)
		rc := commitAccepted(b, tx, sevenTemplate, fmt.Sprintf("%04d-%02d", 2000+i/12, i%12+1), fmt.Sprint(i), n)
		t1 := cpuNow()
		// The floor: the rows just stored, copied by DuckDB into a table of the same columns.
		b.StopTimer()
		for _, q := range []string{
			"CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM fact_rows WHERE submission_id = " + fmt.Sprint(rc.SubmissionID),
			"CREATE TABLE IF NOT EXISTS floor_rows AS SELECT * FROM fact_rows LIMIT 0",
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		t2 := cpuNow()
		for _, q := range []string{"BEGIN", "INSERT INTO floor_rows SELECT * FROM src", "COMMIT"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		t3 := cpuNow()
		full, floor = full+t1-t0, floor+t3-t2
	}
	b.ReportMetric(float64(full)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(floor)/float64(b.N), "floor-cpu-ns/op")
	b.ReportMetric(float64(full)/float64(floor), "x-floor")
}

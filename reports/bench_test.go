package reports_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/internal/peakrss"
	"github.com/qiancun/qiancun/reports"
)

// benchMembers is the size of the benchmarks' ranking: the 200,000 members.
const benchMembers = 200_000

// The benchmarks share one ranking: building it takes longer than a workbook.
var benchRanking = sync.OnceValue(func() *qiancun.Ranking { return bigRanking(benchMembers) })

// BenchmarkAppraisalWorkbook writes the appraisal workbook of 200,000 first secretaries
// (seven indicators: 22 columns on 排名). Compare with BenchmarkStreamFloor:
//
//	go test ./reports -run '^$' -bench 'AppraisalWorkbook|StreamFloor' -benchmem -benchtime 3x
//
// Besides time and allocations it reports the CPU time per workbook (cpu-s/op: wall time
// suffers when other processes share the machine), the heap the ranking itself holds
// (ranking-MB), the peak of the heap while writing (peak-heap-MB, sampled every
// millisecond, ranking and garbage not yet collected included), the peak of the live heap
// as the collector measured it (peak-live-MB), and the memory the process obtained from
// the system (sys-MB), which bounds its peak resident size.
func BenchmarkAppraisalWorkbook(b *testing.B) {
	r := benchRanking()
	ranking := heapMB()
	m := startMeasure(b)
	for b.Loop() {
		if err := reports.WriteAppraisal(io.Discard, reports.AppraisalInput{Ranking: r, Made: made}); err != nil {
			b.Fatal(err)
		}
	}
	m.stop(b)
	b.ReportMetric(ranking, "ranking-MB")
}

// BenchmarkStreamFloor writes the cells of the appraisal workbook's 排名 sheet (the same
// values) as the least any .xlsx of them can cost: the sheet's XML written straight into a
// deflating zip entry that streams to io.Discard, numbers appended as numbers, with no
// styles, titles, shared strings or other sheets, and nothing held but one row.
func BenchmarkStreamFloor(b *testing.B) {
	r := benchRanking()
	m := startMeasure(b)
	for b.Loop() {
		if err := floorWorkbook(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
	m.stop(b)
}

// TestFloorWorkbook: the floor's workbook is one that excelize reads, with the ranking's
// cells.
func TestFloorWorkbook(t *testing.T) {
	t.Parallel()
	r := bigRanking(3)
	var buf bytes.Buffer
	if err := floorWorkbook(&buf, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("排名")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != strconv.Itoa(r.Members[1].Rank) || rows[2][3] != r.Members[2].Name {
		t.Errorf("rows %q", rows)
	}
}

// floorWorkbook writes r's 排名 cells as one sheet of a minimal package.
func floorWorkbook(w io.Writer, r *qiancun.Ranking) error {
	zw := zip.NewWriter(w)
	parts := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="排名" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
	for _, p := range parts {
		pw, err := zw.Create(p[0])
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, p[1]); err != nil {
			return err
		}
	}
	sw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	buf := []byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	num := func(v float64) {
		buf = append(strconv.AppendFloat(append(buf, "<c><v>"...), v, 'f', -1, 64), "</v></c>"...)
	}
	str := func(s string) {
		buf = append(buf, `<c t="inlineStr"><is><t>`...)
		buf = xmlEscape(buf, s)
		buf = append(buf, "</t></is></c>"...)
	}
	for i := range r.Members {
		m := &r.Members[i]
		buf = append(buf, "<row>"...)
		num(float64(m.Rank))
		num(float64(m.DistrictRank))
		str(qiancun.MaskKey(r.KeyKind, m.Key))
		str(m.Name)
		str(m.District)
		for j, ind := range r.Indicators {
			if ind.Money {
				num(float64(m.Values[j]) / 1e6)
			} else {
				num(float64(m.Values[j]) / 100)
			}
			num(float64(m.PointValues[j]) / 100)
		}
		num(float64(m.ScoreHundredths) / 100)
		str(m.Grade)
		str(m.VetoReason)
		buf = append(buf, "</row>"...)
		if _, err := sw.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
	}
	if _, err := io.WriteString(sw, "</sheetData></worksheet>"); err != nil {
		return err
	}
	return zw.Close()
}

// xmlEscape appends s to b with &, < and > escaped.
func xmlEscape(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// heapMB is the live heap after a collection.
func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / 1e6
}

// measure samples the heap while a benchmark runs, and times its CPU.
type measure struct {
	cpu  time.Duration
	done chan struct{}
	peak chan uint64
}

func startMeasure(b *testing.B) *measure {
	m := &measure{cpu: cpuTime(), done: make(chan struct{}), peak: make(chan uint64)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		var peak, live uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak, live = max(peak, s[0].Value.Uint64()), max(live, s[1].Value.Uint64())
			select {
			case <-m.done:
				m.peak <- peak
				m.peak <- live
				return
			case <-t.C:
			}
		}
	}()
	b.ResetTimer()
	return m
}

func (m *measure) stop(b *testing.B) {
	b.StopTimer()
	cpu := cpuTime() - m.cpu
	close(m.done)
	peak, live := <-m.peak, <-m.peak
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(live)/1e6, "peak-live-MB")
	b.ReportMetric(float64(ms.Sys)/1e6, "sys-MB")
}

// TestMain lets the test binary act as the child of BenchmarkWorkbookRSS.
func TestMain(m *testing.M) {
	if mode := os.Getenv("QIANCUN_WORKBOOK_CHILD"); mode != "" {
		if err := workbookChild(mode); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := peakrss.Report(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// workbookChild builds the 200,000-member ranking and, unless mode is "ranking", writes
// its appraisal workbook ("workbook") or the floor's ("floor") to io.Discard.
func workbookChild(mode string) error {
	r := bigRanking(benchMembers)
	switch mode {
	case "ranking":
		return nil
	case "workbook":
		return reports.WriteAppraisal(io.Discard, reports.AppraisalInput{Ranking: r, Made: made})
	case "floor":
		return floorWorkbook(io.Discard, r)
	}
	return fmt.Errorf("child mode %q", mode)
}

// BenchmarkWorkbookRSS measures the peak resident memory of writing the appraisal workbook
// of 200,000 members, each time in a process of its own (this test binary again), beside a
// process that only builds the ranking and one that writes the floor's workbook.
// peak-RSS-MB is the child's VmHWM, cpu-ns/op its CPU time.
//
//	go test ./reports -run '^$' -bench WorkbookRSS -benchtime 1x
func BenchmarkWorkbookRSS(b *testing.B) {
	for _, mode := range []string{"ranking", "floor", "workbook"} {
		b.Run(mode, func(b *testing.B) {
			var peak int64
			var cpu time.Duration
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), "QIANCUN_WORKBOOK_CHILD="+mode)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				kb, err := peakrss.Parse(out)
				if err != nil {
					b.Fatalf("the child: %v", err)
				}
				peak = max(peak, kb)
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

package reports_test

import (
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
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

// BenchmarkStreamFloor streams the cells of the appraisal workbook's 排名 sheet (the same
// values, computed the same way) into a StreamWriter with no styles, titles, formats or
// other sheets: the least any workbook of these cells can cost with excelize.
func BenchmarkStreamFloor(b *testing.B) {
	r := benchRanking()
	m := startMeasure(b)
	for b.Loop() {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		row := make([]any, 5+2*len(r.Indicators)+3)
		for i := range r.Members {
			m := &r.Members[i]
			row[0], row[1] = m.Rank, m.DistrictRank
			row[2], row[3], row[4] = qiancun.MaskKey(r.KeyKind, m.Key), m.Name, m.District
			c := 5
			for j, ind := range r.Indicators {
				if ind.Money {
					row[c] = float64(m.Values[j]) / 1e6
				} else {
					row[c] = float64(m.Values[j]) / 100
				}
				p, _ := strconv.ParseFloat(qiancun.Hundredths(m.PointValues[j]), 64)
				row[c+1] = p
				c += 2
			}
			row[c], row[c+1], row[c+2] = float64(m.ScoreHundredths)/100, m.Grade, m.VetoReason
			cell, _ := excelize.CoordinatesToCellName(1, i+4)
			if err := sw.SetRow(cell, row); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	m.stop(b)
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

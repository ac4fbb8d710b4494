package reports_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
)

// made is the time of making of every workbook in the tests: 2024-07-01 10:30 in Beijing.
var made = time.Date(2024, 7, 1, 2, 30, 0, 0, time.UTC)

// fsRules are the first secretaries' default rules.
func fsRules() *qiancun.ForceRules {
	return &qiancun.ForceRules{
		Indicators: []qiancun.Weighted{
			{Name: "驻村天数", Weight: 15, Benchmark: "target:20"}, {Name: "走访农户数", Weight: 15, Benchmark: "p80"},
			{Name: "协调资金", Weight: 20, Benchmark: "p80"}, {Name: "实施项目数", Weight: 15, Benchmark: "max"},
			{Name: "村集体增收", Weight: 15, Benchmark: "p80"}, {Name: "办实事数", Weight: 10, Benchmark: "p80"},
			{Name: "化解矛盾纠纷数", Weight: 10, Benchmark: "p80"},
		},
		Veto:       &qiancun.Veto{Indicator: "驻村天数", MinPerMonth: 15, Reason: "驻村天数不足"},
		Quota:      0.2,
		QuotaScope: qiancun.QuotaCity,
		Grades:     qiancun.Grades{Excellent: 80, Competent: 60, Incompetent: 40},
	}
}

var moneyIndicator = map[string]bool{"协调资金": true, "村集体增收": true}

// hundredths formats v/100 with two decimals, as the engine does.
func hundredths(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// member makes a first secretary with the given indicator values in hundredths; points
// are weight × value / 100 (the best is taken as 100 of each).
func member(rank, drank int, key, name, district string, score int64, grade string, values ...int64) qiancun.Member {
	m := qiancun.Member{
		Rank: rank, DistrictRank: drank, Key: key, Name: name, DistrictCode: district,
		District: qiancun.DistrictName(district), Score: hundredths(score), ScoreHundredths: score, Grade: grade,
		Months: 3, Values: values,
	}
	for _, w := range fsRules().Indicators {
		m.Names = append(m.Names, w.Name)
	}
	for i, w := range fsRules().Indicators {
		m.PointValues = append(m.PointValues, values[i]*int64(w.Weight)/100)
	}
	return m
}

// smallRanking is a hand-made ranking of five first secretaries in two districts, one of
// them with a name that looks like a formula, and one vetoed.
func smallRanking() *qiancun.Ranking {
	r := &qiancun.Ranking{
		Force: qiancun.FirstSecretary, ForceName: "第一书记", Period: "2024-Q2",
		Months: []string{"2024-04", "2024-05", "2024-06"}, MissingMonths: []string{"2024-06"},
		RulesVersion: "2024-p80", Rules: fsRules(), KeyKind: qiancun.KeyID,
		ComputedAt: time.Date(2024, 7, 1, 1, 0, 0, 0, time.UTC),
	}
	for _, w := range fsRules().Indicators {
		b, _ := qiancun.ParseBenchmark(w.Benchmark)
		in := qiancun.IndicatorInfo{Name: w.Name, Weight: hundredths(int64(w.Weight) * 100), BenchmarkRule: w.Benchmark,
			BenchmarkMode: b.Mode, Benchmark: "100.00", Best: "100.00", Money: moneyIndicator[w.Name]}
		switch b.Mode {
		case qiancun.BenchmarkPercentile:
			in.BenchmarkPosition = 4 // ⌈0.8 × 5⌉
		case qiancun.BenchmarkTarget:
			in.Benchmark = "60.00" // 20 × 3
		}
		r.Indicators = append(r.Indicators, in)
	}
	r.Indicators[2].Best, r.Indicators[2].Benchmark = "28000000.00", "12000000.00"
	r.Indicators[4].BenchmarkFallback = true
	r.Members = []qiancun.Member{
		member(1, 1, qiancun.MakeID("37011219800101001"), "张三", "370112", 9123, qiancun.GradeExcellent, 9000, 4500, 123456, 300, 5000050, 400, 200),
		member(2, 1, qiancun.MakeID("37012419850202002"), `=HYPERLINK("http://evil.example/","点我")`, "370124", 7000, qiancun.GradeCompetent, 8000, 3000, 2800000000, 200, -150000, 300, 100),
		member(2, 2, qiancun.MakeID("37011219900303003"), "+1", "370112", 7000, qiancun.GradeCompetent, 7000, 3000, 0, 100, 0, 0, 0),
		member(4, 2, qiancun.MakeID("37012419750404004"), "@SUM(A1)", "370124", 5000, qiancun.GradeBasic, 6000, 100, 1, 0, 99, 0, 0),
		member(5, 3, qiancun.MakeID("37011219700505005"), "-2", "370112", 3999, qiancun.GradeIncompetent, 1000, 0, 0, 0, 0, 0, 0),
	}
	r.Members[4].Vetoed = true
	r.Members[4].VetoReason = "驻村天数不足：考核期内驻村天数为10.00，低于3个月×15=45.00"
	return r
}

// bigRanking is a hand-made ranking of n first secretaries with seven indicators each,
// shaped as the engine makes them.
func bigRanking(n int) *qiancun.Ranking {
	rng := rand.New(rand.NewPCG(1, 2))
	r := smallRanking()
	r.Members = make([]qiancun.Member, n)
	districts := qiancun.Districts()
	for i := range r.Members {
		vals := make([]int64, 7)
		for j := range vals {
			vals[j] = rng.Int64N(10_000_000)
		}
		d := districts[i%len(districts)].Code
		key := qiancun.MakeID(fmt.Sprintf("%s19%09d", d, i)[:17])
		score := int64(n-i) * 10_000 / int64(n)
		grade := qiancun.GradeCompetent
		switch {
		case score >= 8000 && i < n/5:
			grade = qiancun.GradeExcellent
		case score < 4000:
			grade = qiancun.GradeIncompetent
		case score < 6000:
			grade = qiancun.GradeBasic
		}
		r.Members[i] = member(i+1, i/len(districts)+1, key, "成员"+strconv.Itoa(i), d, score, grade, vals...)
	}
	return r
}

// open reads a workbook back, with raw cell values (the number as stored, not as shown).
func open(t testing.TB, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func get(t testing.TB, f *excelize.File, sheet, cell string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, cell)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, cell, err)
	}
	return v
}

// cellName is the A1 name of (col, row).
func cellName(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

package qiancun

import "slices"

// NewScoreLine explains member m's indicator i (in.Name) of a ranking: the value, whether it
// is missing, the benchmark it is measured against, the weight and the points. Sources are
// left empty for the caller to fill. The live and the published scorecards both make their
// lines with it.
func NewScoreLine(in IndicatorInfo, m *Member, i int) ScoreLine {
	return ScoreLine{Indicator: in.Name, Value: Hundredths(m.Values[i]), Missing: slices.Contains(m.Missing, in.Name),
		BenchmarkRule: in.BenchmarkRule, BenchmarkMode: in.BenchmarkMode, Benchmark: in.Benchmark,
		BenchmarkPosition: in.BenchmarkPosition, BenchmarkFallback: in.BenchmarkFallback, Best: in.Best,
		Weight: in.Weight, Points: Hundredths(m.PointValues[i]), Sources: []Source{}}
}

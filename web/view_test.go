package web

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
)

func TestThousands(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"280000000.00": "280,000,000.00", "2429": "2,429", "100": "100", "1000": "1,000", "-12345.5": "-12,345.5",
		"0": "0", "": "", "—": "—", "12a": "12a", "1.2.3": "1.2.3",
	} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProgressDisplay(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want qiancun.ProgressLine }{
		{qiancun.ProgressLine{Label: "第一书记协调资金（元）", Actual: "280000000.00", Target: "280000000.00", Percent: "100.00"},
			qiancun.ProgressLine{Label: "第一书记协调资金（万元）", Actual: "28,000.00", Target: "28,000.00", Percent: "100.00"}},
		{qiancun.ProgressLine{Label: "产业项目总投资（元）", Actual: "3029123786.52"},
			qiancun.ProgressLine{Label: "产业项目总投资（万元）", Actual: "302,912.38"}},
		{qiancun.ProgressLine{Label: "x（元）", Actual: "12345", Target: "-49999"},
			qiancun.ProgressLine{Label: "x（万元）", Actual: "1.23", Target: "-5.00"}},
		{qiancun.ProgressLine{Label: "帮扶村数", Actual: "2429", Target: "2429", Percent: "100.00"},
			qiancun.ProgressLine{Label: "帮扶村数", Actual: "2,429", Target: "2,429", Percent: "100.00"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, progressDisplay(tt.in)); d != "" {
			t.Errorf("progressDisplay(%+v) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestRankChange(t *testing.T) {
	t.Parallel()
	prev := map[string]int{"a": 5, "b": 2, "c": 7}
	type out struct {
		Change   string
		Up, Down bool
	}
	tests := []struct {
		prev map[string]int
		id   string
		rank int
		want out
	}{
		{prev, "a", 2, out{"↑3", true, false}},
		{prev, "b", 4, out{"↓2", false, true}},
		{prev, "c", 7, out{"持平", false, false}},
		{prev, "d", 1, out{"新", false, false}},
		{nil, "a", 1, out{"—", false, false}},
	}
	for _, tt := range tests {
		var got out
		got.Change, got.Up, got.Down = rankChange(tt.prev, tt.id, tt.rank)
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("rankChange(%s, %d) (-want +got):\n%s", tt.id, tt.rank, d)
		}
	}
}

package qiancun

import "testing"

func TestPeriodLabel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"2024-06", "2024年6月"},
		{"2024-01", "2024年1月"},
		{"2024-12", "2024年12月"},
		{"2024-Q2", "2024年第2季度"},
		{"2024-q4", "2024年第4季度"},
		{"2024", "2024年度"},
		{"2024-13", "2024-13"}, // not a period: unchanged
		{"", ""},
		{"上半年", "上半年"},
	} {
		if got := PeriodLabel(tc.in); got != tc.want {
			t.Errorf("PeriodLabel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

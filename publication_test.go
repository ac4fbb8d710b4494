package qiancun

import (
	"testing"
	"time"
)

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("CST", 8*3600)
	day := func(s string) time.Time { d, _ := time.ParseInLocation(time.DateOnly, s, cst); return d }
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2024-07-02", 5, "2024-07-09"}, // Tuesday → Tuesday
		{"2024-07-05", 5, "2024-07-12"}, // Friday → Friday
		{"2024-07-06", 5, "2024-07-12"}, // Saturday → Friday
		{"2024-07-07", 1, "2024-07-08"}, // Sunday → Monday
		{"2024-07-05", 1, "2024-07-08"}, // Friday → Monday
		{"2024-07-02", 0, "2024-07-02"},
	}
	for _, tt := range tests {
		got := AddWorkingDays(day(tt.from).Add(15*time.Hour), tt.n).Format(time.DateOnly)
		if got != tt.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

package qiancun

import "testing"

func TestPeriodPrevious(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2024-06": "2024-05", "2024-01": "2023-12", "2024-12": "2024-11",
		"2024-Q2": "2024-Q1", "2024-Q1": "2023-Q4", "2024": "2023",
	} {
		p, err := ParsePeriod(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Previous().String(); got != want {
			t.Errorf("%s.Previous() = %s, want %s", in, got, want)
		}
	}
}

package qiancun

import (
	"slices"
	"testing"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   string
		months []string
	}{
		{"2024-05", "2024-05", []string{"2024-05"}},
		{"2024-Q2", "2024-Q2", []string{"2024-04", "2024-05", "2024-06"}},
		{"2024-q4", "2024-Q4", []string{"2024-10", "2024-11", "2024-12"}},
		{" 2024 ", "2024", []string{"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12"}},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in)
		if err != nil || p.String() != tt.want || !slices.Equal(p.MonthStrings(), tt.months) {
			t.Errorf("ParsePeriod(%q) = %v %v %v; want %s %v", tt.in, p, p.MonthStrings(), err, tt.want, tt.months)
		}
	}
	for _, bad := range []string{"", "2024-13", "2024-00", "2024-Q5", "2024-5", "24-05", "2024/05", "1800"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) accepted a bad period", bad)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	t.Parallel()
	// GB 11643's worked example, and the same number with a wrong check digit.
	for id, want := range map[string]bool{
		"11010519491231002X": true,
		"110105194912310021": false,
		"11010519491231002x": false, // the check character is a capital X
		"1101051949123100":   false,
		"A1010519491231002X": false,
	} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
	if got := MakeID("11010519491231002"); got != "11010519491231002X" {
		t.Errorf("MakeID = %q", got)
	}
	// A credit code made with its check character, then one character changed.
	code := MakeUSCC("91370100MA3C5YQ7X")
	if !ValidUSCC(code) {
		t.Errorf("ValidUSCC(%q) = false for a code MakeUSCC made", code)
	}
	for _, bad := range []string{code[:17] + "0", "91370100MA3C5YQ7XI", "9137010", "91370100ma3c5yq7x" + code[17:]} {
		if bad != code && ValidUSCC(bad) {
			t.Errorf("ValidUSCC(%q) accepted a bad code", bad)
		}
	}
	if !ValidUSCC("91350100M000100Y43") {
		t.Error(`ValidUSCC("91350100M000100Y43"), the standard's example, = false`)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"37011219800101123X": "370112********123X",
		"123":                "***",
		"":                   "",
	} {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
	if got := MaskKey(KeyUSCC, "91350100M000100Y43"); got != "91350100M000100Y43" {
		t.Errorf("a credit code was masked: %q", got)
	}
}

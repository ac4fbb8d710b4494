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

func TestMaskText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"plain text unchanged", "张三 历城区", "张三 历城区"},
		{"whole id", "37011219800101123X", "370112********123X"},
		{"lower-case x", "37011219800101123x", "370112********123x"},
		{"id in a footer", "注：联系人张三 370112198001011234，电话", "注：联系人张三 370112********1234，电话"},
		{"id in a name", "李四370112198001011234", "李四370112********1234"},
		{"full-width id", "３７０１１２１９８００１０１１２３Ｘ", "370112********123X"},
		{"bom before id", "\uFEFF370112198001011234", "370112********1234"},
		{"zero-width space inside", "370112\u200B198001011234", "370112********1234"},
		{"id as a number cell", "370112198001011000", "370112********1000"},
		{"two ids", "370112198001011234、370112198001015678", "370112********1234、370112********5678"},
		{"longer digit run kept", "62220212345678901234", "62220212345678901234"},
		{"village code kept", "370112001001", "370112001001"},
		{"seventeen digits kept", "37011219800101123", "37011219800101123"},
	} {
		if got := MaskText(tc.in); got != tc.want {
			t.Errorf("%s: MaskText(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

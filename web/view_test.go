package web

import "testing"

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

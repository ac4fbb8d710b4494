package peakrss

import (
	"bytes"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want int64
		bad  bool
	}{
		{"status file", "Name:\tqiancun\nVmPeak:\t  900 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n", 51234, false},
		{"child output", "goos: linux\nVmHWM:\t7 kB\nPASS\n", 7, false},
		{"none", "VmRSS:\t40000 kB\n", 0, true},
		{"garbled", "VmHWM: many kB\n", 0, true},
	} {
		got, err := Parse([]byte(tc.in))
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%s: Parse = %d, %v; want %d (error %v)", tc.name, got, err, tc.want, tc.bad)
		}
	}
}

// TestReport checks that what Report writes Parse reads back, as a positive figure.
func TestReport(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Report(&b); err != nil {
		t.Fatal(err)
	}
	kb, err := Parse(b.Bytes())
	if err != nil || kb <= 0 {
		t.Fatalf("Report wrote %q: %d, %v", b.String(), kb, err)
	}
}

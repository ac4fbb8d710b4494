package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qiancun/qiancun"
)

var update = flag.Bool("update", false, "record the generator's output under the current Version")

// TestVersion pins the hash of the demo data set, clean and messy, to Version: when the
// generator's output changes, Version must change too (then run with -update).
func TestVersion(t *testing.T) {
	t.Parallel()
	h := sha256.New()
	for _, messy := range []bool{false, true} {
		dir := t.TempDir()
		sum, err := Generate(context.Background(), dir, Options{Messy: messy, Months: []qiancun.Month{{Year: 2024, Month: 5}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range sum.Files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			h.Write([]byte(filepath.Base(f)))
			h.Write(data)
		}
	}
	got := Version + " " + hex.EncodeToString(h.Sum(nil))
	golden := filepath.Join("testdata", "version.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(data))
	switch {
	case got == want:
	case strings.HasPrefix(want, Version+" "):
		t.Errorf("the generator writes other files than version %s did: change synth.Version, then run go test ./synth -run TestVersion -update", Version)
	default:
		t.Errorf("version.txt records %q: run go test ./synth -run TestVersion -update", want)
	}
}

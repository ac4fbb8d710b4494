package store_test

import (
	"context"
	"testing"

	"github.com/qiancun/qiancun"
)

// TestRegistry looks up villages and towns in the registry the store reads from a village
// registry of hand-picked codes: a code twice, ones not all digits (one of them 12 bytes
// of 4 characters), and one of 13 digits.
func TestRegistry(t *testing.T) {
	t.Parallel()
	st := openMem(t)
	var facts []qiancun.Fact
	for _, code := range []string{"370112001001", "370112001002", "370112001001", "370103002005", "X70112001009", "012345678901", "甲乙丙丁", "3701120020011"} {
		facts = append(facts, village(code, "历城区", "某镇", "某村"))
	}
	submit(t, st, registryTemplate, "", "reg", facts)
	r, err := st.Registry(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != 7 {
		t.Errorf("Size = %d, want 7", r.Size())
	}
	for code, want := range map[string]bool{
		"370112001001": true, "370112001002": true, "370103002005": true, "X70112001009": true, "012345678901": true,
		"甲乙丙丁": true, "3701120020011": true, "370112002001": false,
		"370112001003": false, "37011200100": false, "3701120010010": false, "": false, "370112001001 ": false,
		"12345678901": false, // 012345678901 without its leading zero
		"370112001":   false, // a town is no village
	} {
		if got := r.Village(code); got != want {
			t.Errorf("Village(%q) = %v, want %v", code, got, want)
		}
	}
	for code, want := range map[string]bool{
		"370112001": true, "370103002": true, "X70112001": true, "012345678": true, "甲乙丙": true, "370112002": true,
		"370112003": false, "370112001001": false, "37011200": false, "12345678": false,
	} {
		if got := r.Town(code); got != want {
			t.Errorf("Town(%q) = %v, want %v", code, got, want)
		}
	}
}

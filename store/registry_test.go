package store

import "testing"

// TestRegistry looks up villages and towns in a registry of hand-picked codes.
func TestRegistry(t *testing.T) {
	t.Parallel()
	r := newRegistry([]string{"370112001001", "370112001002", "370112001001", "370103002005", "X70112001009"})
	if r.Size() != 4 {
		t.Errorf("Size = %d, want 4", r.Size())
	}
	for code, want := range map[string]bool{
		"370112001001": true, "370112001002": true, "370103002005": true, "X70112001009": true,
		"370112001003": false, "37011200100": false, "3701120010010": false, "": false, "370112001001 ": false,
		"370112001": false, // a town is no village
	} {
		if got := r.Village(code); got != want {
			t.Errorf("Village(%q) = %v, want %v", code, got, want)
		}
	}
	for code, want := range map[string]bool{
		"370112001": true, "370103002": true, "X70112001": true,
		"370112002": false, "370112001001": false, "37011200": false,
	} {
		if got := r.Town(code); got != want {
			t.Errorf("Town(%q) = %v, want %v", code, got, want)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLocalFileChanged: a file written, replaced or grown while it was ingested in place is
// noticed; one left alone is not.
func TestLocalFileChanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.xlsx")
	write := func(content string, mod time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	then := time.Now().Add(-time.Hour)
	for _, c := range []struct {
		name   string
		change func()
		want   bool
	}{
		{"left alone", func() {}, false},
		{"same size, written", func() { write("abcd", then.Add(time.Second)) }, true},
		{"grown", func() {
			f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("e")
			f.Close()
			os.Chtimes(path, then, then)
		}, true},
		{"replaced", func() {
			os.Remove(path)
			write("abcd", then)
		}, true},
	} {
		write("abcd", then)
		src, big, err := openUpTo(path, 100)
		if err != nil || big != nil {
			t.Fatalf("%s: open: %v %v", c.name, big, err)
		}
		c.change()
		if got := src.changed(); got != c.want {
			t.Errorf("%s: changed() = %v, want %v", c.name, got, c.want)
		}
		src.Close()
	}
	// Over the limit: not opened, its receipt instead.
	write("abcd", then)
	if src, big, err := openUpTo(path, 3); src != nil || big == nil || err != nil {
		t.Errorf("over the limit: %v %v %v", src, big, err)
	}
}

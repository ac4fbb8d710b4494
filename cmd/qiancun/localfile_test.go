package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
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
	if src, big, err := openUpTo(path, 3); src != nil || big == nil || err != nil || big.SHA256 != sha("abcd") {
		t.Errorf("over the limit: %v %v %v", src, big, err)
	}
	// A pipe: read whole, up to the limit, and never said to have changed.
	for _, limit := range []int64{100, 3} {
		fifo := filepath.Join(dir, fmt.Sprint("fifo", limit))
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		go func() {
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				f.WriteString("abcd")
				f.Close()
			}
		}()
		src, big, err := openUpTo(fifo, limit)
		switch {
		case err != nil:
			t.Errorf("a pipe: %v", err)
		case limit == 3 && (src != nil || big == nil || big.SHA256 != sha("abcd")):
			t.Errorf("a pipe over the limit: %v, %+v", src, big)
		case limit == 100:
			b := make([]byte, 10)
			n, _ := src.ReadAt(b, 0)
			if string(b[:n]) != "abcd" || src.changed() {
				t.Errorf("a pipe: read %q, changed %v", b[:n], src.changed())
			}
			src.Close()
		}
	}
}

// sha is the SHA-256 of s in hex.
func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Package peakrss reads a process's peak resident set (VmHWM in /proc/<pid>/status, Linux
// only) for the memory benchmarks and the load test. A benchmark's child process calls
// Report as it ends; the parent finds the figure in the child's output with Parse.
//
// A child reports its own: the parent's ru_maxrss of a child would count the parent's
// pages too (Go starts children with vfork, sharing the parent's memory until exec).
package peakrss

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Report writes this process's "VmHWM: N kB" line to w.
func Report(w io.Writer) error {
	kb, err := Of(os.Getpid())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "VmHWM:\t%d kB\n", kb)
	return err
}

// Of returns the peak resident set, in KiB, of the running process pid.
func Of(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	return Parse(b)
}

// Parse returns the KiB of the first "VmHWM: N kB" line in out (a child's output or a
// /proc status file), or an error when there is none.
func Parse(out []byte) (int64, error) {
	for line := range bytes.Lines(out) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		var kb int64
		if _, err := fmt.Sscanf(string(bytes.TrimSpace(rest)), "%d kB", &kb); err != nil {
			return 0, fmt.Errorf("%q: %w", bytes.TrimSpace(line), err)
		}
		return kb, nil
	}
	return 0, fmt.Errorf("no VmHWM line in %.300q", out)
}

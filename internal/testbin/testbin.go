// Package testbin builds the qiancun command and runs it as a server for end-to-end tests:
// the one way the tests of cmd/qiancun, web and deploy/loadtest start the real program.
package testbin

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Build builds the command in pkg (a package path relative to the test's folder, such as
// "." or "../cmd/qiancun") into dir and returns the binary's path.
func Build(t testing.TB, pkg, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "qiancun")
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Log is a buffer safe for a writer and a reader at once: a process's output.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns all that was written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Server is a running qiancun process.
type Server struct {
	URL    string    // as the process printed it: "url http://127.0.0.1:port"
	Stderr *Log      // its standard error (the log)
	Cmd    *exec.Cmd // the process, for signals and /proc
	done   chan struct{}
	err    error
}

// Start starts bin with args and waits (at most 60 s) for the "url …" line a server prints
// on standard output; the test fails if the process exits first or prints none. When the
// test ends the process gets an interrupt and, if it has not exited within 20 s, a kill.
func Start(t testing.TB, bin string, args ...string) *Server {
	t.Helper()
	s := &Server{Stderr: &Log{}, Cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stdout, err := s.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.Cmd.Stderr = s.Stderr
	if err := s.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.Cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = s.Cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = s.Cmd.Process.Kill()
		}
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "url "); ok {
				urlc <- u
			}
		}
	}()
	select {
	case s.URL = <-urlc:
	case <-s.done:
		t.Fatalf("%v exited: %v\n%s", args, s.err, s.Stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%v: no url line in 60 s\n%s", args, s.Stderr.String())
	}
	return s
}

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err is how the process exited (exec.Cmd.Wait's error); call it after Done is closed.
func (s *Server) Err() error { return s.err }

package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qiancun/qiancun/store"
)

// TestMain lets the test binary act as the process that holds a database.
func TestMain(m *testing.M) {
	if db := os.Getenv("QIANCUN_HOLD_DB"); db != "" {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
		fmt.Println("HOLDING")
		time.Sleep(time.Minute)
		st.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestMigrationsRunOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "q.db")
	for range 2 {
		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		var n, distinct int
		if err := st.DB().QueryRow("SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n == 0 || n != distinct {
			t.Errorf("schema_migrations: %d rows, %d versions", n, distinct)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLockedByAnotherProcess checks that opening a database another process holds fails at
// once, naming the process and pointing to the HTTP API.
func TestLockedByAnotherProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "held.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "QIANCUN_HOLD_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "HOLDING" {
		t.Fatalf("the holder said %q", sc.Text())
	}
	_, err = store.Open(context.Background(), path)
	var le *store.LockedError
	if !errors.As(err, &le) || !errors.Is(err, store.ErrLocked) {
		t.Fatalf("err = %v, want a LockedError", err)
	}
	if le.PID != cmd.Process.Pid {
		t.Errorf("PID = %d, want the holder's %d", le.PID, cmd.Process.Pid)
	}
	msg := err.Error()
	for _, want := range []string{path, strconv.Itoa(cmd.Process.Pid), "qiancun serve", "/api/v1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
}

// TestOpenWithThreads: the options reach DuckDB.
func TestOpenWithThreads(t *testing.T) {
	t.Parallel()
	st, err := store.OpenWith(context.Background(), filepath.Join(t.TempDir(), "q.db"), store.Options{Threads: 1, MemoryLimit: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow("SELECT current_setting('threads')").Scan(&n); err != nil || n != 1 {
		t.Errorf("threads = %d (%v), want 1", n, err)
	}
	var mem string
	if err := st.DB().QueryRow("SELECT current_setting('memory_limit')").Scan(&mem); err != nil || mem != "64.0 MiB" {
		t.Errorf("memory_limit = %q (%v), want 64.0 MiB", mem, err)
	}
}

package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/internal/peakrss"
	"github.com/qiancun/qiancun/store"
	"github.com/qiancun/qiancun/synth"
)

// announcingSink says on stdout when a submission's transaction begins and how long it
// took to commit, so that the test can kill the process in the middle of it.
type announcingSink struct{ *store.Store }

func (s announcingSink) Begin(ctx context.Context, t *ingest.Template) (ingest.Tx, error) {
	tx, err := s.Store.Begin(ctx, t)
	fmt.Println("WRITING")
	return announcingTx{tx, time.Now()}, err
}

type announcingTx struct {
	ingest.Tx
	start time.Time
}

func (t announcingTx) Commit(ctx context.Context, sub *ingest.Submission) error {
	err := t.Tx.Commit(ctx, sub)
	fmt.Println("WROTE", time.Since(t.start).Nanoseconds())
	return err
}

// TestMain lets the test binary act as the child that TestKillMidIngest kills, or as the
// child whose memory BenchmarkIngestRSS measures.
func TestMain(m *testing.M) {
	if spec := os.Getenv("QIANCUN_INGEST_CHILD"); spec != "" {
		if err := ingestChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// The peak resident set of this process since its exec (see peakrss).
		if err := peakrss.Report(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if db := os.Getenv("QIANCUN_KILL_CHILD_DB"); db != "" {
		os.Exit(killChild(db, os.Getenv("QIANCUN_KILL_CHILD_FILE")))
	}
	os.Exit(m.Run())
}

func killChild(db, file string) int {
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	ts, _ := ingest.LoadTemplates("")
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	rc, err := ingest.New(ts, announcingSink{st}, ingest.DefaultLimits()).Ingest(ctx, file, data, ingest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println("DONE", rc.Status)
	st.Close()
	return 0
}

// killRows is the size of the file TestKillMidIngest ingests: more than one piece of the
// store's (a DuckDB row group, 122,880 rows), so that a kill can land after a piece has
// committed and before the submission has.
const killRows = 250_000

// TestKillMidIngest kills (SIGKILL) a process in the middle of writing a large submission
// and checks that the database holds either all of it or none of it.
func TestKillMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	t.Parallel()
	dir := t.TempDir()
	vs, err := synth.Villages(synth.Demo, 1)
	if err != nil {
		t.Fatal(err)
	}
	var reg, fs bytes.Buffer
	if err := synth.RegistryXLSX(&reg, vs); err != nil {
		t.Fatal(err)
	}
	codes := make([]string, len(vs))
	for i, v := range vs {
		codes[i] = v.Code
	}
	if err := synth.FirstSecretaryXLSX(&fs, qiancun.Month{Year: 2024, Month: 5}, codes, killRows, 1); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "第一书记工作情况表_2024-05.xlsx")
	if err := os.WriteFile(file, fs.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// A first child runs to the end and says how long its transaction took (rows are
	// written while the file is read); the next ones are killed at points spread over that
	// time, from its start to just before its end.
	var took time.Duration
	killedBeforeCommit := 0
	for i, frac := range []float64{-1, 0, 0.3, 0.6, 0.9} {
		delay := time.Duration(frac * float64(took))
		db := filepath.Join(dir, fmt.Sprintf("k%d.db", i))
		func() {
			st, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ts, _ := ingest.LoadTemplates("")
			if rc, err := ingest.New(ts, st, ingest.DefaultLimits()).Ingest(context.Background(), "帮扶村名册.xlsx", reg.Bytes(), ingest.Options{}); err != nil || rc.Status != qiancun.Accepted {
				t.Fatalf("registry: %v", err)
			}
		}()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "QIANCUN_KILL_CHILD_DB="+db, "QIANCUN_KILL_CHILD_FILE="+file)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() && !strings.HasPrefix(sc.Text(), "WRITING") {
		}
		if frac >= 0 {
			time.Sleep(delay)
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		rest := ""
		for sc.Scan() {
			rest += sc.Text() + "\n"
		}
		_ = cmd.Wait()
		if frac < 0 {
			var ns int64
			if _, err := fmt.Sscanf(rest, "WROTE %d", &ns); err != nil {
				t.Fatalf("the measuring child said %q (stderr %s)", rest, stderr.String())
			}
			took = time.Duration(ns)
			t.Logf("a whole write takes %v", took)
		} else if strings.Contains(rest, "DONE") {
			t.Logf("delay %v: the child finished before the kill", delay)
		}

		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatalf("reopen after kill: %v (stderr: %s)", err, stderr.String())
		}
		var subs, rows, values, accepted int
		q := st.DB().QueryRow(`SELECT
			(SELECT count(*) FROM submissions WHERE template = 'first_secretary'),
			(SELECT count(*) FROM fact_rows r JOIN submissions s ON s.id = r.submission_id WHERE s.template = 'first_secretary'),
			(SELECT count(*) FROM fact_values v JOIN submissions s ON s.id = v.submission_id WHERE s.template = 'first_secretary'),
			(SELECT coalesce(sum(rows_accepted), 0) FROM submissions WHERE template = 'first_secretary')`)
		if err := q.Scan(&subs, &rows, &values, &accepted); err != nil {
			t.Fatal(err)
		}
		var orphans int
		if err := st.DB().QueryRow(`SELECT count(*) FROM fact_rows WHERE submission_id NOT IN (SELECT id FROM submissions)`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		var villages int
		_ = st.DB().QueryRow("SELECT count(*) FROM villages").Scan(&villages)
		st.Close()
		t.Logf("delay %v: %d submissions, %d rows, %d values", delay, subs, rows, values)
		switch {
		case orphans != 0:
			t.Errorf("delay %v: %d fact rows without a submission", delay, orphans)
		case subs == 0 && (rows != 0 || values != 0):
			t.Errorf("delay %v: partial submission: %d rows, %d values and no submission", delay, rows, values)
		case subs == 1 && (rows != accepted || values != accepted*7 || accepted != killRows):
			t.Errorf("delay %v: submission with %d rows, %d values for %d accepted", delay, rows, values, accepted)
		case subs > 1:
			t.Errorf("delay %v: %d submissions", delay, subs)
		}
		if villages != len(vs) {
			t.Errorf("delay %v: the registry committed before was damaged: %d villages", delay, villages)
		}
		if frac < 0 && subs != 1 {
			t.Fatalf("the child that was not killed left %d submissions", subs)
		}
		if frac >= 0 && subs == 0 {
			killedBeforeCommit++
		}
	}
	if killedBeforeCommit == 0 {
		t.Error("no kill landed before the commit: the test did not exercise a kill mid-ingest")
	}
}

// Command qiancun is the appraisal service of Jinan's 万人下乡、千村提升 project: it ingests the
// departments' monthly spreadsheets into DuckDB, appraises the seven supporting forces, and
// serves rankings, scorecards, workbooks and metrics.
//
// Flags, configuration and the wiring of every part live in this package and nowhere else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	// What the service writes (the database and its write-ahead log, bundles, temporary
	// files) holds full 身份证号: the owner's only. A workbook that report writes for
	// others is made readable on purpose (report.go).
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK       = 0
	exitRejected = 1 // a file was rejected, or the command failed
	exitUsage    = 2
)

// env is what a command may reach of the outside world.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// now is the clock: what "today" is for a publication's 公示 window. Tests move it.
	now func() time.Time
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

func commands() []command {
	return []command{
		{"demo", "build a database from the demo data and serve it (prints the URL and a token per role)", runDemo},
		{"ingest", "read departmental files into the database and print their receipts", runIngest},
		{"gen", "write synthetic departmental files (demo, city or national scale)", runGen},
		{"serve", "serve the database over HTTP: the API, /metrics, /healthz (or, with --replica, its snapshots)", runServe},
		{"snapshot", "write a verified, immutable snapshot of the database for read replicas", runSnapshot},
		{"token", "make a bearer token for the HTTP API and its config entry", runToken},
		{"rank", "print a force's ranking for an appraisal period", runRank},
		{"query", "run a query pack (KPIs, coverage, progress, projects)", runQuery},
		{"report", "write an Excel workbook: appraisal results or village coverage", runReport},
		{"publish", "publish a force's ranking for public notice (公示): freeze it, hash it, chain it", runPublish},
		{"publication", "list, show, finalize, withdraw, correct, verify or diff publications", runPublication},
		{"objection", "record, answer and list objections (异议) to a publication in 公示", runObjection},
	}
}

const usageHead = `qiancun — appraisal service of Jinan's 万人下乡、千村提升 project.

Usage:
  qiancun <command> [flags] [args]

Commands:
`

func usage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'qiancun <command> --help' for a command's flags.\n")
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}, args)
}

// runEnv runs the command args names in the environment e.
func runEnv(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "qiancun: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

// newFlags makes a command's flag set, whose --help prints the synopsis and the flags.
func newFlags(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  qiancun %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may come before, between or after the positional arguments,
// and returns the positional ones. It returns an error already reported to the user.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageCode turns a flag parse error into an exit code: 0 for --help, else a usage error.
func usageCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// fail prints an error for the user and returns the exit code for it.
func fail(e *env, code int, format string, a ...any) int {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintln(e.stderr, "qiancun: "+strings.TrimSpace(msg))
	return code
}

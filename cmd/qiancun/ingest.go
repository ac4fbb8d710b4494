package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/store"
)

func runIngest(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "ingest", "--db PATH [--template SLUG] [--period YYYY-MM] [--accept-valid] [--json] [--receipt-dir DIR] [--max-file-mb N] [--duckdb-memory-mb N] FILE...",
		`Reads departmental files (.xlsx, .xls, .csv in UTF-8 or GBK) into the database and prints a
receipt per file, in the order given, naming every bad cell. A village registry among the
files is read first, so that the other files can be checked against it. Each file is read
in place, in pieces, never whole: a file changed while it is read is noticed and not kept.

Exit status: 0 when nothing was rejected, 1 when any file was rejected, 2 for a usage error.`)
	db := fs.String("db", "", "database file (in memory when omitted: validates only, keeps nothing)")
	tmpl := fs.String("template", "", "force this template (villages, first_secretary, ..., projects) instead of recognising it")
	period := fs.String("period", "", "the files' month, YYYY-MM, instead of finding it in the file")
	acceptValid := fs.Bool("accept-valid", false, "accept the valid rows and quarantine the bad ones instead of rejecting the file")
	asJSON := fs.Bool("json", false, "print one JSON array of receipts")
	templatesDir := fs.String("templates", "", "directory of *.toml templates that override or add to the built-in ones")
	receiptDir := fs.String("receipt-dir", "", "write each file with problems back into this directory, the bad cells marked (<file>_回执.xlsx)")
	maxFileMB := fs.Int64("max-file-mb", 200, "largest file read, in MiB; a larger one is rejected unread and not stored")
	memoryMB := fs.Int64("duckdb-memory-mb", store.IngestMemory>>20, "memory DuckDB may keep for its buffers, in MiB, beyond which it writes them to DB.tmp; 0: DuckDB's default (80% of RAM)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	if len(files) == 0 {
		fs.Usage()
		return exitUsage
	}
	if *period != "" {
		if _, err := qiancun.ParseMonth(*period); err != nil {
			return fail(e, exitUsage, "--period: %v", err)
		}
	}
	ts, err := ingest.LoadTemplates(*templatesDir)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	if *tmpl != "" && ts.Get(*tmpl) == nil {
		return fail(e, exitUsage, "--template: unknown template %q", *tmpl)
	}
	if *maxFileMB <= 0 {
		return fail(e, exitUsage, "--max-file-mb must be positive")
	}
	if *memoryMB < 0 || *memoryMB > 0 && *memoryMB < 32 {
		return fail(e, exitUsage, "--duckdb-memory-mb must be 0 (DuckDB's default) or at least 32: less fails DuckDB's checkpoints")
	}
	// One DuckDB thread and a small buffer pool, shed as pieces commit: an ingest needs no
	// more, and a provincial file then ingests in flat memory (store.Options; README,
	// Benchmarks).
	st, err := store.OpenWith(ctx, *db, store.IngestOptions(*memoryMB<<20))
	if err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	defer st.Close()
	lim := ingest.DefaultLimits()
	lim.MaxFileBytes = *maxFileMB << 20
	if lim.TempDir, err = ownTempDir(*db); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	in := ingest.New(ts, st, lim)
	opt := ingest.Options{Template: *tmpl, Period: *period, AcceptValid: *acceptValid, Uploader: "cli"}
	receipts, failed := ingestFiles(ctx, e, in, files, opt, !*asJSON)
	if *receiptDir != "" {
		if err := writeReceipts(e, *receiptDir, files, receipts, in.MaxFileBytes()); err != nil {
			return fail(e, exitRejected, "%v", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(receipts); err != nil {
			return fail(e, exitRejected, "%v", err)
		}
	}
	if failed {
		return exitRejected
	}
	return exitOK
}

// ingestFiles ingests files, the village registry first, and returns the receipts in the
// order given. failed is true when a file was rejected or could not be read.
func ingestFiles(ctx context.Context, e *env, in *ingest.Ingester, files []string, opt ingest.Options, print bool) ([]*qiancun.Receipt, bool) {
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	if len(files) > 1 && opt.Template == "" {
		// The registry first: the other files' village codes are checked against it.
		first := func(i int) int {
			if isRegistryName(files[i]) {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(order, func(a, b int) int { return first(a) - first(b) })
	}
	receipts := make([]*qiancun.Receipt, len(files))
	failed := false
	for _, i := range order {
		name := files[i]
		src, big, err := openUpTo(name, in.MaxFileBytes())
		if err != nil {
			fail(e, 0, "%v", err)
			failed = true
			continue
		}
		if big != nil {
			receipts[i] = big
			failed = true
			continue
		}
		o := opt
		bar := progressBar(e, name, src.Size())
		if bar != nil {
			o.Progress = func(done, total int) {
				if total > 0 {
					bar.ChangeMax(total)
				}
				_ = bar.Set(done)
			}
		}
		rc, err := in.IngestFrom(ctx, name, src, o)
		if bar != nil {
			_ = bar.Close()
		}
		if src.changed() {
			fmt.Fprintf(e.stderr, "qiancun: %s changed while it was being ingested: ingest it again once it is saved\n", name)
			failed = true
		}
		src.Close()
		if err != nil {
			if errors.Is(err, context.Canceled) {
				fail(e, 0, "interrupted: %s was not ingested; the database is as it was before it", name)
				return receipts, true
			}
			fail(e, 0, "%s: %v", name, err)
			failed = true
			continue
		}
		receipts[i] = rc
		if rc.Status == qiancun.Rejected {
			failed = true
		}
	}
	if print {
		for _, rc := range receipts {
			if rc != nil {
				printReceipt(e.stdout, rc)
			}
		}
	}
	return slices.DeleteFunc(receipts, func(rc *qiancun.Receipt) bool { return rc == nil }), failed
}

// ownTempDir is the directory where the readers unpack large sheets for the database at
// db, next to it (db.ingest-tmp), swept of what a killed process left there: the database's
// lock, held by the caller, makes the process its only user. An in-memory database ("")
// keeps the system's temporary directory.
func ownTempDir(db string) (string, error) {
	if db == "" {
		return "", nil
	}
	dir := db + ".ingest-tmp"
	if err := ingest.SweepTemp(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// localFile is a file on disk read in place, in pieces: the first Size bytes of f, as it
// was when opened; or, for a pipe (f nil), its bytes read into memory.
type localFile struct {
	*io.SectionReader
	f   *os.File
	mod time.Time
}

// openUpTo opens the file at path when it is at most max bytes, to be read in place rather
// than into memory. A larger file is hashed as it streams past, and its receipt (too large,
// not stored) is returned instead.
func openUpTo(path string, max int64) (*localFile, *qiancun.Receipt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if st.Mode().IsRegular() && st.Size() <= max {
		return &localFile{SectionReader: io.NewSectionReader(f, 0, st.Size()), f: f, mod: st.ModTime()}, nil, nil
	}
	defer f.Close()
	h := sha256.New()
	var data []byte
	if !st.Mode().IsRegular() {
		// A pipe (qiancun ingest <(…)) cannot be read in place: read it, up to the limit.
		if data, err = io.ReadAll(io.LimitReader(f, max+1)); err != nil {
			return nil, nil, err
		}
		if int64(len(data)) <= max {
			return &localFile{SectionReader: io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data)))}, nil, nil
		}
		h.Write(data)
	}
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, nil, err
	}
	n += int64(len(data))
	return nil, ingest.TooLarge(path, n, hex.EncodeToString(h.Sum(nil)), ingest.Limits{MaxFileBytes: max}, time.Now()), nil
}

// changed reports whether the file was written since it was opened (its size or its
// modification time differ), or another file took its name: its receipt then describes a
// file that is no longer the one on disk.
func (l *localFile) changed() bool {
	if l.f == nil {
		return false // read whole from a pipe
	}
	now, err := l.f.Stat()
	if err != nil {
		return true
	}
	disk, err := os.Stat(l.f.Name())
	return err != nil || !os.SameFile(now, disk) || now.Size() != l.Size() || !now.ModTime().Equal(l.mod)
}

// readAll reads the whole file.
func (l *localFile) readAll() ([]byte, error) {
	data := make([]byte, l.Size())
	if _, err := l.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return data, nil
}

// Close closes the file.
func (l *localFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// isRegistryName guesses from a file name that it is the village registry. A guess is
// enough: it only orders the files, and a registry read late is still read.
func isRegistryName(name string) bool {
	base := filepath.Base(name)
	for _, w := range []string{"帮扶村名册", "名册", "villages"} {
		if strings.Contains(base, w) {
			return true
		}
	}
	return false
}

// progressBar returns a bar on a terminal for a file large enough to take a while, else nil.
func progressBar(e *env, name string, size int64) *progressbar.ProgressBar {
	f, ok := e.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || size < 2<<20 {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(filepath.Base(name)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionShowIts(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)
}

// printReceipt writes a receipt for a person to read.
func printReceipt(w io.Writer, rc *qiancun.Receipt) {
	period := rc.Period
	if period == "" {
		period = "-"
	}
	fmt.Fprintf(w, "%s\n  status %s · template %s · period %s · %d rows, %d accepted, %d quarantined",
		rc.File, rc.Status, orDash(rc.Template), period, rc.Rows, rc.Accepted, rc.Quarantined)
	if rc.SubmissionID != 0 {
		fmt.Fprintf(w, " · submission %d", rc.SubmissionID)
	}
	if rc.Replaces != 0 {
		fmt.Fprintf(w, " (replaces %d)", rc.Replaces)
	}
	fmt.Fprintf(w, "\n  sha256 %s\n", rc.SHA256)
	if rc.Status == qiancun.Unchanged {
		fmt.Fprintln(w, "  the same file was already submitted for this template and period: nothing changed")
	}
	for _, is := range rc.Issues {
		where := is.Cell
		if is.Sheet != "" && where != "" {
			where = is.Sheet + "!" + is.Cell
		}
		fmt.Fprintf(w, "  %-7s %-14s %-18s %-16s %q  %s\n", is.Severity, orDash(where), orDash(is.Column), is.Rule, is.Value, is.Message)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package synth

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/qiancun/qiancun"
)

// Version names what the generator writes. Change it whenever a change to this package
// makes Generate write different files: benchmark data sets are kept under this name, so
// that data made by an older generator is made again (TestVersion fails until it is changed).
const Version = "2026-12-01.2"

// Options say what Generate writes.
type Options struct {
	Scale  Scale           // Demo (the zero value), City or National
	Months []qiancun.Month // the months of the monthly files; nil means DefaultMonths
	Seed   int64           // 0 means 1
	Messy  bool            // write the files as offices fill them in
	// Progress, if set, is called with a file's path after the file is written. Files are
	// written concurrently, but Progress is called by one goroutine at a time.
	Progress func(file string)
}

// Summary says what Generate wrote.
type Summary struct {
	Files    []string // paths, in a fixed order: registry, months × forces, ledger
	Villages int
	Towns    int
	Members  map[qiancun.Force]int // members of each force, the same in every month
	FundsFen int64                 // the first secretaries' 协调资金 over all months, in fen
	Projects int
}

// DefaultMonths are the months Generate writes when Options.Months is empty: 2024-04,
// 2024-05 and 2024-06.
func DefaultMonths() []qiancun.Month {
	return []qiancun.Month{{Year: 2024, Month: 4}, {Year: 2024, Month: 5}, {Year: 2024, Month: 6}}
}

// job is one file to write.
type job struct {
	name string
	t    table
	csv  bool
}

// Generate writes the registry (帮扶村名册.xlsx), one file per force per month
// (第一书记工作情况表_2024-05.xlsx, ...) and the ledger (产业项目台账.xlsx) into dir,
// creating it if needed, and returns what it wrote. The files are written concurrently,
// one per CPU. The same Options write byte-identical files.
//
// At the demo scale the files hold exactly the published figures, and the first
// secretaries' 协调资金 sums to exactly 28,000 万元 over all the months, however many.
func Generate(ctx context.Context, dir string, opt Options) (Summary, error) {
	sz, err := sizesFor(opt.Scale)
	if err != nil {
		return Summary{}, err
	}
	months := opt.Months
	if len(months) == 0 {
		months = DefaultMonths()
	}
	seen := map[qiancun.Month]bool{}
	for _, m := range months {
		if m.Month < 1 || m.Month > 12 || m.Year < 1900 || m.Year > 2999 {
			return Summary{}, fmt.Errorf("month %v: no such month", m)
		}
		if seen[m] {
			return Summary{}, fmt.Errorf("month %v given twice", m)
		}
		seen[m] = true
	}
	seed := seedOrDefault(opt.Seed)
	w, err := buildWorld(sz, seed, months)
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, err
	}

	var jobs []job
	jobs = append(jobs, job{name: "帮扶村名册.xlsx", t: table{tpl: templateFor("villages"), n: len(w.villages), rows: w.registryRows()}})
	csvForce := qiancun.Force("")
	if opt.Messy {
		candidates := []qiancun.Force{qiancun.Finance, qiancun.Law, qiancun.Postal, qiancun.Tech, qiancun.Culture}
		csvForce = candidates[newRand(seed, "look:csv").IntN(len(candidates))]
	}
	for mi, m := range months {
		for fi, f := range qiancun.Forces() {
			tpl := templateFor(string(f.Slug))
			j := job{name: tpl.file + "_" + m.String() + ".xlsx", t: table{tpl: tpl, month: m, n: len(w.members[fi]), rows: w.monthRows(fi, mi)}}
			if f.Slug == csvForce {
				j.name, j.csv = tpl.file+"_"+m.String()+".csv", true
			}
			jobs = append(jobs, j)
		}
	}
	jobs = append(jobs, job{name: "产业项目台账.xlsx", t: table{tpl: templateFor("projects"), n: len(w.projects), rows: w.projectRows()}})

	sum := Summary{Villages: len(w.villages), Towns: len(w.towns), Members: map[qiancun.Force]int{}, Projects: len(w.projects)}
	for fi, f := range qiancun.Forces() {
		sum.Members[f.Slug] = len(w.members[fi])
	}
	for _, fs := range w.funds {
		for _, v := range fs {
			sum.FundsFen += v
		}
	}
	for _, j := range jobs {
		sum.Files = append(sum.Files, filepath.Join(dir, j.name))
	}
	if err := runJobs(ctx, dir, jobs, seed, opt); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// runJobs writes the files, the biggest first, on one worker per CPU, and stops at the
// first error.
func runJobs(ctx context.Context, dir string, jobs []job, seed int64, opt Options) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	order := slices.Clone(jobs)
	slices.SortStableFunc(order, func(a, b job) int { return cmp.Compare(b.t.n, a.t.n) })
	queue := make(chan job)
	var (
		wg       sync.WaitGroup
		progress sync.Mutex
	)
	for range min(runtime.GOMAXPROCS(0), len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				path := filepath.Join(dir, j.name)
				if err := writeFile(ctx, path, j, seed, opt.Messy); err != nil {
					cancel(fmt.Errorf("write %s: %w", j.name, err))
					continue
				}
				if opt.Progress != nil {
					progress.Lock()
					opt.Progress(path)
					progress.Unlock()
				}
			}
		}()
	}
feed:
	for _, j := range order {
		select {
		case queue <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

func writeFile(ctx context.Context, path string, j job, seed int64, messy bool) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	lk := look{p: newPools()}
	if messy {
		lk = look{messy: true, csv: j.csv, r: newRand(seed, "look:"+j.name), p: lk.p}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if j.csv {
		err = writeCSV(ctx, bw, j.t, lk)
	} else {
		err = writeXLSX(ctx, bw, j.t, lk)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// FirstSecretaryXLSX writes one clean first-secretary workbook of month with n members over
// the given village codes (most members one village, some two or three), for the ingest
// benchmark. IDs are valid and unique; the file is the same for the same arguments.
func FirstSecretaryXLSX(w io.Writer, month qiancun.Month, villages []string, n int, seed int64) error {
	if len(villages) == 0 {
		return errors.New("no villages")
	}
	if n < 0 {
		return fmt.Errorf("negative row count %d", n)
	}
	vs := make([]Village, len(villages))
	for i, c := range villages {
		if len(c) != 12 || strings.Trim(c, "0123456789") != "" {
			return fmt.Errorf("village code %q: want 12 digits", c)
		}
		vs[i] = Village{Code: c, District: qiancun.DistrictName(c[:6])}
	}
	seed = seedOrDefault(seed)
	wd := &world{seed: seed, months: []qiancun.Month{month}, villages: vs}
	r := newRand(seed, "bench:members")
	p := newPools()
	ms := make([]member, n)
	for i := range ms {
		k := 1
		if x := r.IntN(100); x >= 96 {
			k = 3
		} else if x >= 85 {
			k = 2
		}
		ms[i].villages = nearVillages(r, len(vs), k)
	}
	sortByVillage(ms)
	used := map[string]bool{}
	for i := range ms {
		fillMember(r, p, wd, qiancun.FirstSecretary, &ms[i], used)
	}
	wd.members[0] = ms
	// The demo's average per secretary and month.
	wd.funds = buildFunds(newRand(seed, "bench:funds"), ms, 1, int64(roundDiv(demoFundsWan*n, 3*demoMembers()[0]))*fenPerWan)
	t := table{tpl: templateFor(string(qiancun.FirstSecretary)), month: month, n: n, rows: wd.monthRows(0, 0)}
	return writeXLSX(context.Background(), w, t, look{p: p})
}

// RegistryXLSX writes villages as a clean 帮扶村名册 workbook, e.g. the registry that goes
// with FirstSecretaryXLSX.
func RegistryXLSX(w io.Writer, villages []Village) error {
	wd := &world{villages: villages}
	t := table{tpl: templateFor("villages"), n: len(villages), rows: wd.registryRows()}
	return writeXLSX(context.Background(), w, t, look{p: newPools()})
}

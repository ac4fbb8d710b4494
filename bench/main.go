// Command bench is the load benchmark of the HTTP API: it builds qiancun, starts
// `qiancun demo --bench-ceiling` on 127.0.0.1, and loads a ranking page with 64 concurrent
// connections for 10 s; then, for comparison, /bench/ceiling, a fixed body of the same size
// served through the same middleware. It prints requests per second and latency
// percentiles of both, and the ratio.
//
//	go run ./bench                    # from the repository root
//	go run ./bench -c 64 -d 10s -rounds 3
//	go run ./bench -url http://127.0.0.1:8080 -token qc_...   # a server already running (with --bench-ceiling)
//
// Only 127.0.0.1 is ever loaded.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	conns := fs.Int("c", 64, "concurrent connections")
	dur := fs.Duration("d", 10*time.Second, "duration of each measurement")
	warm := fs.Duration("warmup", 2*time.Second, "warm-up before each measurement")
	rounds := fs.Int("rounds", 1, "measure ranking and ceiling alternately this many times each")
	path := fs.String("path", "/api/v1/rankings/first_secretary?period=2024-Q2&limit=50", "the request to load")
	role := fs.String("role", "evaluator", "the demo token to use (admin, evaluator, leader, ...)")
	base := fs.String("url", "", "a running server's URL (http://127.0.0.1:PORT) instead of starting the demo")
	token := fs.String("token", "", "with -url: the bearer token")
	bin := fs.String("bin", "", "a built qiancun binary (default: go build ./cmd/qiancun)")
	logLevel := fs.String("log-level", "info", "the demo server's log level (its log goes to a temporary file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		srv, err := startDemo(ctx, *bin, *logLevel, stderr)
		if err != nil {
			return err
		}
		defer srv.stop(stderr)
		*base, *token = srv.url, srv.tokens[*role]
		if *token == "" {
			return fmt.Errorf("the demo printed no %s token", *role)
		}
	}
	u, err := url.Parse(*base)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("-url %q: the benchmark loads 127.0.0.1 only", *base)
	}
	cl := newClient(*conns)
	size, err := probe(ctx, cl, *base+*path, *token)
	if err != nil {
		return err
	}
	ceiling := fmt.Sprintf("%s/bench/ceiling?bytes=%d", *base, size)
	if _, err := probe(ctx, cl, ceiling, ""); err != nil {
		return fmt.Errorf("%w (start the server with --bench-ceiling)", err)
	}
	fmt.Fprintf(stdout, "%d connections, %s per run after %s of warm-up, %d-byte answers, GOMAXPROCS of this process %d\n",
		*conns, *dur, *warm, size, runtimeProcs())
	var rk, ce []result
	for i := 0; i < *rounds; i++ {
		for _, x := range []struct {
			name, url, token string
			into             *[]result
		}{{"ranking", *base + *path, *token, &rk}, {"ceiling", ceiling, "", &ce}} {
			if _, err := load(ctx, cl, x.url, x.token, *conns, *warm); err != nil {
				return err
			}
			r, err := load(ctx, cl, x.url, x.token, *conns, *dur)
			if err != nil {
				return err
			}
			*x.into = append(*x.into, r)
			fmt.Fprintf(stdout, "%-8s %s\n", x.name, r)
		}
	}
	r, c := median(rk), median(ce)
	ratio := r.rps / c.rps
	fmt.Fprintf(stdout, "\nmedian ranking %.0f req/s, p99 %s; ceiling %.0f req/s, p99 %s; ratio %.2f\n",
		r.rps, r.p(0.99).Round(10*time.Microsecond), c.rps, c.p(0.99).Round(10*time.Microsecond), ratio)
	verdict := "met"
	if ratio < 0.5 || r.p(0.99) >= 20*time.Millisecond {
		verdict = "NOT met"
	}
	fmt.Fprintf(stdout, "target (ratio >= 0.50 and ranking p99 < 20ms): %s\n", verdict)
	return nil
}

// demo is a `qiancun demo` process.
type demo struct {
	cmd    *exec.Cmd
	url    string
	tokens map[string]string
	done   chan error
	dir    string
}

func startDemo(ctx context.Context, bin, logLevel string, stderr io.Writer) (*demo, error) {
	dir, err := os.MkdirTemp("", "qiancun-bench-")
	if err != nil {
		return nil, err
	}
	if bin == "" {
		bin = filepath.Join(dir, "qiancun")
		fmt.Fprintln(stderr, "building qiancun...")
		b := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/qiancun")
		b.Stdout, b.Stderr = stderr, stderr
		if err := b.Run(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("go build ./cmd/qiancun (run from the repository root): %w", err)
		}
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "demo", "--addr", "127.0.0.1:0", "--bench-ceiling", "--log-level", logLevel)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, "building the demo database and starting the server...")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &demo{cmd: cmd, tokens: map[string]string{}, done: make(chan error, 1), dir: dir}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		announced := false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 2 && f[0] == "url":
				d.url = f[1]
			case len(f) == 3 && f[0] == "token":
				d.tokens[f[1]] = f[2]
				if f[1] == "monitor" && !announced { // the last token line
					announced = true
					close(ready)
				}
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() { d.done <- cmd.Wait() }()
	select {
	case <-ready:
		return d, nil
	case err := <-d.done:
		return nil, fmt.Errorf("the demo exited: %v (log in %s)", err, logf.Name())
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		return nil, fmt.Errorf("the demo did not start in 3 minutes (log in %s)", logf.Name())
	case <-ctx.Done():
		cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

// stop ends the demo with SIGTERM, as an operator would.
func (d *demo) stop(stderr io.Writer) {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err != nil {
			fmt.Fprintf(stderr, "the demo server exited: %v (log kept in %s)\n", err, d.dir)
			return
		}
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
	}
	os.RemoveAll(d.dir)
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
}

// probe fetches url once and returns the body's size.
func probe(ctx context.Context, cl *http.Client, url, token string) (int, error) {
	n, code, err := fetch(ctx, cl, url, token)
	if err != nil {
		return 0, err
	}
	if code != http.StatusOK {
		return 0, fmt.Errorf("GET %s: status %d", url, code)
	}
	return n, nil
}

func fetch(ctx context.Context, cl *http.Client, url, token string) (int, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return int(n), resp.StatusCode, err
}

// result is one measurement.
type result struct {
	n, errors int
	rps       float64
	lat       []time.Duration // sorted
}

func (r result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))]
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %7s  p90 %7s  p99 %7s  max %7s  (%d requests, %d errors)",
		r.rps, r.p(0.5).Round(10*time.Microsecond), r.p(0.9).Round(10*time.Microsecond),
		r.p(0.99).Round(10*time.Microsecond), r.lat[len(r.lat)-1].Round(10*time.Microsecond), r.n, r.errors)
}

// load sends GET url from conns workers, each waiting for its answer before the next
// request (closed loop, as wrk does), for d.
func load(ctx context.Context, cl *http.Client, url, token string, conns int, d time.Duration) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu   sync.Mutex
		all  []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			bad := 0
			for ctx.Err() == nil {
				t0 := time.Now()
				_, code, err := fetch(ctx, cl, url, token)
				if ctx.Err() != nil {
					break
				}
				if err != nil || code != http.StatusOK {
					bad++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(all) == 0 {
		return result{}, errors.New("no request succeeded")
	}
	slices.Sort(all)
	return result{n: len(all), errors: errs, rps: float64(len(all)) / elapsed.Seconds(), lat: all}, nil
}

// median returns the measurement of median throughput.
func median(rs []result) result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

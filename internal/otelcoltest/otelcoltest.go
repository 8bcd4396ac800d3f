// Package otelcoltest runs the real otelcol-caro binary for tests: a child
// of the test process with a collector config, its receivers, health check
// and Prometheus metrics on free loopback ports and its store in a
// temporary folder, stopped with the test.
//
// The ports and the store path reach the config through the environment
// variables collector-config/ reads (CARO_OTLP_ENDPOINT, CARO_STORE, ...);
// the test can add or override any variable. Everything the collector
// writes on stdout and stderr is kept, to be shown when a test fails.
package otelcoltest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"caro.sh/telemetry/store"
)

// BinEnv names the variable that holds the binary's path; `make test` sets
// it.
const BinEnv = "OTELCOL_CARO"

// startTimeout bounds how long the collector may take to report healthy,
// stopTimeout how long it may take to exit on SIGTERM.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

// Binary returns the binary named by BinEnv, skipping the test when the
// variable is unset and failing it when there is no executable there.
func Binary(t testing.TB) string {
	t.Helper()
	path := Path(t)
	if path == "" {
		t.Skipf("%s is not set: run `make test`, or `make otelcol` and set %s=_build/otelcol-caro", BinEnv, BinEnv)
	}
	return path
}

// Path returns the binary named by BinEnv, or "" when the variable is
// unset (for a test that does other work without the collector), and
// fails the test when there is no executable there.
func Path(t testing.TB) string {
	t.Helper()
	path := os.Getenv(BinEnv)
	if path == "" {
		return ""
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s but there is no executable there (%v): `make otelcol` builds it", BinEnv, path, err)
	}
	return path
}

// FreePort returns a loopback address with a port free a moment ago.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Collector is a running otelcol-caro.
type Collector struct {
	// OTLP, Events and Metrics are the host:port addresses of the
	// OTLP/HTTP receiver, the events receiver and the Prometheus endpoint
	// of the collector's own telemetry; the health check's is Health.
	OTLP, Events, Metrics string
	// Store is the path of the SQLite store, in a folder that the
	// collector creates.
	Store string
	// Process runs the binary: Start (again, after Stop or Kill: the same
	// ports, store, config and environment), Kill, Stop, Alive.
	*Process
}

// Process is a collector binary run as a child of the test with a config
// file and an environment, until it is stopped or killed: otelcol-caro in
// a Collector, or any other collector a test runs (the stock one playing
// the stack a gateway forwards to).
type Process struct {
	// Name is what failure messages call the process.
	Name string
	// Bin runs with --config Config and the environment Env (all of it).
	Bin, Config string
	Env         []string
	// Health is the host:port of the health check that Start waits for.
	Health string
	// Stdout takes what the process writes on stdout (Out when nil); Out
	// holds its stderr. A process has written all of it once it has
	// exited.
	Stdout io.Writer
	Out    *Output
	// Cmd is the current process, set by Start.
	Cmd *exec.Cmd

	done chan error // Cmd.Wait's result, put back by whoever reads it
}

// Output is a buffer safe for concurrent writes and reads.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// Start runs bin with the config file on free loopback ports, a store in
// a temporary folder and the extra environment env (which wins over the
// variables Start sets), and waits until its health check answers 200. It
// is stopped with the test.
func Start(t testing.TB, bin, config string, env ...string) *Collector {
	t.Helper()
	c := &Collector{
		OTLP: FreePort(t), Events: FreePort(t), Metrics: FreePort(t),
		Store:   filepath.Join(t.TempDir(), "store", "caro.db"),
		Process: &Process{Name: "otelcol-caro", Bin: bin, Config: config, Health: FreePort(t), Out: &Output{}},
	}
	_, metricsPort, _ := net.SplitHostPort(c.Metrics)
	c.Env = append(os.Environ(),
		"CARO_OTLP_ENDPOINT="+c.OTLP, "CARO_EVENTS_ENDPOINT="+c.Events, "CARO_HEALTH_ENDPOINT="+c.Health,
		"CARO_METRICS_PORT="+metricsPort, "CARO_STORE="+c.Store)
	c.Env = append(c.Env, env...)
	t.Cleanup(func() { c.Stop(t) })
	c.Start(t)
	return c
}

// Start runs the process (again, after Stop or Kill) and waits until its
// health check answers 200; it fails the test if the process exits first
// or is not healthy within a minute.
func (p *Process) Start(t testing.TB) {
	t.Helper()
	p.Cmd = exec.Command(p.Bin, "--config", p.Config)
	p.Cmd.Env = p.Env
	p.Cmd.Stdout, p.Cmd.Stderr = p.Out, p.Out
	if p.Stdout != nil {
		p.Cmd.Stdout = p.Stdout
	}
	p.done = make(chan error, 1)
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.Cmd.Wait() }()
	for deadline := time.Now().Add(startTimeout); ; {
		if resp, err := http.Get("http://" + p.Health + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("%s exited before it was ready (%v):\n%s", p.Name, err, p.Out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after %v:\n%s", p.Name, startTimeout, p.Out)
		}
	}
}

// Running reports whether the process has started and not been seen to
// exit.
func (p *Process) Running() bool {
	return p.Cmd != nil && p.Cmd.Process != nil && p.Cmd.ProcessState == nil
}

// Kill sends SIGKILL and waits until the process is gone.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if !p.Running() {
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	p.done <- <-p.done
}

// Stop sends SIGTERM (otelcol-caro closes its store, its WAL
// checkpointed) and waits; if the process has not exited after 15 s it is
// killed and the test fails. Stopping a process that has exited does
// nothing.
func (p *Process) Stop(t testing.TB) {
	if !p.Running() {
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(stopTimeout):
		_ = p.Cmd.Process.Kill()
		p.done <- <-p.done
		t.Errorf("%s did not stop on SIGTERM:\n%s", p.Name, p.Out)
	}
}

// Alive fails the test if the process has exited.
func (p *Process) Alive(t testing.TB) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		t.Fatalf("%s exited (%v):\n%s", p.Name, err, p.Out)
	default:
	}
}

// Metric returns the sum of the Prometheus samples of the collector's own
// telemetry whose line starts with name and contains every label given.
func (c *Collector) Metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	v, err := Scrape(c.Metrics, name, labels...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Scrape returns the sum of the Prometheus samples served at addr/metrics
// whose line starts with name and contains every label given (any
// collector's, the stock one's too); it fails nothing, for goroutines.
func Scrape(addr, name string, labels ...string) (float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// Events returns every event of the store at path (a collector's, after
// Stop or while it runs), in the order they were stored, read through
// package store as caro-insights reads them, once everything the
// collector acknowledged is in the table (store.Unapplied).
func Events(t testing.TB, path string) []store.Event {
	t.Helper()
	ctx := context.Background()
	// What the collector acknowledged reaches its table a moment later.
	if n, err := store.WaitApplied(ctx, path, 10*time.Second); err != nil || n > 0 {
		t.Fatalf("the collector's journal still holds %d bytes not applied to %s: %v", n, path, err)
	}
	st, err := store.Open(ctx, store.Options{Path: path, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Pending(ctx, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

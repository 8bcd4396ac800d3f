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
	// OTLP, Events, Health and Metrics are the host:port addresses of the
	// OTLP/HTTP receiver, the events receiver, the health check and the
	// Prometheus endpoint of the collector's own telemetry.
	OTLP, Events, Health, Metrics string
	// Store is the path of the SQLite store, in a folder that the
	// collector creates.
	Store string
	Cmd   *exec.Cmd
	// Out holds what the collector wrote on stdout and stderr.
	Out *Output

	done chan error // Cmd.Wait's result, put back by whoever reads it
	bin  string     // what Restart runs again: the binary, its config
	conf string     // and its environment
	env  []string
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
		OTLP: FreePort(t), Events: FreePort(t), Health: FreePort(t), Metrics: FreePort(t),
		Store: filepath.Join(t.TempDir(), "store", "caro.db"), Out: &Output{}, bin: bin, conf: config,
	}
	_, metricsPort, _ := net.SplitHostPort(c.Metrics)
	c.env = append(os.Environ(),
		"CARO_OTLP_ENDPOINT="+c.OTLP, "CARO_EVENTS_ENDPOINT="+c.Events, "CARO_HEALTH_ENDPOINT="+c.Health,
		"CARO_METRICS_PORT="+metricsPort, "CARO_STORE="+c.Store)
	c.env = append(c.env, env...)
	t.Cleanup(func() { c.Stop(t) })
	c.Restart(t)
	return c
}

// Restart runs the collector (again, after Stop or Kill: the same ports,
// store, config and environment) and waits until its health check
// answers 200.
func (c *Collector) Restart(t testing.TB) {
	t.Helper()
	c.Cmd = exec.Command(c.bin, "--config", c.conf)
	c.Cmd.Env = c.env
	c.Cmd.Stdout, c.Cmd.Stderr = c.Out, c.Out
	c.done = make(chan error, 1)
	if err := c.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.Cmd.Wait() }()
	for deadline := time.Now().Add(startTimeout); ; {
		if resp, err := http.Get("http://" + c.Health + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-c.done:
			c.done <- err
			t.Fatalf("otelcol-caro exited before it was ready (%v):\n%s", err, c.Out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("otelcol-caro not healthy after %v:\n%s", startTimeout, c.Out)
		}
	}
}

// Kill sends SIGKILL and waits until the process is gone.
func (c *Collector) Kill(t testing.TB) {
	t.Helper()
	if c.Cmd.ProcessState != nil {
		return
	}
	_ = c.Cmd.Process.Signal(syscall.SIGKILL)
	c.done <- <-c.done
}

// Stop sends SIGTERM (the store is closed, its WAL checkpointed) and
// waits; if the collector has not exited after 15 s it is killed and the
// test fails. Stopping a collector that has exited does nothing.
func (c *Collector) Stop(t testing.TB) {
	if c.Cmd.ProcessState != nil {
		return
	}
	_ = c.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		c.done <- err
	case <-time.After(stopTimeout):
		_ = c.Cmd.Process.Kill()
		c.done <- <-c.done
		t.Errorf("otelcol-caro did not stop on SIGTERM:\n%s", c.Out)
	}
}

// Alive fails the test if the collector has exited.
func (c *Collector) Alive(t testing.TB) {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		t.Fatalf("otelcol-caro exited (%v):\n%s", err, c.Out)
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
// package store as caro-insights reads them.
func Events(t testing.TB, path string) []store.Event {
	t.Helper()
	ctx := context.Background()
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

package collector

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
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

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/store"
	_ "modernc.org/sqlite"
)

// binEnv names the binary's path; `make test` sets it.
const binEnv = "OTELCOL_CARO"

// binary returns the otelcol-caro binary, skipping the test when the
// variable is unset and failing it when the file is missing.
func binary(t testing.TB) string {
	t.Helper()
	path := os.Getenv(binEnv)
	if path == "" {
		t.Skipf("%s is not set: run `make test`, or `make otelcol` and set %s=_build/otelcol-caro", binEnv, binEnv)
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s but there is no executable there (%v): `make otelcol` builds it", binEnv, path, err)
	}
	return path
}

// configPath returns a file of collector-config/.
func configPath(name string) string { return filepath.Join("..", "..", "collector-config", name) }

// freePort returns a loopback address with a port free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// collector is a running otelcol-caro.
type collector struct {
	otlp, events, health, metrics string // host:port
	store                         string
	cmd                           *exec.Cmd
	out                           *syncBuffer
	done                          chan error

	bin  string   // the binary, config and environment it was started
	args []string // with, for restart
	env  []string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startCollector runs the binary with collector-config/<config> on free
// loopback ports, a store in a temp folder, and extra environment, and
// waits for its health check. It is stopped with the test.
func startCollector(t testing.TB, config string, env ...string) *collector {
	t.Helper()
	return startCollectorWith(t, binary(t), configPath(config), env...)
}

// startCollectorWith is startCollector with any collector binary and
// config file.
func startCollectorWith(t testing.TB, bin, config string, env ...string) *collector {
	t.Helper()
	c := &collector{
		otlp: freePort(t), events: freePort(t), health: freePort(t), metrics: freePort(t),
		store: filepath.Join(t.TempDir(), "store", "caro.db"), out: &syncBuffer{},
		bin: bin, args: []string{"--config", config},
	}
	_, metricsPort, _ := net.SplitHostPort(c.metrics)
	c.env = append(os.Environ(),
		"CARO_OTLP_ENDPOINT="+c.otlp, "CARO_EVENTS_ENDPOINT="+c.events, "CARO_HEALTH_ENDPOINT="+c.health,
		"CARO_METRICS_PORT="+metricsPort, "CARO_STORE="+c.store, "CARO_LOG_LEVEL=info")
	c.env = append(c.env, env...)
	t.Cleanup(func() { c.stop(t) })
	c.start(t)
	return c
}

// start runs the process (again, after a stop or a kill: same ports,
// same store) and waits for its health check.
func (c *collector) start(t testing.TB) {
	t.Helper()
	c.cmd = exec.Command(c.bin, c.args...)
	c.cmd.Env = c.env
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	c.done = make(chan error, 1)
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + c.health + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-c.done:
			c.done <- err
			t.Fatalf("otelcol-caro exited before it was ready (%v):\n%s", err, c.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("otelcol-caro not healthy after 60 s:\n%s", c.out.String())
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *collector) kill(t testing.TB) {
	t.Helper()
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	err := <-c.done
	c.done <- err
}

// stop sends SIGTERM and waits, then kills.
func (c *collector) stop(t testing.TB) {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		c.done <- err
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		err := <-c.done
		c.done <- err
		t.Errorf("otelcol-caro did not stop on SIGTERM:\n%s", c.out.String())
	}
}

// alive fails the test if the process has exited.
func (c *collector) alive(t testing.TB) {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		t.Fatalf("otelcol-caro exited (%v):\n%s", err, c.out.String())
	default:
	}
}

// metric returns the sum of the Prometheus samples of the collector's own
// telemetry whose line starts with name and contains every label given.
func (c *collector) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	return scrape(t, c.metrics, name, labels...)
}

// scrape returns the sum of the Prometheus samples served at
// addr/metrics whose line starts with name and contains every label given.
func scrape(t testing.TB, addr, name string, labels ...string) float64 {
	t.Helper()
	v, err := scrapeErr(addr, name, labels...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// scrapeErr is scrape for a goroutine that may not fail the test.
func scrapeErr(addr, name string, labels ...string) (float64, error) {
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

// rows returns the events of the collector's store, in the order they
// were stored, each with its uid and its encoded form (event.Encode).
func (c *collector) rows(t testing.TB) []storedRow {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: c.store, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Pending(context.Background(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []storedRow
	for _, ev := range evs {
		p, err := event.Encode(ev.Name, ev.Time, ev.Attrs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, storedRow{id: ev.UID, name: ev.Name, payload: string(p)})
	}
	return out
}

type storedRow struct{ id, name, payload string }

// sqlDB opens a SQLite file directly (a client's spool), closed with the
// test.
func sqlDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// post sends body to the collector and returns the status and answer.
func post(t testing.TB, url string, header map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

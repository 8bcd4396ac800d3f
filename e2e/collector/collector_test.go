package collector

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/otelcoltest"
	_ "modernc.org/sqlite"
)

// binary returns the otelcol-caro binary (otelcoltest.Binary: the test
// skips when OTELCOL_CARO is unset).
func binary(t testing.TB) string { t.Helper(); return otelcoltest.Binary(t) }

// configPath returns a file of collector-config/.
func configPath(name string) string { return filepath.Join("..", "..", "collector-config", name) }

// collector is a running otelcol-caro (internal/otelcoltest), with the
// short names these tests use.
type collector struct {
	otlp, events, health, metrics string // host:port
	store                         string
	cmd                           *exec.Cmd // the current process, after start too
	out                           *otelcoltest.Output
	col                           *otelcoltest.Collector
}

// startCollector runs the binary with collector-config/<config> on free
// loopback ports, a store in a temp folder, and extra environment, and
// waits for its health check. It is stopped with the test.
func startCollector(t testing.TB, config string, env ...string) *collector {
	t.Helper()
	return startCollectorWith(t, binary(t), configPath(config), env...)
}

// startCollectorWith is startCollector with any collector binary and
// config file. It logs at level info unless env says otherwise.
func startCollectorWith(t testing.TB, bin, config string, env ...string) *collector {
	t.Helper()
	c := otelcoltest.Start(t, bin, config, append([]string{"CARO_LOG_LEVEL=info"}, env...)...)
	return &collector{otlp: c.OTLP, events: c.Events, health: c.Health, metrics: c.Metrics,
		store: c.Store, cmd: c.Cmd, out: c.Out, col: c}
}

// start runs the process again (after a stop or a kill: same ports, same
// store) and waits for its health check.
func (c *collector) start(t testing.TB) {
	t.Helper()
	c.col.Start(t)
	c.cmd = c.col.Cmd
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *collector) kill(t testing.TB) { t.Helper(); c.col.Kill(t) }

// stop sends SIGTERM and waits, then kills.
func (c *collector) stop(t testing.TB) { c.col.Stop(t) }

// alive fails the test if the process has exited.
func (c *collector) alive(t testing.TB) { t.Helper(); c.col.Alive(t) }

// metric returns the sum of the Prometheus samples of the collector's own
// telemetry whose line starts with name and contains every label given.
func (c *collector) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	return c.col.Metric(t, name, labels...)
}

// scrape is otelcoltest.Scrape for any collector's metrics address,
// failing the test on error.
func scrape(t testing.TB, addr, name string, labels ...string) float64 {
	t.Helper()
	v, err := otelcoltest.Scrape(addr, name, labels...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// scrapeErr is scrape for a goroutine that may not fail the test.
func scrapeErr(addr, name string, labels ...string) (float64, error) {
	return otelcoltest.Scrape(addr, name, labels...)
}

// rows returns the events of the collector's store, in the order they
// were stored, each with its uid and its encoded form (event.Encode).
func (c *collector) rows(t testing.TB) []storedRow {
	t.Helper()
	evs := otelcoltest.Events(t, c.store)
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

// everySecond calls f once a second until stop is closed or f returns
// false.
func everySecond(stop <-chan struct{}, f func() bool) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if !f() {
			return
		}
	}
}

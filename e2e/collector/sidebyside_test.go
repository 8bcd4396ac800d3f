package collector

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/internal/loadgen"
	"caro.sh/telemetry/internal/pgtest"
)

// stockEnv names the stock collector `make bench` builds (contrib's
// redaction processor, bench/builder-config.stock.yaml).
const stockEnv = "OTELCOL_STOCK"

// pipeline is one collector of the side-by-side load.
type pipeline struct {
	name string
	col  *collector
	pg   *pgtest.Server // its database, or nil

	eventsPerSec, p50, p99 []float64
	events                 int64
	colCPU, pgCPU          float64 // seconds
}

// BenchmarkCollectorsSideBySide loads three collectors with the same
// valid Caro sessions (caro-loadgen's, 33 per gzip OTLP/HTTP protobuf
// request, 4 workers), in turn, round after round, so that all three see
// the same machine: otelcol-caro into its SQLite store, otelcol-caro into
// PostgreSQL, and the stock collector with contrib's redaction holding
// the whole allowlist into the debug exporter (bench/stock.yaml). It
// prints events/s, p50/p99 latency, the ratios to the stock collector, and
// the CPU seconds per million events of the collector and of PostgreSQL
// (the figure that carries to a machine where PostgreSQL, the collector
// and the load do not share two cores). Run by `make bench`; -benchtime
// 1x, and BENCH_ROUND (default 10s) and BENCH_ROUNDS (default 3) set its
// length.
func BenchmarkCollectorsSideBySide(b *testing.B) {
	stock := os.Getenv(stockEnv)
	if stock == "" {
		b.Skipf("%s is not set: `make bench` builds the stock collector and sets it", stockEnv)
	}
	round := durationEnv(b, "BENCH_ROUND", 10*time.Second)
	rounds := intEnv(b, "BENCH_ROUNDS", 3)
	pg := pgtest.Start(b)
	pipes := []*pipeline{
		{name: "otelcol-caro, SQLite store", col: startCollectorAt(b, binary(b), filepath.Join("..", "..", "bench", "caro.yaml"))},
		{name: "otelcol-caro, PostgreSQL store", pg: pg,
			col: startCollectorAt(b, binary(b), configPath("postgres.yaml"), "CARO_POSTGRES_DSN="+pg.CreateDatabase("caro"))},
		{name: "stock + contrib redaction + debug", col: startCollectorAt(b, stock, filepath.Join("..", "..", "bench", "stock.yaml"))},
	}
	epoch := time.Now().UTC().Truncate(time.Second)
	for b.Loop() {
		for r := range rounds {
			for _, p := range pipes {
				colBefore, pgBefore := cpuSeconds(b, p.col.cmd.Process.Pid), p.pgCPU0(b)
				sum, err := loadgen.Run(context.Background(), loadgen.Options{
					URL: "http://" + p.col.otlp + "/v1/logs", Workers: 4, Duration: round, Sessions: 33,
					Seed: uint64(r + 1), Epoch: epoch,
				})
				if err != nil {
					b.Fatal(err)
				}
				if sum.Delivered != sum.Requests {
					b.Fatalf("%s: %d of %d requests delivered: %v", p.name, sum.Delivered, sum.Requests, sum.Status)
				}
				p.col.alive(b)
				p.settle(b)
				p.colCPU += cpuSeconds(b, p.col.cmd.Process.Pid) - colBefore
				p.pgCPU += p.pgCPU0(b) - pgBefore
				fmt.Printf("round %d %-36s %8.0f events/s  p50 %6.1f ms  p99 %6.1f ms\n", r+1, p.name, sum.EventsPerSec,
					sum.LatencyP50, sum.LatencyP99)
				p.events += sum.EventsDelivered
				p.eventsPerSec = append(p.eventsPerSec, sum.EventsPerSec)
				p.p50 = append(p.p50, sum.LatencyP50)
				p.p99 = append(p.p99, sum.LatencyP99)
			}
		}
	}
	anchor := median(pipes[2].eventsPerSec)
	var out strings.Builder
	fmt.Fprintf(&out, "\nside by side, %d rounds of %v each, 4 workers, 33 sessions (198 events) per request, medians:\n", rounds, round)
	fmt.Fprintf(&out, "%-36s %10s %9s %9s %8s %14s %14s\n", "pipeline", "events/s", "p50 ms", "p99 ms", "ratio", "collector CPU", "PostgreSQL CPU")
	for _, p := range pipes {
		pgCol := "-"
		if p.pg != nil {
			pgCol = fmt.Sprintf("%.1f s/M", p.pgCPU/float64(p.events)*1e6)
		}
		fmt.Fprintf(&out, "%-36s %10.0f %9.1f %9.1f %7.2fx %10.1f s/M %14s\n", p.name, median(p.eventsPerSec),
			median(p.p50), median(p.p99), median(p.eventsPerSec)/anchor, p.colCPU/float64(p.events)*1e6, pgCol)
	}
	b.Log(out.String())
	fmt.Print(out.String())
	b.ReportMetric(median(pipes[0].eventsPerSec)/anchor, "sqlite/stock")
	b.ReportMetric(median(pipes[1].eventsPerSec)/anchor, "postgres/stock")
}

// settle waits, up to settleMax, until the pipeline's collector and
// PostgreSQL are idle: what a round left to do (a SQLite store applies
// its journal after the last answer, PostgreSQL checkpoints) is done, and
// counted in its CPU, before the next pipeline's round, which it would
// otherwise slow down.
func (p *pipeline) settle(b *testing.B) {
	const tick = 250 * time.Millisecond
	cpu := func() float64 { return cpuSeconds(b, p.col.cmd.Process.Pid) + p.pgCPU0(b) }
	last := cpu()
	for deadline := time.Now().Add(settleMax); time.Now().Before(deadline); {
		time.Sleep(tick)
		now := cpu()
		if now-last < idleShare*tick.Seconds() {
			return
		}
		last = now
	}
}

const (
	settleMax = 15 * time.Second
	idleShare = 0.1 // of one CPU: a collector with nothing to do
)

// pgCPU0 is the CPU the pipeline's PostgreSQL has used so far (0 without).
func (p *pipeline) pgCPU0(b *testing.B) float64 {
	if p.pg == nil {
		return 0
	}
	return pgServerCPU(b, p.pg)
}

// startCollectorAt is startCollector with any binary and config path.
func startCollectorAt(t testing.TB, bin, config string, env ...string) *collector {
	t.Helper()
	abs, err := filepath.Abs(config)
	if err != nil {
		t.Fatal(err)
	}
	return startCollectorWith(t, bin, abs, env...)
}

// cpuSeconds is the user and system CPU of a process and of its waited-for
// children, from /proc/PID/stat.
func cpuSeconds(t testing.TB, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name (which may hold spaces).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var ticks float64
	for _, i := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
		v, _ := strconv.ParseFloat(f[i], 64)
		ticks += v
	}
	return ticks / clockTicks()
}

// pgServerCPU is the CPU of the PostgreSQL server's postmaster, its live
// backends and the children it has reaped.
func pgServerCPU(t testing.TB, s *pgtest.Server) float64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Dir(), "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := strconv.Atoi(strings.Fields(string(data))[0])
	if err != nil {
		t.Fatal(err)
	}
	total := cpuSeconds(t, pm)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		if ppid, _ := strconv.Atoi(f[1]); ppid == pm {
			total += cpuSeconds(t, pid)
		}
	}
	return total
}

var ticks float64

// clockTicks is the kernel's USER_HZ (getconf CLK_TCK).
func clockTicks() float64 {
	if ticks == 0 {
		ticks = 100
		if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
			if v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil && v > 0 {
				ticks = v
			}
		}
	}
	return ticks
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// durationEnv and intEnv read a setting of the run from the environment,
// def when unset.
func durationEnv(t testing.TB, name string, def time.Duration) time.Duration {
	return fromEnv(t, name, def, time.ParseDuration)
}

func intEnv(t testing.TB, name string, def int) int { return fromEnv(t, name, def, strconv.Atoi) }

func fromEnv[T any](t testing.TB, name string, def T, parse func(string) (T, error)) T {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return x
}

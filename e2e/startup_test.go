package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// runMedian runs the real caro binary b.N times with args in a fresh
// home whose config opts in (so telemetry is really on unless a flag says
// otherwise) and reports the median wall time of a whole process.
func runMedian(b *testing.B, args ...string) {
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config", "caro")
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "config.toml"), []byte("[telemetry]\nenabled = true\nair_gapped = true\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "SHELL=/bin/sh"}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(caroBin, args...)
		cmd.Env = env
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("caro %v: %v", args, err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}

// The start-up budget: a cheap command with telemetry on against the same
// command with --no-telemetry (added start-up < 5 ms, aim < 1 ms). Compare
// the two medians of one run: the machine's noise is shared.
func BenchmarkStartupVersionTelemetryOn(b *testing.B)  { runMedian(b, "--version") }
func BenchmarkStartupVersionTelemetryOff(b *testing.B) { runMedian(b, "--no-telemetry", "--version") }

// A whole recording run (static backend, non-interactive: the command is
// printed, not run) against the same run with telemetry off: what a user
// waits for, exit-time spool write included.
func BenchmarkRunRecording(b *testing.B)   { runMedian(b, "list files") }
func BenchmarkRunNoTelemetry(b *testing.B) { runMedian(b, "--no-telemetry", "list files") }

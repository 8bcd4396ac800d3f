package insights

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/pgtest"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// now is the fixed clock of the tests: after both weeks of testdata.
var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// stores are the databases that every test over the fixed event set runs
// on, each opening a new empty store for its test: a SQLite file, and a
// throw-away PostgreSQL server (skipped without PostgreSQL, except under
// CI=true).
var stores = []struct {
	name string
	opts func(t testing.TB) store.Options
}{
	{"sqlite", func(t testing.TB) store.Options { return store.Options{Path: filepath.Join(t.TempDir(), "store.db")} }},
	{"postgres", func(t testing.TB) store.Options { return store.Options{DSN: pgtest.Start(t).DSN()} }},
}

// eachStore runs f on every store of stores, loaded with
// testdata/events.jsonl.
func eachStore(t *testing.T, f func(t *testing.T, s *store.Store)) {
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) { f(t, loadStore(t, b.opts(t))) })
	}
}

// dialects are the dialects of stores.
func dialects(t *testing.T) []store.Dialect {
	var out []store.Dialect
	for _, b := range stores {
		opts := b.opts(t)
		s, err := store.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s.Dialect())
		s.Close()
	}
	return out
}

// loadStore writes testdata/events.jsonl into a new store, as the
// collector appends: each event with the name-based uid of its line (the
// events carry none).
func loadStore(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	ctx := context.Background()
	opts.Now = func() time.Time { return now }
	s, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f, err := os.Open("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []store.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, ts, attrs, err := event.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("decode %s: %v", sc.Text(), err)
		}
		evs = append(evs, store.Event{UID: event.NameBasedUID(sc.Bytes()), Name: name, Time: ts, Attrs: attrs})
	}
	res, err := s.Append(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != len(evs) {
		t.Fatalf("stored %d of %d events: %+v", res.Stored, len(evs), res)
	}
	return s
}

// frac is a hand-computed ratio.
type frac struct{ num, den int64 }

// week47 holds the hand-computed figures of 2026-W47 (testdata/events.jsonl,
// sessions S1 to S6 and the stray error of e000000000000001): ratios as
// numerator/denominator, percentiles as values in ms.
var week47Ratios = map[[2]string]frac{
	{"csr", "all"}: {5, 10}, {"csr", "backend=embedded-mlx"}: {2, 3}, {"csr", "backend=ollama"}: {2, 4},
	{"csr", "backend=embedded-cpu"}: {0, 1}, {"csr", "backend=vllm"}: {1, 2},
	{"csr", "platform=macos"}: {2, 3}, {"csr", "platform=linux"}: {3, 6}, {"csr", "platform=windows"}: {0, 1},
	{"csr", "run=first"}: {1, 3}, {"csr", "run=returning"}: {4, 7},

	{"safety_block_rate", "all"}: {3, 10}, {"safety_block_rate", "risk_level=high"}: {2, 10},
	{"safety_block_rate", "risk_level=critical"}:  {1, 10},
	{"safety_block_rate", "backend=embedded-mlx"}: {1, 3}, {"safety_block_rate", "backend=embedded-cpu"}: {1, 1},
	{"safety_block_rate", "backend=vllm"}: {1, 2}, {"safety_block_rate", "backend=ollama"}: {0, 4},
	{"safety_block_rate", "platform=macos"}: {1, 3}, {"safety_block_rate", "platform=windows"}: {1, 1},
	{"safety_block_rate", "platform=linux"}: {1, 6},
	{"safety_block_rate", "run=first"}:      {2, 3}, {"safety_block_rate", "run=returning"}: {1, 7},

	{"false_positive_rate", "all"}: {1, 3}, {"false_positive_rate", "risk_level=high"}: {1, 2},
	{"false_positive_rate", "risk_level=critical"}:  {0, 1},
	{"false_positive_rate", "backend=embedded-mlx"}: {1, 1}, {"false_positive_rate", "backend=embedded-cpu"}: {0, 1},
	{"false_positive_rate", "backend=vllm"}:   {0, 1},
	{"false_positive_rate", "platform=macos"}: {1, 1}, {"false_positive_rate", "platform=windows"}: {0, 1},
	{"false_positive_rate", "platform=linux"}: {0, 1},
	{"false_positive_rate", "run=first"}:      {1, 2}, {"false_positive_rate", "run=returning"}: {0, 1},

	{"retry_rate", "all"}: {3, 7}, {"retry_rate", "backend=embedded-mlx"}: {0, 2}, {"retry_rate", "backend=ollama"}: {2, 3},
	{"retry_rate", "backend=embedded-cpu"}: {0, 1}, {"retry_rate", "backend=vllm"}: {1, 1},
	{"retry_rate", "platform=macos"}: {0, 2}, {"retry_rate", "platform=linux"}: {3, 4}, {"retry_rate", "platform=windows"}: {0, 1},
	{"retry_rate", "run=first"}: {0, 2}, {"retry_rate", "run=returning"}: {3, 5},

	{"session_completion_rate", "all"}: {5, 7}, {"session_completion_rate", "backend=embedded-mlx"}: {2, 2},
	{"session_completion_rate", "backend=ollama"}: {2, 3}, {"session_completion_rate", "backend=embedded-cpu"}: {0, 1},
	{"session_completion_rate", "backend=vllm"}:   {1, 1},
	{"session_completion_rate", "platform=macos"}: {2, 2}, {"session_completion_rate", "platform=linux"}: {3, 4},
	{"session_completion_rate", "platform=windows"}: {0, 1},
	{"session_completion_rate", "run=first"}:        {1, 2}, {"session_completion_rate", "run=returning"}: {4, 5},

	{"backend_success_rate", "all"}: {10, 12}, {"backend_success_rate", "backend=ollama"}: {4, 6},
	{"backend_success_rate", "backend=embedded-mlx"}: {3, 3}, {"backend_success_rate", "backend=embedded-cpu"}: {1, 1},
	{"backend_success_rate", "backend=vllm"}:   {2, 2},
	{"backend_success_rate", "platform=macos"}: {3, 3}, {"backend_success_rate", "platform=linux"}: {6, 8},
	{"backend_success_rate", "platform=windows"}: {1, 1},
	{"backend_success_rate", "run=first"}:        {3, 3}, {"backend_success_rate", "run=returning"}: {7, 9},

	// DAU: 2 + 3 + 2 distinct ids on 16, 17, 18 November, over 7 days.
	{"dau", "all"}: {7, 7}, {"dau", "backend=embedded-mlx"}: {2, 7}, {"dau", "backend=ollama"}: {2, 7},
	{"dau", "backend=embedded-cpu"}: {1, 7}, {"dau", "backend=vllm"}: {1, 7}, {"dau", "backend=unknown"}: {1, 7},
	{"dau", "platform=macos"}: {2, 7}, {"dau", "platform=linux"}: {3, 7}, {"dau", "platform=windows"}: {1, 7},
	{"dau", "platform=unknown"}: {1, 7},
	{"dau", "run=first"}:        {2, 7}, {"dau", "run=returning"}: {4, 7}, {"dau", "run=unknown"}: {1, 7},

	{"error_rate", "all"}: {4, 7}, {"error_rate", "category=backend_timeout"}: {1, 7},
	{"error_rate", "category=config_error"}: {1, 7}, {"error_rate", "category=backend_connection_error"}: {1, 7},
	{"error_rate", "category=io_error"}: {1, 7},
	{"error_rate", "backend=ollama"}:    {2, 3}, {"error_rate", "backend=embedded-cpu"}: {1, 1},
	{"error_rate", "backend=unknown"}: {1, 0}, {"error_rate", "backend=embedded-mlx"}: {0, 2}, {"error_rate", "backend=vllm"}: {0, 1},
	{"error_rate", "platform=linux"}: {2, 4}, {"error_rate", "platform=windows"}: {1, 1},
	{"error_rate", "platform=macos"}: {0, 2}, {"error_rate", "platform=unknown"}: {1, 0},
	{"error_rate", "run=first"}: {1, 2}, {"error_rate", "run=returning"}: {2, 5}, {"error_rate", "run=unknown"}: {1, 0},

	{"platform_share", "all"}:            {7, 7},
	{"platform_share", "platform=macos"}: {2, 7}, {"platform_share", "platform=linux"}: {4, 7},
	{"platform_share", "platform=windows"}: {1, 7},
	{"platform_share", "arch=aarch64"}:     {3, 7}, {"platform_share", "arch=x86_64"}: {4, 7},
	{"platform_share", "shell=zsh"}: {2, 7}, {"platform_share", "shell=bash"}: {3, 7},
	{"platform_share", "shell=powershell"}: {1, 7}, {"platform_share", "shell=fish"}: {1, 7},
	{"platform_share", "os_backend=macos/embedded-mlx"}: {2, 7}, {"platform_share", "os_backend=linux/ollama"}: {3, 7},
	{"platform_share", "os_backend=windows/embedded-cpu"}: {1, 7}, {"platform_share", "os_backend=linux/vllm"}: {1, 7},
	{"platform_share", "backend=embedded-mlx"}: {2, 7}, {"platform_share", "backend=ollama"}: {3, 7},
	{"platform_share", "backend=embedded-cpu"}: {1, 7}, {"platform_share", "backend=vllm"}: {1, 7},
	{"platform_share", "run=first"}: {2, 7}, {"platform_share", "run=returning"}: {5, 7},

	// Features of the 7 session.start (a000000000000002's records no
	// safety level or output format) and the 7 command.executed; the
	// whole has no figure, only the sessions.
	{"feature_usage", "all"}:                          {0, 7},
	{"feature_usage", "feature=backend:embedded-mlx"}: {2, 7}, {"feature_usage", "feature=backend:ollama"}: {3, 7},
	{"feature_usage", "feature=backend:embedded-cpu"}: {1, 7}, {"feature_usage", "feature=backend:vllm"}: {1, 7},
	{"feature_usage", "feature=safety_level:strict"}: {2, 7}, {"feature_usage", "feature=safety_level:moderate"}: {3, 7},
	{"feature_usage", "feature=safety_level:permissive"}: {1, 7},
	{"feature_usage", "feature=output_format:plain"}:     {4, 7}, {"feature_usage", "feature=output_format:json"}: {1, 7},
	{"feature_usage", "feature=output_format:yaml"}: {1, 7},
	{"feature_usage", "feature=fallback:on"}:        {6, 7}, {"feature_usage", "feature=fallback:off"}: {1, 7},
	{"feature_usage", "feature=execution_mode:confirmed"}: {7, 7}, {"feature_usage", "feature=edit"}: {2, 7},
}

// week47Pcts are nearest-rank percentiles: value and number of observations.
var week47Pcts = map[[2]string][2]int64{
	// TTFC: 1000 1500 1600 2200 2600 3500 6100, rank 4.
	{"ttfc_p50", "all"}: {2200, 7}, {"ttfc_p50", "backend=embedded-mlx"}: {1000, 2},
	{"ttfc_p50", "backend=ollama"}: {3500, 3}, {"ttfc_p50", "backend=embedded-cpu"}: {2600, 1},
	{"ttfc_p50", "backend=vllm"}:   {1600, 1},
	{"ttfc_p50", "platform=macos"}: {1000, 2}, {"ttfc_p50", "platform=linux"}: {2200, 4},
	{"ttfc_p50", "platform=windows"}: {2600, 1},
	{"ttfc_p50", "run=first"}:        {1500, 2}, {"ttfc_p50", "run=returning"}: {2200, 5},
	// Inference: 800 900 1200 1500 1700 2000 2500 3000 4000 6000.
	{"inference_p50", "all"}: {1700, 10}, {"inference_p95", "all"}: {6000, 10},
	{"inference_p50", "backend=embedded-mlx"}: {900, 3}, {"inference_p95", "backend=embedded-mlx"}: {1200, 3},
	{"inference_p50", "backend=ollama"}: {3000, 4}, {"inference_p95", "backend=ollama"}: {6000, 4},
	{"inference_p50", "backend=embedded-cpu"}: {2500, 1}, {"inference_p95", "backend=embedded-cpu"}: {2500, 1},
	{"inference_p50", "backend=vllm"}: {1500, 2}, {"inference_p95", "backend=vllm"}: {1700, 2},
	{"inference_p50", "platform=macos"}: {900, 3}, {"inference_p95", "platform=macos"}: {1200, 3},
	{"inference_p50", "platform=linux"}: {2000, 6}, {"inference_p95", "platform=linux"}: {6000, 6},
	{"inference_p50", "platform=windows"}: {2500, 1}, {"inference_p95", "platform=windows"}: {2500, 1},
	{"inference_p50", "run=first"}: {1200, 3}, {"inference_p95", "run=first"}: {2500, 3},
	{"inference_p50", "run=returning"}: {2000, 7}, {"inference_p95", "run=returning"}: {6000, 7},
	// By model size (P95 only: P50 has it on request): 1-4b (the MLX
	// Qwen2.5-Coder-1.5B-Instruct) 800 900 1200; 4-10b (qwen2.5-coder:7b)
	// 3000 4000 6000; 10-40b (Qwen2.5-Coder-32B-Instruct) 1500 1700;
	// unknown (custom) 2000; none (no model recorded) 2500.
	{"inference_p95", "model_size=1-4b"}: {1200, 3}, {"inference_p95", "model_size=4-10b"}: {6000, 3},
	{"inference_p95", "model_size=10-40b"}: {1700, 2}, {"inference_p95", "model_size=unknown"}: {2000, 1},
	{"inference_p95", "model_size=none"}: {2500, 1},
}

var w47 = time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)

// computeAll computes the week with every segment dimension.
func computeAll(t *testing.T, s *store.Store, from time.Time) map[[2]string]Metric {
	t.Helper()
	got := map[[2]string]Metric{}
	for _, by := range []Segment{SegmentBackend, SegmentPlatform, SegmentRun} {
		rep, err := Compute(context.Background(), s, from, from.AddDate(0, 0, 7), by)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range rep.Metrics {
			got[[2]string{m.Name, m.Segment}] = m
		}
	}
	return got
}

func TestComputeMatchesHandComputedFigures(t *testing.T) {
	eachStore(t, func(t *testing.T, s *store.Store) {
		checkWeek47(t, computeAll(t, s, w47))
	})
}

func checkWeek47(t *testing.T, got map[[2]string]Metric) {
	t.Helper()
	for k, want := range week47Ratios {
		t.Run(k[0]+"/"+k[1], func(t *testing.T) {
			m, ok := got[k]
			if !ok {
				t.Fatalf("missing")
			}
			if m.Numerator != want.num || m.Denominator != want.den {
				t.Fatalf("got %d/%d, want %d/%d", m.Numerator, m.Denominator, want.num, want.den)
			}
			if d, _ := DefOf(k[0]); want.den == 0 || d.NoTotal && k[1] == SegmentAll {
				if m.OK || !math.IsNaN(m.Value) {
					t.Fatalf("got value %v with a zero denominator", m.Value)
				}
				return
			}
			if w := float64(want.num) / float64(want.den); m.Value != w || !m.OK {
				t.Fatalf("got %v, want %v", m.Value, w)
			}
		})
	}
	for k, want := range week47Pcts {
		t.Run(k[0]+"/"+k[1], func(t *testing.T) {
			m, ok := got[k]
			if !ok {
				t.Fatalf("missing")
			}
			if m.Value != float64(want[0]) || m.Denominator != want[1] || !m.OK {
				t.Fatalf("got %v of %d, want %d of %d", m.Value, m.Denominator, want[0], want[1])
			}
		})
	}
	// Nothing computed that was not hand-computed.
	for k := range got {
		_, r := week47Ratios[k]
		_, p := week47Pcts[k]
		if !r && !p {
			t.Errorf("unexpected figure %v: %+v", k, got[k])
		}
	}
}

func TestWeeklyMarkdownGolden(t *testing.T) {
	eachStore(t, func(t *testing.T, s *store.Store) {
		r, err := Weekly(context.Background(), s, "2026-W47")
		if err != nil {
			t.Fatal(err)
		}
		checkReview(t, r)
		var md bytes.Buffer
		if err := r.WriteMarkdown(&md); err != nil {
			t.Fatal(err)
		}
		golden(t, "testdata/weekly-2026-W47.md", md.Bytes())
		var js bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		golden(t, "testdata/weekly-2026-W47.json", js.Bytes())
	})
}

// checkReview asserts the review's hand-computed parts.
func checkReview(t *testing.T, r Review) {
	t.Helper()
	if r.CSR == nil || *r.CSR != 0.5 || r.CSRLast == nil || *r.CSRLast != 0.75 {
		t.Fatalf("CSR %v, last week %v; want 0.5 and 0.75", r.CSR, r.CSRLast)
	}
	if r.CSRTrend == nil || math.Abs(*r.CSRTrend+25) > 1e-9 {
		t.Fatalf("CSR trend %v, want -25 points", r.CSRTrend)
	}
	wantStatus := map[string]Status{
		"CSR": StatusRed, "DAU": StatusGreen, "TTFC (P50)": StatusGreen, "Inference P95": StatusRed,
		"Safety Block Rate": StatusRed, "False Positive Rate": StatusRed, "Error Rate": StatusRed,
		"Retry Rate": StatusRed, "Backend Success Rate": StatusRed, "Session Completion Rate": StatusGreen,
	}
	wantLast := map[string]string{
		"CSR": "75.0%", "DAU": "0.4", "TTFC (P50)": "1.0s", "Inference P95": "2.0s", "Safety Block Rate": "25.0%",
		"False Positive Rate": "0.0%", "Error Rate": "0.0%", "Retry Rate": "0.0%", "Backend Success Rate": "100.0%",
		"Session Completion Rate": "66.7%",
	}
	for _, k := range r.KeyMetrics {
		if k.Status != wantStatus[k.Metric] {
			t.Errorf("%s status %q, want %q", k.Metric, k.Status, wantStatus[k.Metric])
		}
		if k.LastWeek != wantLast[k.Metric] {
			t.Errorf("%s last week %q, want %q", k.Metric, k.LastWeek, wantLast[k.Metric])
		}
	}
	var got []string
	for _, s := range r.Signals {
		got = append(got, s.Name+": "+s.Detail)
	}
	want := []string{
		"Model accuracy issues: CSR 50.0% < 80% (retry rate 42.9%)",
		"Safety too aggressive: block rate 30.0% > 5%",
		"Safety too aggressive: false positive rate 33.3% > 10%",
		"Performance regression: embedded-mlx inference P95 1.2s, was 0.9s (+33%)",
		"Performance regression: ollama inference P95 6.0s, was 2.0s (+200%)",
		"Performance regression: platform linux inference P95 6.0s, was 2.0s (+200%)",
		"Performance regression: platform macos inference P95 1.2s, was 0.9s (+33%)",
		"Performance regression: model size 1-4b inference P95 1.2s, was 0.9s (+33%)",
		"Performance regression: model size 4-10b inference P95 6.0s, was 2.0s (+200%)",
		"Backend issues: ollama success 66.7% < 99% (4 of 6)",
		"Platform underserved: linux error rate 50.0% > 1% (2 errors, 4 sessions)",
		"Platform underserved: windows error rate 100.0% > 1% (1 errors, 1 sessions)",
	}
	if len(got) != len(want) {
		t.Fatalf("signals:\n%q\nwant\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("signal %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, got)
	}
}

func TestRollupOutlivesPurgedRawEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		before, err := Weekly(ctx, s, "2026-W47")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Rollup(ctx, s, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"2026-11-10", "2026-11-11", "2026-11-16", "2026-11-17", "2026-11-18"}; !equal(res.Days, want) {
			t.Fatalf("rolled up %v, want %v", res.Days, want)
		}
		again, err := Rollup(ctx, s, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Days) != 0 || again.Rows != 0 {
			t.Fatalf("second rollup wrote %+v, want nothing", again)
		}
		// Retention runs: every raw event is gone.
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM events"); err != nil {
			t.Fatal(err)
		}
		after, err := Weekly(ctx, s, "2026-W47")
		if err != nil {
			t.Fatal(err)
		}
		if after.ThisWeek.RolledUpDays != 3 || after.LastWeek.RolledUpDays != 2 {
			t.Fatalf("rolled-up days read: %d and %d, want 3 and 2", after.ThisWeek.RolledUpDays, after.LastWeek.RolledUpDays)
		}
		checkWeek47(t, computeAll(t, s, w47))
		checkReview(t, after)
		var a, b bytes.Buffer
		if err := before.WriteMarkdown(&a); err != nil {
			t.Fatal(err)
		}
		if err := after.WriteMarkdown(&b); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Fatalf("review after purge differs:\n%s\nbefore:\n%s", b.String(), a.String())
		}
		// A rollup after the purge keeps the aggregates.
		if res, err := Rollup(ctx, s, now); err != nil || len(res.Days) != 0 {
			t.Fatalf("rollup after purge: %+v, %v", res, err)
		}
	})
}

// TestRolledUpDaysAreNotReadFromRawEvents: once Rollup has passed a day,
// reviews read it from daily_metrics only, so that a review of rolled-up
// weeks costs a few hundred rows rather than every raw event. The raw
// events are made unreadable (a column the facts read is renamed): a
// window that still queried them fails.
func TestRolledUpDaysAreNotReadFromRawEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w46 := w47.AddDate(0, 0, -7)
		// Rolled up to 18 November, the last day with events: W46 and
		// the first three days of W47.
		windows := [][2]time.Time{{w46, w47}, {w47, w47.AddDate(0, 0, 3)}}
		var before []Report
		for _, w := range windows {
			r, err := Compute(ctx, s, w[0], w[1], SegmentPlatform)
			if err != nil {
				t.Fatal(err)
			}
			before = append(before, r)
		}
		if _, err := Rollup(ctx, s, now); err != nil {
			t.Fatal(err)
		}
		col := store.ColumnName(schema.KeyPlatformOS)
		if _, err := s.DB().ExecContext(ctx, "ALTER TABLE events RENAME COLUMN "+col+" TO "+col+"_gone"); err != nil {
			t.Fatal(err)
		}
		for i, w := range windows {
			r, err := Compute(ctx, s, w[0], w[1], SegmentPlatform)
			if err != nil {
				t.Fatalf("%s to %s read raw events: %v", w[0].Format(time.DateOnly), w[1].Format(time.DateOnly), err)
			}
			a, _ := json.Marshal(before[i].Metrics)
			b, _ := json.Marshal(r.Metrics)
			if !bytes.Equal(a, b) {
				t.Fatalf("from daily_metrics:\n%s\nfrom raw events:\n%s", b, a)
			}
		}
		// The days after the last rolled-up one are read from raw events.
		if _, err := Compute(ctx, s, w47, w47.AddDate(0, 0, 7), SegmentNone); err == nil {
			t.Fatal("a window with days after the last rolled-up one did not read raw events")
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStatusOf(t *testing.T) {
	nan := math.NaN()
	csr := Target{Min: 0.80, Rate: true}
	retry := Target{Max: 0.20}
	block := Target{Min: 0.02, Max: 0.05}
	growth := Target{Growth: true}
	for _, c := range []struct {
		name    string
		t       Target
		v, prev float64
		want    Status
	}{
		{"CSR at its target is green", csr, 0.80, nan, StatusGreen},
		{"CSR at 78% is amber", csr, 0.78, nan, StatusAmber},
		{"CSR at 77% is red", csr, 0.77, nan, StatusRed},
		{"retry rate at 22% is amber", retry, 0.22, nan, StatusAmber},
		{"retry rate at 23% is red", retry, 0.23, nan, StatusRed},
		{"block rate of 3% is green", block, 0.03, nan, StatusGreen},
		{"block rate of 1.9% is amber", block, 0.019, nan, StatusAmber},
		{"block rate of 5.4% is amber", block, 0.054, nan, StatusAmber},
		{"block rate of 1% is red", block, 0.01, nan, StatusRed},
		{"backend success of 98.95% is amber", Target{Min: 0.99, Rate: true}, 0.9895, nan, StatusAmber},
		{"backend success of 98.8% is red", Target{Min: 0.99, Rate: true}, 0.988, nan, StatusRed},
		{"growing DAU is green", growth, 5, 4, StatusGreen},
		{"flat DAU is amber", growth, 4, 4, StatusAmber},
		{"falling DAU is red", growth, 3, 4, StatusRed},
		{"no data has no status", csr, nan, nan, StatusNone},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := StatusOf(c.t, c.v, c.prev); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseISOWeek(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-W47", "2026-11-16", true},
		{"2026-W01", "2025-12-29", true},
		{"2026-W53", "2026-12-28", true},
		{"2025-W53", "", false},
		{"2026-47", "", false},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseISOWeek(c.in)
			if (err == nil) != c.ok {
				t.Fatalf("err %v", err)
			}
			if c.ok && got.Format(time.DateOnly) != c.want {
				t.Fatalf("got %s, want %s", got.Format(time.DateOnly), c.want)
			}
		})
	}
}

func TestWeeklyHTMLIsSelfContained(t *testing.T) {
	eachStore(t, testWeeklyHTMLIsSelfContained)
}

func testWeeklyHTMLIsSelfContained(t *testing.T, db *store.Store) {
	r, err := Weekly(context.Background(), db, "2026-W47")
	if err != nil {
		t.Fatal(err)
	}
	c, err := WeeklyCharts(context.Background(), db, w47)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Days) != 56 {
		t.Fatalf("%d days, want 56", len(c.Days))
	}
	want := map[string]DayPoint{"2026-11-10": {CSR: 1, DAU: 2}, "2026-11-11": {CSR: 0, DAU: 1},
		"2026-11-16": {CSR: 3.0 / 4, DAU: 2}, "2026-11-17": {CSR: 1.0 / 4, DAU: 3}, "2026-11-18": {CSR: 1.0 / 2, DAU: 2}}
	for _, d := range c.Days {
		w, ok := want[d.Day]
		if !ok {
			w = DayPoint{CSR: math.NaN()}
		}
		if d.DAU != w.DAU || (d.CSR != w.CSR && !(math.IsNaN(d.CSR) && math.IsNaN(w.CSR))) {
			t.Errorf("%s: CSR %v DAU %d, want %v %d", d.Day, d.CSR, d.DAU, w.CSR, w.DAU)
		}
	}
	// ollama: 2000, 3000, 4000, 6000 ms.
	var got []int64
	for _, b := range c.Latency["ollama"] {
		got = append(got, b.N)
	}
	if fmt.Sprint(got) != "[0 0 0 1 2 1 0]" {
		t.Errorf("ollama latency buckets %v", got)
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page, c); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "src=", "href=", "url(", "@import", "http:", "https:"} {
		if bytes.Contains(page.Bytes(), []byte(bad)) {
			t.Errorf("page contains %q: it must not load anything", bad)
		}
	}
	golden(t, "testdata/weekly-2026-W47.html", page.Bytes())
}

func FuzzParseISOWeek(f *testing.F) {
	for _, s := range []string{"2026-W47", "2026-W01", "2026-W53", "2025-W53", "x-W1", "-W", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		monday, err := ParseISOWeek(s)
		if err != nil {
			return
		}
		if monday.Weekday() != time.Monday {
			t.Fatalf("%q gave %s, not a Monday", s, monday)
		}
		y, w := monday.ISOWeek()
		if got := fmt.Sprintf("%d-W%02d", y, w); got != s && fmt.Sprintf("%d-W%d", y, w) != s {
			// Leading zeros and signs parse too; the week must still be the one asked.
			var yy, ww int
			if _, err := fmt.Sscanf(s, "%d-W%d", &yy, &ww); err != nil || yy != y || ww != w {
				t.Fatalf("%q gave week %s", s, got)
			}
		}
	})
}

func TestAWeekInProgressIsReviewedOverItsElapsedDays(t *testing.T) {
	eachStore(t, testAWeekInProgressIsReviewedOverItsElapsedDays)
}

func testAWeekInProgressIsReviewedOverItsElapsedDays(t *testing.T, db *store.Store) {
	monday, _ := ParseISOWeek("2026-W47")
	wednesday := monday.AddDate(0, 0, 2).Add(15 * time.Hour)
	r, err := WeeklyAt(context.Background(), db, "2026-W47", wednesday)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Compute(context.Background(), db, monday, monday.AddDate(0, 0, 3), SegmentPlatform)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.ThisWeek.Get("dau", SegmentAll)
	exp, _ := want.Get("dau", SegmentAll)
	if got.Value != exp.Value || r.To != monday.AddDate(0, 0, 2).Format(time.DateOnly) {
		t.Errorf("DAU %v through %s, want %v through Wednesday", got.Value, r.To, exp.Value)
	}
	whole, _ := Weekly(context.Background(), db, "2026-W47")
	late, _ := WeeklyAt(context.Background(), db, "2026-W47", monday.AddDate(0, 0, 9))
	if late.To != whole.To {
		t.Errorf("a finished week ends %s, want %s", late.To, whole.To)
	}
	if _, err := WeeklyAt(context.Background(), db, "2026-W47", monday.AddDate(0, 0, -1)); err == nil {
		t.Error("a week that has not started was reviewed")
	}
}

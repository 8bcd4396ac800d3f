package insights

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

var (
	benchSessions  = flag.Int("bench.sessions", 20000, "sessions of BenchmarkWeekly's store (5.1 events each)")
	benchStorePath = flag.String("bench.store", "", "BenchmarkWeekly's store, a SQLite file or a postgres:// DSN: "+
		"built if empty, else reused (it must hold -bench.sessions sessions); default a temporary SQLite file")
	benchPlan = flag.String("bench.plan", "", `BenchmarkWeekly's plan over raw events: "walk", "index" or "" (walkShare decides)`)
)

// benchBatch is how many events one Append of benchStore carries: the
// store commits each in one transaction.
const benchBatch = 50000

// benchOptions are the store options of -bench.store.
func benchOptions(where string) store.Options {
	if strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://") {
		return store.Options{DSN: where, Now: func() time.Time { return now }}
	}
	return store.Options{Path: where, Now: func() time.Time { return now }}
}

// countEvents returns how many events the store holds.
func countEvents(b *testing.B, ctx context.Context, s *store.Store) int {
	b.Helper()
	var n int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// benchStore fills the store at where with sessions over the 14 days of
// 2026-W46 and W47, in time order as a collector receives them: each a
// start, two generations (one executed, a fifth of those modified), an
// end, and an error every tenth session. It returns the event count, and
// how long the build took (0 when the store was there already).
func benchStore(b *testing.B, where string, sessions int) (int, time.Duration) {
	b.Helper()
	ctx := context.Background()
	want := 0
	for i := range sessions {
		want += 5
		if i%10 == 0 {
			want++
		}
	}
	start := time.Now()
	s, err := store.Open(ctx, benchOptions(where))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	stored := countEvents(b, ctx, s)
	if stored > 0 {
		return want, 0
	}
	// One goroutine appends while this one builds the next batch.
	batches := make(chan []store.Event, 1)
	done := make(chan error, 1)
	go func() {
		var err error
		for evs := range batches {
			if err != nil {
				continue
			}
			var res store.Result
			if res, err = s.Append(ctx, evs); err == nil && res.Stored != len(evs) {
				err = fmt.Errorf("stored %d of %d events: %+v", res.Stored, len(evs), res)
			}
		}
		done <- err
	}()
	oses := []string{"macos", "linux", "windows"}
	backends := []string{"embedded-mlx", "ollama", "embedded-cpu", "vllm"}
	str, num, flag := schema.String, schema.Int, schema.Bool
	batch := make([]store.Event, 0, benchBatch)
	seq := 0
	add := func(name string, t time.Time, attrs ...schema.Attr) {
		seq++
		// Time-ordered, as the SDK's UUID v7 uids are.
		uid := fmt.Sprintf("00000000-0000-7000-8000-%012x", seq)
		batch = append(batch, store.Event{UID: uid, Name: name, Time: t, Attrs: attrs})
		if len(batch) == benchBatch {
			batches <- batch
			batch = make([]store.Event, 0, benchBatch)
		}
	}
	perDay := (sessions + 13) / 14
	for d := range 14 {
		day := time.Date(2026, 11, 9+d, 0, 0, 0, 0, time.UTC)
		for j := range perDay {
			i := d + 14*j
			if i >= sessions {
				break
			}
			// j·24h overflows a Duration past 106,751 sessions a day:
			// the step first.
			t0 := day.Add(time.Duration(j) * (24 * time.Hour / time.Duration(perDay)))
			ts := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Millisecond) }
			sid := str(fmt.Sprintf("%016x", i))
			os, backend := str(oses[i%3]), str(backends[i%4])
			add(schema.EventSessionStart, ts(0),
				schema.Attr{Key: schema.KeySessionID, Value: sid},
				schema.Attr{Key: schema.KeyCaroVersion, Value: str("1.1.0")},
				schema.Attr{Key: schema.KeyPlatformOS, Value: os},
				schema.Attr{Key: schema.KeyPlatformArch, Value: str("x86_64")},
				schema.Attr{Key: schema.KeyPlatformShell, Value: str("bash")},
				schema.Attr{Key: schema.KeyBackendPrimary, Value: backend},
				schema.Attr{Key: schema.KeyFallbackEnabled, Value: flag(true)},
				schema.Attr{Key: schema.KeyIsFirstRun, Value: flag(i%7 == 0)})
			for g := range 2 {
				gid := str(fmt.Sprintf("00000000-0000-4000-8000-%012d", i*2+g))
				add(schema.EventCommandGenerated, ts(1+g),
					schema.Attr{Key: schema.KeySessionID, Value: sid},
					schema.Attr{Key: schema.KeyGenerationID, Value: gid},
					schema.Attr{Key: schema.KeyBackendUsed, Value: backend},
					schema.Attr{Key: schema.KeyInferenceTimeMs, Value: num(int64(500 + (i*37+g*11)%4000))},
					schema.Attr{Key: schema.KeySafetyRiskLevel, Value: str("safe")},
					schema.Attr{Key: schema.KeySafetyPatternsMatched, Value: num(0)})
				if g == 0 {
					add(schema.EventCommandExecuted, ts(3),
						schema.Attr{Key: schema.KeySessionID, Value: sid},
						schema.Attr{Key: schema.KeyGenerationID, Value: gid},
						schema.Attr{Key: schema.KeyExecutionMode, Value: str("confirmed")},
						schema.Attr{Key: schema.KeyModifiedBeforeExecution, Value: flag(i%5 == 0)})
				}
			}
			if i%10 == 0 {
				add(schema.EventErrorOccurred, ts(4),
					schema.Attr{Key: schema.KeySessionID, Value: sid},
					schema.Attr{Key: schema.KeyErrorCategory, Value: str("backend_timeout")},
					schema.Attr{Key: schema.KeyErrorCode, Value: str("E1001")},
					schema.Attr{Key: schema.KeyComponent, Value: str("inference")},
					schema.Attr{Key: schema.KeyBackend, Value: backend})
			}
			add(schema.EventSessionEnd, ts(5),
				schema.Attr{Key: schema.KeySessionID, Value: sid},
				schema.Attr{Key: schema.KeySessionDurationMs, Value: num(5000)},
				schema.Attr{Key: schema.KeyCommandsGenerated, Value: num(2)},
				schema.Attr{Key: schema.KeyCommandsExecuted, Value: num(1)},
				schema.Attr{Key: schema.KeyErrorsEncountered, Value: num(0)},
				schema.Attr{Key: schema.KeyRetries, Value: num(int64(i % 3))},
				schema.Attr{Key: schema.KeyTimeToFirstCommandMs, Value: num(int64(800 + i%3000))})
		}
	}
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if seq != want {
		b.Fatalf("built %d events, want %d", seq, want)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return want, time.Since(start)
}

// BenchmarkWeekly is the review of one week (and the week before) over
// -bench.sessions sessions (20,000: 102,000 events) read from raw events.
// It reports the events and how long building the store took (build-s).
func BenchmarkWeekly(b *testing.B) {
	where := *benchStorePath
	if where == "" {
		where = filepath.Join(b.TempDir(), "bench.db")
	}
	n, built := benchStore(b, where, *benchSessions)
	ctx := context.Background()
	opts := benchOptions(where)
	opts.MustExist = true
	s, err := store.Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	stored := countEvents(b, ctx, s)
	if stored != n {
		b.Fatalf("the store holds %d events, want %d", stored, n)
	}
	scanPlan = *benchPlan
	defer func() { scanPlan = "" }()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Weekly(ctx, s, "2026-W47")
		if err != nil {
			b.Fatal(err)
		}
		// Every session of the store is in one of the two weeks: a
		// review that missed some read less than the store holds.
		this, _ := r.ThisWeek.Get("retry_rate", SegmentAll)
		last, _ := r.LastWeek.Get("retry_rate", SegmentAll)
		if got := this.Denominator + last.Denominator; got != int64(*benchSessions) {
			b.Fatalf("the two weeks have %d sessions, want all %d of the store", got, *benchSessions)
		}
	}
	b.ReportMetric(float64(n), "events")
	if built > 0 {
		b.ReportMetric(built.Seconds(), "build-s")
	}
}

// BenchmarkWeeklyRolledUp is the review of the same weeks once Rollup has
// written them, as when it runs daily: the review reads daily_metrics
// only. It builds its own temporary store (never -bench.store, which
// Rollup would change) and reports how long Rollup took (rollup-s).
func BenchmarkWeeklyRolledUp(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	n, _ := benchStore(b, path, *benchSessions)
	ctx := context.Background()
	s, err := store.Open(ctx, benchOptions(path))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	res, err := Rollup(ctx, s, now)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Days) != 14 {
		b.Fatalf("rolled up %d days, want the 14 of the two weeks", len(res.Days))
	}
	rolled := time.Since(start)
	scanPlan = *benchPlan
	defer func() { scanPlan = "" }()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Weekly(ctx, s, "2026-W47")
		if err != nil {
			b.Fatal(err)
		}
		if r.ThisWeek.RolledUpDays != 7 || r.LastWeek.RolledUpDays != 7 {
			b.Fatalf("read %d and %d rolled-up days, want 7 and 7", r.ThisWeek.RolledUpDays, r.LastWeek.RolledUpDays)
		}
	}
	b.ReportMetric(float64(n), "events")
	b.ReportMetric(rolled.Seconds(), "rollup-s")
}

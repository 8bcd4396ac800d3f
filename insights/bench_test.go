package insights

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exporter/sqlitespool"
)

// benchStore fills a store with sessions over the 14 days of 2026-W46 and
// W47: each a start, two generations (one executed unmodified), an end, and
// an error every tenth session. It returns the path and the event count.
func benchStore(b *testing.B, sessions int) (string, int) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	sp, err := sqlitespool.Open(ctx, sqlitespool.Options{Path: path, Server: true, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	oses := []string{"macos", "linux", "windows"}
	backends := []string{"embedded-mlx", "ollama", "embedded-cpu", "vllm"}
	total := 0
	var batch []sqlitespool.Event
	add := func(line string) {
		name, ts, attrs, err := event.Decode([]byte(line))
		if err != nil {
			b.Fatalf("%s: %v", line, err)
		}
		batch = append(batch, sqlitespool.Event{Name: name, Time: ts, Attrs: attrs})
	}
	for i := range sessions {
		day := time.Date(2026, 11, 9+i%14, 0, 0, 0, 0, time.UTC).Add(time.Duration(i%86400) * time.Second)
		ts := func(s int) string { return day.Add(time.Duration(s) * time.Second).Format(event.TimestampLayout) }
		sid := fmt.Sprintf("%016x", i)
		os, backend := oses[i%3], backends[i%4]
		add(fmt.Sprintf(`{"event":"session.start","timestamp":%q,"session_id":%q,"caro_version":"1.1.0","platform":{"os":%q,"arch":"x86_64","shell":"bash"},"backend_config":{"primary":%q,"fallback_enabled":true},"is_first_run":%t}`,
			ts(0), sid, os, backend, i%7 == 0))
		for g := range 2 {
			gid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i*2+g)
			add(fmt.Sprintf(`{"event":"command.generated","timestamp":%q,"session_id":%q,"generation_id":%q,"backend_used":%q,"inference_time_ms":%d,"safety_result":{"risk_level":"safe","patterns_matched":0}}`,
				ts(1+g), sid, gid, backend, 500+(i*37+g*11)%4000))
			if g == 0 {
				add(fmt.Sprintf(`{"event":"command.executed","timestamp":%q,"session_id":%q,"generation_id":%q,"execution_mode":"confirmed","modified_before_execution":%t}`,
					ts(3), sid, gid, i%5 == 0))
			}
		}
		if i%10 == 0 {
			add(fmt.Sprintf(`{"event":"error.occurred","timestamp":%q,"session_id":%q,"error_category":"backend_timeout","error_code":"E1001","component":"inference","backend":%q}`,
				ts(4), sid, backend))
		}
		add(fmt.Sprintf(`{"event":"session.end","timestamp":%q,"session_id":%q,"session_duration_ms":5000,"commands_generated":2,"commands_executed":1,"errors_encountered":0,"retries":%d,"time_to_first_command_ms":%d}`,
			ts(5), sid, i%3, 800+i%3000))
		if len(batch) >= 5000 {
			if _, err := sp.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
			total += len(batch)
			batch = batch[:0]
		}
	}
	if _, err := sp.Append(ctx, batch); err != nil {
		b.Fatal(err)
	}
	total += len(batch)
	if err := sp.Close(); err != nil {
		b.Fatal(err)
	}
	return path, total
}

var benchSessions = flag.Int("bench.sessions", 20000, "sessions of BenchmarkWeekly's store (5.1 events each)")

// BenchmarkWeekly is the review of one week (and the week before) over
// -bench.sessions sessions (20,000: 102,000 events) read from raw
// events.
func BenchmarkWeekly(b *testing.B) {
	path, n := benchStore(b, *benchSessions)
	db, err := OpenReadOnly(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var stored int
	if err := db.QueryRow("SELECT count(*) FROM events").Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != n {
		b.Fatalf("the store holds %d events of the %d appended", stored, n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Weekly(context.Background(), db, "2026-W47"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "events")
}

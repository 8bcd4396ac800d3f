package upload

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/internal/clocktest"
	"caro.sh/telemetry/schema"
)

// testVersion is the Caro version the tests upload as.
const testVersion = "1.1.0"

// clock is a settable clock for the spool, the state and MarkTransmitted.
type clock = clocktest.Clock

func newClock() *clock { return clocktest.New(time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)) }

func openSpool(t testing.TB, path string, now func() time.Time) *sqlitespool.Spool {
	t.Helper()
	sp, err := sqlitespool.Open(context.Background(), sqlitespool.Options{Path: path, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close() })
	return sp
}

func newSpool(t testing.TB, c *clock) *sqlitespool.Spool {
	t.Helper()
	return openSpool(t, filepath.Join(t.TempDir(), "telemetry.db"), c.Now)
}

// testEvents returns n valid events of three kinds, so that every schema
// type (string, int, bool, float) is replayed, timed an hour before now.
func testEvents(n int, now time.Time) []sqlitespool.Event {
	const session = "a1b2c3d4e5f60718"
	evs := make([]sqlitespool.Event, n)
	for i := range evs {
		ts := now.Add(-time.Hour + time.Duration(i)*time.Millisecond)
		gen := uuid.NewString()
		var ev sqlitespool.Event
		switch i % 3 {
		case 0:
			ev = sqlitespool.Event{Name: schema.EventCommandGenerated, Attrs: []schema.Attr{
				{Key: schema.KeySessionID, Value: schema.String(session)},
				{Key: schema.KeyGenerationID, Value: schema.String(gen)},
				{Key: "backend_used", Value: schema.String(string(schema.BackendOllama))},
				{Key: "inference_time_ms", Value: schema.Int(int64(100 + i))},
				{Key: "safety_result.risk_level", Value: schema.String(string(schema.RiskSafe))},
				{Key: "safety_result.patterns_matched", Value: schema.Int(0)},
				{Key: "model_name", Value: schema.String("llama3.2:3b")},
				{Key: "confidence_score", Value: schema.Float(0.5 + float64(i%50)/100)},
			}}
		case 1:
			ev = sqlitespool.Event{Name: schema.EventCommandExecuted, Attrs: []schema.Attr{
				{Key: schema.KeySessionID, Value: schema.String(session)},
				{Key: schema.KeyGenerationID, Value: schema.String(gen)},
				{Key: "execution_mode", Value: schema.String(string(schema.ExecConfirmed))},
				{Key: "modified_before_execution", Value: schema.Bool(i%2 == 0)},
			}}
		default:
			ev = sqlitespool.Event{Name: schema.EventSessionEnd, Attrs: []schema.Attr{
				{Key: schema.KeySessionID, Value: schema.String(session)},
				{Key: "session_duration_ms", Value: schema.Int(int64(1000 + i))},
				{Key: "commands_generated", Value: schema.Int(1)},
				{Key: "commands_executed", Value: schema.Int(1)},
				{Key: "errors_encountered", Value: schema.Int(0)},
				{Key: "exit_reason", Value: schema.String(string(schema.ExitUserComplete))},
			}}
		}
		ev.Time = ts
		evs[i] = ev
	}
	return evs
}

// fill appends n events and returns them as stored (ids, event ids).
func fillSpool(t testing.TB, sp *sqlitespool.Spool, n int, now time.Time) []sqlitespool.Event {
	t.Helper()
	ctx := context.Background()
	const chunk = 500
	evs := testEvents(n, now)
	for i := 0; i < len(evs); i += chunk {
		if _, err := sp.Append(ctx, evs[i:min(i+chunk, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := sp.List(ctx, sqlitespool.ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != n {
		t.Fatalf("spool holds %d events, want %d", len(stored), n)
	}
	return stored
}

func testOptions(endpoint string, c *clock) Options {
	return Options{
		Endpoint:       endpoint,
		Version:        testVersion,
		BatchSize:      4,
		AttemptTimeout: 2 * time.Second,
		Now:            c.Now,
		Rand:           rand.New(rand.NewPCG(1, 2)),
	}
}

func pending(t testing.TB, sp *sqlitespool.Spool) []sqlitespool.Event {
	t.Helper()
	evs, err := sp.Pending(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// wantAttrs is an event's fields as the server decodes them.
func wantAttrs(ev sqlitespool.Event) map[string]any {
	m := make(map[string]any, len(ev.Attrs))
	for _, a := range ev.Attrs {
		m[a.Key] = a.Value.Any()
	}
	return m
}

// checkDelivered checks what reached the servers against the spool's
// events: every event not in dropped arrived, every copy of an event is
// the same record (same uid, same content), nothing unknown and nothing
// dropped arrived. It returns the number of duplicate copies.
func checkDelivered(t testing.TB, stored []sqlitespool.Event, dropped map[string]bool, servers ...*otlpServer) int {
	t.Helper()
	byID := make(map[string]sqlitespool.Event, len(stored))
	for _, e := range stored {
		byID[e.EventID] = e
	}
	seen := map[string]gotRecord{}
	dups := 0
	for _, srv := range servers {
		for _, r := range srv.Delivered() {
			ev, known := byID[r.UID]
			switch {
			case !known:
				t.Errorf("server got unknown uid %q", r.UID)
				continue
			case dropped[r.UID]:
				t.Errorf("server accepted %s, an event of a rejected batch", r.UID)
			}
			if first, dup := seen[r.UID]; dup {
				dups++
				if !r.sameContent(first) {
					t.Errorf("duplicate of %s differs:\n%+v\n%+v", r.UID, first, r)
				}
				continue
			}
			seen[r.UID] = r
			if r.Name != ev.Name || !r.Time.Equal(ev.Time) || fmt.Sprint(r.Attrs) != fmt.Sprint(wantAttrs(ev)) {
				t.Errorf("record %s = %s %v %v, want %s %v %v", r.UID, r.Name, r.Time, r.Attrs, ev.Name, ev.Time, wantAttrs(ev))
			}
		}
	}
	for _, e := range stored {
		if _, ok := seen[e.EventID]; !ok && !dropped[e.EventID] {
			t.Errorf("event %d (%s) never reached the server", e.ID, e.EventID)
		}
	}
	return dups
}

// checkRequests checks the protocol of every request a server decoded:
// path, headers, and a resource of exactly service.name and service.version.
func checkRequests(t testing.TB, srv *otlpServer, path string) {
	t.Helper()
	for i, r := range srv.Requests() {
		if r.Action == answerReset {
			continue
		}
		if r.Path != path {
			t.Errorf("request %d to %s, want %s", i, r.Path, path)
		}
		if v := r.Header.Get("X-Caro-Version"); v != testVersion {
			t.Errorf("request %d X-Caro-Version %q, want %q", i, v, testVersion)
		}
		want := map[string]any{"service.name": "caro", "service.version": testVersion}
		if r.Resource != nil && fmt.Sprint(r.Resource) != fmt.Sprint(want) {
			t.Errorf("request %d resource %v, want exactly %v", i, r.Resource, want)
		}
	}
}

package store

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
)

// TestAStoreOfTheFirstLayoutMigratesWithEveryEvent opens
// testdata/server-v1.db, written by the collector's store before typed
// columns (sqlitespool in server mode: 120 events of six types, one
// session deleted by a request, the request itself): every event it held
// comes back with the same fields, uid and times, and its tombstone still
// refuses the deleted session's events.
func TestAStoreOfTheFirstLayoutMigratesWithEveryEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	data, err := os.ReadFile(filepath.Join("testdata", "server-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// What the old layout holds, read with plain SQL before the migration.
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // uid -> encoded event
	rows, err := old.Query("SELECT event_id, payload FROM events")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var uid, payload string
		if err := rows.Scan(&uid, &payload); err != nil {
			t.Fatal(err)
		}
		want[uid] = payload
	}
	rows.Close()
	old.Close()
	if len(want) != 115 {
		t.Fatalf("the testdata file holds %d events, want 115", len(want))
	}

	clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s := mustOpen(t, Options{Path: path, Now: func() time.Time { return clock }})
	got, err := s.Pending(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d events after the migration, want %d", len(got), len(want))
	}
	for _, ev := range got {
		b, err := event.Encode(ev.Name, ev.Time, ev.Attrs)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want[ev.UID] {
			t.Errorf("%s migrated as\n%s, want\n%s", ev.UID, b, want[ev.UID])
		}
		if !ev.ReceivedAt.Equal(clock) {
			t.Errorf("%s received at %v, want its created_at %v", ev.UID, ev.ReceivedAt, clock)
		}
	}
	deleted := Event{UID: "019abc12-3456-7def-8123-0000000000aa", Name: schema.EventSessionEnd,
		Time: clock.Add(-30 * time.Hour), Attrs: []schema.Attr{{Key: schema.KeySessionID, Value: schema.String("0000000000abc000")}}}
	if res, err := s.Append(ctx, []Event{deleted}); err != nil || res.RefusedDeleted != 1 {
		t.Errorf("an event of the deleted session: %+v, %v; want refused", res, err)
	}
	// Opening again is a no-op.
	s.Close()
	s = mustOpen(t, Options{Path: path, Now: func() time.Time { return clock }})
	if n, _ := s.CountByType(ctx); n[schema.EventSessionStart] != 19 {
		t.Errorf("counts after reopening %v", n)
	}
}

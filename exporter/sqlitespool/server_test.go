package sqlitespool

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
)

// clock is a settable clock for Options.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// sessionEvent is an event of the named type with sample fields, the given
// session id and id.
func sessionEvent(name, session, id string, ts time.Time) Event {
	attrs := sampleAttrs(mustLookup(name))
	for i := range attrs {
		if attrs[i].Key == schema.KeySessionID {
			attrs[i].Value = schema.String(session)
		}
	}
	return Event{Name: name, Time: ts, Attrs: attrs, EventID: id}
}

func deletionEvent(id string, ts time.Time, sessions ...string) Event {
	return Event{Name: schema.EventDeletionRequest, Time: ts, EventID: id,
		Attrs: []schema.Attr{{Key: schema.KeySessionIDs, Value: schema.StringList(sessions)}}}
}

func uid(n int) string { return fmt.Sprintf("019abc12-3456-7def-8123-%012x", n) }

func TestServerModeKeepsTheCallersIDsAndStoresEachOnce(t *testing.T) {
	clk := &clock{t: t0.Add(time.Hour)}
	s := openTemp(t, Options{Server: true, Now: clk.now})
	batch := []Event{
		sessionEvent(schema.EventSessionStart, "0123456789abcdef", uid(1), t0),
		sessionEvent(schema.EventSessionEnd, "0123456789abcdef", uid(2), t0),
	}
	res, err := s.Append(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 2 || res.Duplicates != 0 {
		t.Fatalf("first append: %+v", res)
	}
	// The same batch again, and a new event with one of its ids.
	again := append(batch, sessionEvent(schema.EventSessionStart, "0123456789abcdef", uid(3), t0))
	res, err = s.Append(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 1 || res.Duplicates != 2 {
		t.Fatalf("second append: %+v, want 1 inserted, 2 duplicates", res)
	}
	evs, err := s.List(ctx, ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.EventID)
	}
	if fmt.Sprint(ids) != fmt.Sprint([]string{uid(1), uid(2), uid(3)}) {
		t.Errorf("stored ids %v", ids)
	}
	st, _ := s.Stats(ctx)
	if st.Counters[CounterDuplicate] != 2 {
		t.Errorf("duplicate counter = %d, want 2", st.Counters[CounterDuplicate])
	}
}

func TestClientModeIgnoresTheCallersID(t *testing.T) {
	s := openTemp(t, Options{})
	if _, err := s.Append(ctx, []Event{sessionEvent(schema.EventSessionStart, "0123456789abcdef", uid(1), t0)}); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.List(ctx, ListOptions{})
	if len(evs) != 1 || evs[0].EventID == uid(1) {
		t.Fatalf("client spool kept the caller's id: %+v", evs)
	}
}

func TestServerRetentionIsPerEventTypeFromTheEventsTime(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := openTemp(t, Options{Server: true, Now: clk.now})
	day := 24 * time.Hour
	// Each type at 29 and 31 days, 89 and 91, 179 and 181 days old.
	var batch []Event
	n := 0
	add := func(name string, age time.Duration) {
		n++
		batch = append(batch, sessionEvent(name, "0123456789abcdef", uid(n), clk.t.Add(-age)))
	}
	for _, name := range schema.EventNames() {
		if name == schema.EventDeletionRequest {
			continue
		}
		def := mustLookup(name)
		add(name, time.Duration(def.RetentionDays-1)*day)
		add(name, time.Duration(def.RetentionDays+1)*day)
	}
	res, err := s.Append(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != len(batch)/2 || res.Expired != len(batch)/2 {
		t.Fatalf("append: %+v, want %d inserted and %d expired on arrival", res, len(batch)/2, len(batch)/2)
	}
	counts, err := s.CountByEvent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range schema.EventNames() {
		if name == schema.EventDeletionRequest {
			continue
		}
		if counts[name] != 1 {
			t.Errorf("%s: %d stored, want the younger one", name, counts[name])
		}
	}
	// Half a day on, nothing has passed its retention; two days on, the
	// younger half has too.
	clk.t = clk.t.Add(day / 2)
	if purged, err := s.Purge(ctx); err != nil || purged != 0 {
		t.Errorf("Purge = %d, %v; want 0", purged, err)
	}
	clk.t = clk.t.Add(2 * day)
	if purged, err := s.Purge(ctx); err != nil || purged != len(batch)/2 {
		t.Errorf("Purge = %d, %v; want %d", purged, err, len(batch)/2)
	}
}

func TestServerRetentionIsConfigurable(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := openTemp(t, Options{Server: true, Now: clk.now,
		RetentionByEvent: map[string]time.Duration{schema.EventSessionStart: time.Hour}})
	start := sessionEvent(schema.EventSessionStart, "0123456789abcdef", uid(1), clk.t.Add(-30*time.Minute))
	end := sessionEvent(schema.EventSessionEnd, "0123456789abcdef", uid(2), clk.t.Add(-30*time.Minute))
	if _, err := s.Append(ctx, []Event{start, end}); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Hour)
	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want the session.start past its one hour", n, err)
	}
	if _, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "x.db"), Server: true,
		RetentionByEvent: map[string]time.Duration{schema.EventSessionStart: -time.Hour}}); err == nil {
		t.Error("a negative retention was accepted")
	}
}

func TestAFutureTimestampDoesNotExtendRetention(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := openTemp(t, Options{Server: true, Now: clk.now})
	ev := sessionEvent(schema.EventSessionStart, "0123456789abcdef", uid(1), clk.t.Add(365*24*time.Hour))
	if _, err := s.Append(ctx, []Event{ev}); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(31 * 24 * time.Hour)
	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want the event 31 days after its arrival", n, err)
	}
}

func TestADeletionRequestDeletesItsSessionsAndRefusesTheirLateEvents(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := openTemp(t, Options{Server: true, Now: clk.now})
	gone1, gone2, kept := "1111111111111111", "2222222222222222", "3333333333333333"
	early := clk.t.Add(-3 * time.Hour)
	if _, err := s.Append(ctx, []Event{
		sessionEvent(schema.EventSessionStart, gone1, uid(1), early),
		sessionEvent(schema.EventSessionEnd, gone1, uid(2), early),
		sessionEvent(schema.EventSessionStart, gone2, uid(3), early),
		sessionEvent(schema.EventSessionStart, kept, uid(4), early),
	}); err != nil {
		t.Fatal(err)
	}
	req := clk.t.Add(-time.Hour)
	res, err := s.Append(ctx, []Event{deletionEvent(uid(10), req, gone1, gone2)})
	if err != nil {
		t.Fatal(err)
	}
	if res.DeletedByRequest != 3 || res.Inserted != 1 {
		t.Fatalf("deletion: %+v, want 3 deleted and the request stored", res)
	}
	// A retried batch of the deleted events and one recorded after the
	// request: only the later one is stored.
	res, err = s.Append(ctx, []Event{
		sessionEvent(schema.EventSessionStart, gone1, uid(1), early),
		sessionEvent(schema.EventSessionEnd, gone1, uid(5), clk.t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.RefusedDeleted != 1 || res.Inserted != 1 {
		t.Fatalf("late events: %+v, want 1 refused, 1 inserted", res)
	}
	evs, _ := s.List(ctx, ListOptions{IncludeTransmitted: true})
	var got []string
	for _, e := range evs {
		got = append(got, e.EventID)
	}
	if want := []string{uid(4), uid(10), uid(5)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	// The request is stored with its ids, so an export carries it on.
	for _, e := range evs {
		if e.Name == schema.EventDeletionRequest {
			if len(e.Attrs) != 1 || len(e.Attrs[0].Value.List) != 2 {
				t.Errorf("stored request %+v", e.Attrs)
			}
		}
	}
	st, _ := s.Stats(ctx)
	if st.Counters[CounterDeletedByRequest] != 3 || st.Counters[CounterRefusedDeleted] != 1 {
		t.Errorf("counters %v", st.Counters)
	}
}

// TestMigrationFromVersion1FillsTheNewColumns builds a version 1 file
// with the first migration alone, and opens it with this build.
func TestMigrationFromVersion1FillsTheNewColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate1(ctx, tx); err != nil {
		t.Fatal(err)
	}
	payload, err := event.Encode(schema.EventSessionStart, t0, sampleAttrs(mustLookup(schema.EventSessionStart)))
	if err != nil {
		t.Fatal(err)
	}
	created := event.FormatStoreTime(t0.Add(time.Hour))
	for _, row := range []struct{ id, payload string }{{uid(1), string(payload)}, {uid(2), "not json"}} {
		if _, err := tx.Exec(`INSERT INTO events (event_type, payload, created_at, event_id, size) VALUES (?, ?, ?, ?, ?)`,
			schema.EventSessionStart, row.payload, created, row.id, len(row.payload)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec("PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openTemp(t, Options{Path: path})
	if _, err := s.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	if v := pragma[int](t, raw, "PRAGMA user_version"); v != SchemaVersion {
		t.Errorf("user_version %d", v)
	}
	rows, err := raw.Query("SELECT event_id, session_id, event_time FROM events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string][2]string{
		uid(1): {"0123456789abcdef", "2025-12-30T10:15:30.123000000Z"},
		uid(2): {"", created},
	}
	for rows.Next() {
		var id string
		var sess sql.NullString
		var at string
		if err := rows.Scan(&id, &sess, &at); err != nil {
			t.Fatal(err)
		}
		if w := want[id]; sess.String != w[0] || at != w[1] {
			t.Errorf("%s: session %q time %q, want %q %q", id, sess.String, at, w[0], w[1])
		}
	}
}

package store

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
)

// TestAStoreOfTheFirstLayoutMigratesWithEveryEvent opens a store built
// from testdata/server-v1.sql, the dump of a file written by the
// collector's store before typed columns (sqlitespool in server mode: 120
// events of six types, one session deleted by a request, the request
// itself): every event it held comes back with the same fields, uid and
// times, and its tombstone still refuses the deleted session's events.
func TestAStoreOfTheFirstLayoutMigratesWithEveryEvent(t *testing.T) {
	path := testdataStore(t, "server-v1.sql")
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
	got := mustPending(t, s, 1000, len(want))
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

// TestATypedStoreOfVersion100MigratesWithEveryRow opens a store built
// from testdata/server-v2.sql, the dump of a file written by the typed
// store whose uid was unique on its own (user_version 100: the events of
// server-v1.sql, 20 of them marked exported, one session's tombstone):
// after the migration to the (type, time, uid) key every row is there
// with its rowid and every column's value, the exported ones stay out of
// Pending, and a copy of a stored event is a duplicate.
func TestATypedStoreOfVersion100MigratesWithEveryRow(t *testing.T) {
	path := testdataStore(t, "server-v2.sql")
	before, cols := allRows(t, path, "")
	if len(before) != 115 {
		t.Fatalf("the testdata file holds %d events, want 115", len(before))
	}
	clock := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s := mustOpen(t, Options{Path: path, Now: func() time.Time { return clock }})
	if m := s.Migrated(); !strings.Contains(m, "115 events") {
		t.Errorf("migration message %q, want the 115 events", m)
	}
	pending := mustPending(t, s, 1000, 95) // the events not exported
	res, err := s.Append(ctx, pending[:1])
	if err != nil || res.Duplicates != 1 {
		t.Errorf("a stored event again: %+v, %v; want a duplicate", res, err)
	}
	s.Close()
	after, _ := allRows(t, path, strings.Join(cols, ", "))
	if len(after) != len(before) {
		t.Fatalf("%d rows after the migration, want %d", len(after), len(before))
	}
	for i := range before {
		if !slices.Equal(before[i], after[i]) {
			t.Errorf("row %d migrated as\n%v, want\n%v", i, after[i], before[i])
		}
	}
	var version int
	db, _ := sql.Open("sqlite", path)
	defer db.Close()
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != sqliteVersion {
		t.Errorf("user_version %d, %v; want %d", version, err, sqliteVersion)
	}
}

// allRows reads every row of the events table at path (cols, or every
// column), rowid first and in rowid order, as text, with the column list.
func allRows(t *testing.T, path, cols string) ([][]string, []string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if cols == "" {
		cols = "*"
	}
	rows, err := db.Query("SELECT rowid, " + cols + " FROM events ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprintf("%v:%s", v.Valid, v.String)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, names[1:]
}

// testdataStore builds a SQLite file in a temporary folder from the SQL
// script testdata/name (a dump of a store that earlier code wrote: text,
// not a binary file, in the repository) and returns its path.
func testdataStore(t *testing.T, name string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(string(script)); err != nil {
		t.Fatalf("build a store from testdata/%s: %v", name, err)
	}
	return path
}

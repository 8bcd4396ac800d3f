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

func uid(n int) string { return fmt.Sprintf("019abc12-3456-7def-8123-%012x", n) }

// writeOldFile makes the file an older build left: the first version
// migrations applied, at that user_version, and then fill run on it.
func writeOldFile(t *testing.T, path string, version int, fill func(tx *sql.Tx) error) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, m := range migrations[:version] {
		if err := m(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := fill(tx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationFromVersion1FillsTheNewColumns opens a version 1 file with
// this build.
func TestMigrationFromVersion1FillsTheNewColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	payload, err := event.Encode(schema.EventSessionStart, t0, sampleAttrs(mustLookup(schema.EventSessionStart)))
	if err != nil {
		t.Fatal(err)
	}
	created := event.FormatStoreTime(t0.Add(time.Hour))
	writeOldFile(t, path, 1, func(tx *sql.Tx) error {
		for _, row := range []struct{ id, payload string }{{uid(1), string(payload)}, {uid(2), "not json"}} {
			if _, err := tx.Exec(`INSERT INTO events (event_type, payload, created_at, event_id, size) VALUES (?, ?, ?, ?, ?)`,
				schema.EventSessionStart, row.payload, created, row.id, len(row.payload)); err != nil {
				return err
			}
		}
		return nil
	})

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

// A version 2 file of an older build may hold what its server mode wrote:
// session_id and event_time filled, and a deleted_sessions row. This build
// opens it as it is, keeps its events, and stores a new event of the
// erased session like any other: deleted_sessions means nothing to the
// client's queue.
func TestAVersion2FileWithDeletedSessionsStillOpensAndAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	attrs := sampleAttrs(mustLookup(schema.EventSessionStart))
	payload, err := event.Encode(schema.EventSessionStart, t0, attrs)
	if err != nil {
		t.Fatal(err)
	}
	at := event.FormatStoreTime(t0)
	writeOldFile(t, path, 2, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO events (event_type, payload, created_at, event_id, size, session_id, event_time)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			schema.EventSessionStart, payload, at, uid(1), len(payload), "0123456789abcdef", at); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO deleted_sessions (session_id, before, deleted_at) VALUES (?, ?, ?)`,
			"0123456789abcdef", event.FormatStoreTime(t0.Add(time.Hour)), at)
		return err
	})

	s := openTemp(t, Options{Path: path, Now: func() time.Time { return t0.Add(2 * time.Hour) }})
	if s.Recovered() != "" {
		t.Errorf("Recovered = %q, want nothing", s.Recovered())
	}
	res, err := s.Append(ctx, []Event{{Name: schema.EventSessionStart, Time: t0.Add(time.Minute), Attrs: attrs}})
	if err != nil || res.Inserted != 1 {
		t.Fatalf("Append = %+v, %v; want one event stored", res, err)
	}
	evs, err := s.Pending(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].EventID != uid(1) {
		t.Fatalf("pending = %+v, want the old event then the new one", evs)
	}
	if v := pragma[int](t, rawDB(t, path), "PRAGMA user_version"); v != 2 {
		t.Errorf("user_version %d, want 2 left as it was", v)
	}
}

package sqlitespool

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/internal/eventtest"
	"caro.sh/telemetry/schema"
)

var (
	t0          = eventtest.T0
	sampleAttrs = eventtest.Attrs
	lookup      = eventtest.Lookup
)

const (
	sampleUUID      = eventtest.UUID
	sampleRecordUID = eventtest.RecordUID
)

// seqEvent is a session.end whose commands_generated carries a sequence
// number, so that tests can tell which events survived.
func seqEvent(seq int, ts time.Time) Event {
	attrs := sampleAttrs(mustLookup(schema.EventSessionEnd))
	for i := range attrs {
		if attrs[i].Key == "commands_generated" {
			attrs[i].Value = schema.Int(int64(seq))
		}
	}
	return Event{Name: schema.EventSessionEnd, Time: ts, Attrs: attrs}
}

func seqOf(t testing.TB, e Event) int {
	t.Helper()
	for _, a := range e.Attrs {
		if a.Key == "commands_generated" {
			return int(a.Value.Int)
		}
	}
	t.Fatalf("event %d has no commands_generated", e.ID)
	return -1
}

func mustLookup(name string) *schema.Event {
	def, ok := schema.Lookup(name)
	if !ok {
		panic("schema has no event " + name)
	}
	return def
}

// openTemp opens a spool in a fresh folder and closes it with the test.
func openTemp(t testing.TB, opts Options) *Spool {
	t.Helper()
	if opts.Path == "" {
		opts.Path = filepath.Join(t.TempDir(), "caro", "telemetry.db")
	}
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// storedOnePerEvent returns every event sp holds, failing the test unless
// they are as many as the schema's events.
func storedOnePerEvent(t *testing.T, sp *Spool) []Event {
	t.Helper()
	got, err := sp.List(context.Background(), ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	if defs := schema.Events(); len(got) != len(defs) {
		t.Fatalf("%d events stored, want %d", len(got), len(defs))
	}
	return got
}

// rawDB opens the file directly, for the checks a Spool does not expose.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func pragma[T any](t testing.TB, db *sql.DB, q string) T {
	t.Helper()
	var v T
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// diskBytes is the size of the database file plus any WAL left beside it.
func diskBytes(t testing.TB, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err == nil {
			n += fi.Size()
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return n
}

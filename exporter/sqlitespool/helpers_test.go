package sqlitespool

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

// t0 is the fixed event time of the samples (the spec's example session).
var t0 = time.Date(2025, 12, 30, 10, 15, 30, 123456789, time.UTC)

const (
	sampleUUID      = "5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b" // a v4 UUID
	sampleRecordUID = "019abc12-3456-7def-8123-456789abcdef" // a v7 UUID, as the spool makes them
)

// sampleValue returns a valid value for the field, as the brief of the
// tests fixes it: the first enum value, a typical string of each format, an
// int in range, true, 0.92.
func sampleValue(f *schema.Field) schema.Value {
	switch f.Type {
	case schema.TypeString:
		switch f.Format {
		case schema.FormatEnum:
			return schema.String(f.Enum[0])
		case schema.FormatVersion:
			return schema.String("1.1.0")
		case schema.FormatModelName:
			return schema.String("Qwen2.5-Coder-1.5B")
		case schema.FormatSessionID:
			return schema.String("0123456789abcdef")
		case schema.FormatUUID:
			return schema.String(sampleUUID)
		case schema.FormatRecordUID:
			return schema.String(sampleRecordUID)
		}
		panic("no sample for format " + f.Format.String())
	case schema.TypeInt:
		return schema.Int(int64(min(1823, f.Max)))
	case schema.TypeBool:
		return schema.Bool(true)
	case schema.TypeFloat:
		return schema.Float(0.92)
	case schema.TypeStringList:
		return schema.StringList([]string{"0123456789abcdef", "fedcba9876543210"})
	}
	panic("no sample for type " + f.Type.String())
}

// sampleAttrs returns every payload field of the event with a valid value,
// in schema order (not the transport field log.record.uid, which the spool
// keeps in its own column).
func sampleAttrs(def *schema.Event) []schema.Attr {
	out := make([]schema.Attr, 0, len(def.Fields))
	for i := range def.Fields {
		f := &def.Fields[i]
		if f.Transport {
			continue
		}
		out = append(out, schema.Attr{Key: f.Key, Value: sampleValue(f)})
	}
	return out
}

func lookup(t testing.TB, name string) *schema.Event {
	t.Helper()
	def, ok := schema.Lookup(name)
	if !ok {
		t.Fatalf("schema has no event %s", name)
	}
	return def
}

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

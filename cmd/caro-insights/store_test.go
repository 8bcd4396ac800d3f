package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

func TestStoreTellsADSNFromAPath(t *testing.T) {
	for _, c := range []struct {
		name, where string
		dsn         bool
	}{
		{"a file name is a SQLite store", "store.db", false},
		{"an absolute path is a SQLite store", "/var/lib/otelcol-caro/store.db", false},
		{"a path with = past its start is a SQLite store", "./host=db.sqlite", false},
		{"a postgres URL is a DSN", "postgres://caro@db:5432/caro?sslmode=disable", true},
		{"a postgresql URL is a DSN", "postgresql://caro@db/caro", true},
		{"libpq key=value words are a DSN", "host=db port=5432 dbname=caro user=caro", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := storeOptions(c.where)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.DSN != ""; got != c.dsn || (o.DSN == "") == (o.Path == "") {
				t.Fatalf("%q gave %+v, want DSN %v", c.where, o, c.dsn)
			}
		})
	}
	if _, err := storeOptions(""); err == nil {
		t.Error("no store was accepted")
	}
}

// TestAReaderSaysWhatAStoppedCollectorsJournalStillHolds: events a
// collector acknowledged and had not stored when it stopped are in its
// journal until it runs again; the figures leave them out and say so.
func TestAReaderSaysWhatAStoppedCollectorsJournalStillHolds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "caro.db")
	s, err := store.Open(ctx, store.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	enc, err := event.Encode(schema.EventSessionEnd, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	line := event.AppendLine(nil, "019abc12-3456-7def-8123-000000000001", event.FormatStoreTime(time.Now()), enc)
	if err := os.WriteFile(path+".ingest-00000009", line, 0o600); err != nil {
		t.Fatal(err)
	}
	defer func(d time.Duration) { appliedWait = d }(appliedWait)
	appliedWait = 50 * time.Millisecond
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	st, err := openStore(ctx, path)
	os.Stderr = stderr
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	said, _ := io.ReadAll(r)
	if !strings.Contains(string(said), fmt.Sprintf("%d bytes of events the collector acknowledged", len(line))) {
		t.Errorf("stderr: %q, want the journal's bytes told", said)
	}
}

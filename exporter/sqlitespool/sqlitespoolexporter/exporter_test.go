package sqlitespoolexporter

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

var ctx = context.Background()

const sid = "0123456789abcdef"

// running starts the exporter on a fresh database and returns it with its
// internals, stopped with the test.
func running(t *testing.T, mutate func(*Config)) (exporter.Logs, *spoolExporter, *Config) {
	t.Helper()
	cfg := createDefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "store", "caro.db")
	if mutate != nil {
		mutate(cfg)
	}
	set := exportertest.NewNopSettings(otelcolcaro.SQLiteSpool.Type)
	e, err := newSpoolExporter(cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := NewFactory().CreateLogs(ctx, set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Drive our own instance for the internals, the factory's for the
	// helper wiring.
	if err := e.start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.shutdown(ctx) })
	return exp, e, cfg
}

func stored(t *testing.T, e *spoolExporter) []store.Event {
	t.Helper()
	evs, err := e.spool.Pending(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestTheFactoryExporterStartsStoresAndShutsDown(t *testing.T) {
	exp, e, cfg := running(t, func(c *Config) { c.Path = filepath.Join(t.TempDir(), "f.db") })
	// One writer at a time: the store's lock refuses a second.
	if err := exp.Start(ctx, componenttest.NewNopHost()); err == nil || !errors.Is(err, store.ErrLocked) {
		t.Fatalf("a second exporter on the same store started: %v", err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := exp.ConsumeLogs(ctx, plogtest.Logs(plogtest.Session(sid, now, 1)...)); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	sp, err := store.Open(ctx, store.Options{Path: cfg.Path, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	counts, _ := sp.CountByType(ctx)
	var total int64
	for _, n := range counts {
		total += n
	}
	if total != 6 {
		t.Errorf("%d events stored, want 6", total)
	}
}

func TestEveryEventIsStoredOnceWithItsID(t *testing.T) {
	_, e, _ := running(t, nil)
	now := time.Now().UTC()
	batch := plogtest.Logs(plogtest.Session(sid, now, 1)...)
	for range 3 { // the same batch delivered three times
		if err := e.pushLogs(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	evs := stored(t, e)
	if len(evs) != 6 {
		t.Fatalf("%d events stored, want 6", len(evs))
	}
	for i, ev := range evs {
		if ev.UID != plogtest.UID(1+i) {
			t.Errorf("event %d id %s, want %s", i, ev.UID, plogtest.UID(1+i))
		}
		for _, a := range ev.Attrs {
			if a.Key == schema.KeyRecordUID {
				t.Errorf("the id is in the payload too")
			}
		}
	}
}

func TestEventsWithoutAnIDAreDeduplicatedByContent(t *testing.T) {
	_, e, _ := running(t, nil)
	now := time.Now().UTC().Truncate(time.Millisecond)
	rec := plogtest.Record{Name: schema.EventSessionStart, Time: now, Attrs: plogtest.ValidAttrs(schema.EventSessionStart, sid)}
	for range 2 {
		if err := e.pushLogs(ctx, plogtest.Logs(rec)); err != nil {
			t.Fatal(err)
		}
	}
	evs := stored(t, e)
	if len(evs) != 1 {
		t.Fatalf("%d events stored, want 1", len(evs))
	}
	p, _ := event.Encode(rec.Name, rec.Time, rec.Attrs)
	if evs[0].UID != event.NameBasedUID(p) {
		t.Errorf("id %s is not the payload's name-based id", evs[0].UID)
	}
}

func TestTheStoreRevalidatesWhatItIsGiven(t *testing.T) {
	_, e, _ := running(t, nil)
	now := time.Now().UTC()
	bad := plogtest.Record{Name: schema.EventSessionStart, Time: now,
		Attrs: plogtest.With(plogtest.ValidAttrs(schema.EventSessionStart, sid), "caro_version", schema.String("/home/alice"))}
	extra := plogtest.Record{Name: schema.EventSessionEnd, Time: now,
		Attrs: append(plogtest.ValidAttrs(schema.EventSessionEnd, sid), schema.Attr{Key: "host.name", Value: schema.String("box")})}
	if err := e.pushLogs(ctx, plogtest.Logs(bad, extra)); err != nil {
		t.Fatal(err)
	}
	evs := stored(t, e)
	if len(evs) != 1 || evs[0].Name != schema.EventSessionEnd {
		t.Fatalf("stored %+v, want only the session.end", evs)
	}
	for _, a := range evs[0].Attrs {
		if a.Key == "host.name" {
			t.Error("host.name stored")
		}
	}
}

func TestADeletionRequestErasesItsSessions(t *testing.T) {
	_, e, _ := running(t, nil)
	now := time.Now().UTC()
	other := "fedcba9876543210"
	recs := append(plogtest.Session(sid, now.Add(-time.Hour), 1), plogtest.Session(other, now.Add(-time.Hour), 100)...)
	if err := e.pushLogs(ctx, plogtest.Logs(recs...)); err != nil {
		t.Fatal(err)
	}
	del := plogtest.Record{Name: schema.EventDeletionRequest, Time: now, Attrs: []schema.Attr{
		{Key: schema.KeySessionIDs, Value: schema.StringList([]string{sid})},
		{Key: schema.KeyRecordUID, Value: schema.String(plogtest.UID(999))},
	}}
	if err := e.pushLogs(ctx, plogtest.Logs(del)); err != nil {
		t.Fatal(err)
	}
	counts, err := e.spool.CountByType(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	if total != 7 || counts[schema.EventDeletionRequest] != 1 {
		t.Errorf("stored %v, want the other session's 6 events and the request", counts)
	}
	// The deleted session's batch retried: refused.
	if err := e.pushLogs(ctx, plogtest.Logs(plogtest.Session(sid, now.Add(-time.Hour), 1)...)); err != nil {
		t.Fatal(err)
	}
	if got := len(stored(t, e)); got != 7 {
		t.Errorf("%d stored after the retry, want 7", got)
	}
}

func TestScheduledExportsRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "exports")
	_, e, _ := running(t, func(c *Config) {
		c.Export = ExportConfig{Directory: dir, Interval: time.Hour, MaxEvents: 4}
	})
	now := time.Now().UTC()
	if err := e.pushLogs(ctx, plogtest.Logs(plogtest.Session(sid, now, 1)...)); err != nil {
		t.Fatal(err)
	}
	files, err := e.writeExports(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("files %v, want 2 (4 + 2 events)", files)
	}
	n := 0
	for _, name := range files {
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", name, fi.Mode())
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		env, err := exportfile.Read(f, 0)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n += env.EventCount
	}
	if n != 6 {
		t.Errorf("%d events exported, want 6", n)
	}
	// Nothing new: no file.
	if files, err := e.writeExports(ctx, now.Add(time.Hour)); err != nil || len(files) != 0 {
		t.Errorf("second export: %v, %v", files, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d entries in the folder, want the 2 files and no temporary", len(entries))
	}
}

// An export the collector writes names the caro version that recorded its
// events, which only session.start carries: the one version of the
// sessions every event of the file belongs to, and "unknown" when the file
// cannot tell (a session that started in an earlier file, sessions of two
// versions). Never the collector's own version.
func TestExportsNameTheCaroVersionOfTheirEvents(t *testing.T) {
	const other = "fedcba9876543210"
	withVersion := func(recs []plogtest.Record, v string) []plogtest.Record {
		for i := range recs {
			for j := range recs[i].Attrs {
				if recs[i].Attrs[j].Key == "caro_version" {
					recs[i].Attrs[j].Value = schema.String(v)
				}
			}
		}
		return recs
	}
	now := time.Now().UTC()
	tests := []struct {
		name      string
		recs      []plogtest.Record
		maxEvents int
		want      []string // each file's caro_version
	}{
		{"one session: its version", withVersion(plogtest.Session(sid, now, 1), "1.1.7"), 100, []string{"1.1.7"}},
		{"two sessions of one version: that version",
			append(withVersion(plogtest.Session(sid, now, 1), "1.1.7"), withVersion(plogtest.Session(other, now, 10), "1.1.7")...),
			100, []string{"1.1.7"}},
		{"sessions of two versions: unknown",
			append(withVersion(plogtest.Session(sid, now, 1), "1.1.7"), withVersion(plogtest.Session(other, now, 10), "1.2.0")...),
			100, []string{"unknown"}},
		{"a file without its events' session.start: unknown", withVersion(plogtest.Session(sid, now, 1), "1.1.7"), 4,
			[]string{"1.1.7", "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "exports")
			_, e, _ := running(t, func(c *Config) {
				c.Export = ExportConfig{Directory: dir, Interval: time.Hour, MaxEvents: tt.maxEvents}
			})
			if err := e.pushLogs(ctx, plogtest.Logs(tt.recs...)); err != nil {
				t.Fatal(err)
			}
			files, err := e.writeExports(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range files {
				f, err := os.Open(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				env, err := exportfile.Read(f, 0)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, env.CaroVersion)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("caro_version of the files = %q, want %q", got, tt.want)
			}
		})
	}
}

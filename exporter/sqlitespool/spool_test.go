package sqlitespool

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
)

var ctx = context.Background()

func TestSchemaVersionCountsMigrations(t *testing.T) {
	if SchemaVersion != len(migrations) {
		t.Errorf("SchemaVersion = %d, but there are %d migrations", SchemaVersion, len(migrations))
	}
}

func TestOpenCreatesAPrivateWALDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "caro")
	path := filepath.Join(dir, "telemetry.db")
	s := openTemp(t, Options{Path: path})
	if _, err := s.Append(ctx, []Event{seqEvent(1, t0)}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		path string
		want os.FileMode
	}{{dir, 0o700 | os.ModeDir}, {path, 0o600}, {path + "-wal", 0o600}, {path + "-shm", 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.want)
		}
	}

	db := rawDB(t, path)
	checks := []struct{ query, want string }{
		{"PRAGMA journal_mode", "wal"},
		{"PRAGMA user_version", fmt.Sprint(SchemaVersion)},
		{"PRAGMA auto_vacuum", "2"}, // incremental
		{"PRAGMA integrity_check", "ok"},
		{"SELECT count(*) FROM sqlite_master WHERE name = 'idx_pending' AND sql LIKE '%WHERE transmitted_at IS NULL'", "1"},
	}
	for _, c := range checks {
		if got := pragma[string](t, db, c.query); got != c.want {
			t.Errorf("%s = %q, want %q", c.query, got, c.want)
		}
	}
	if got, want := s.Path(), path; got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	if r := s.Recovered(); r != "" {
		t.Errorf("Recovered() = %q on a new file", r)
	}
}

func TestOpenTightensAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o666)
	openTemp(t, Options{Path: path})
	if fi, _ := os.Stat(path); fi.Mode() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode())
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
	}{
		{"an empty path", Options{}},
		{"a cap below the minimum", Options{Path: filepath.Join(dir, "a.db"), MaxBytes: 1000}},
		{"a negative retention", Options{Path: filepath.Join(dir, "b.db"), Retention: -time.Hour}},
		{"a negative busy timeout", Options{Path: filepath.Join(dir, "c.db"), BusyTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, tt.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestAppendThenListReturnsTheEvents(t *testing.T) {
	now := t0.Add(time.Minute)
	s := openTemp(t, Options{Now: func() time.Time { return now }})
	var in []Event
	for _, def := range schema.Events() {
		in = append(in, Event{Name: def.Name, Time: t0, Attrs: sampleAttrs(def)})
	}
	res, err := s.Append(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (AppendResult{Inserted: len(in)}); res != want {
		t.Errorf("Append = %+v, want %+v", res, want)
	}
	got, err := s.List(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("List returned %d events, want %d", len(got), len(in))
	}
	ids := map[string]bool{}
	for i, e := range got {
		w := in[i]
		if e.Name != w.Name || !e.Time.Equal(t0.Truncate(time.Millisecond)) || !reflect.DeepEqual(e.Attrs, w.Attrs) {
			t.Errorf("event %d: got %s %v %v", i, e.Name, e.Time, e.Attrs)
		}
		if !e.CreatedAt.Equal(now) || !e.TransmittedAt.IsZero() || e.ExportID != "" {
			t.Errorf("event %d: created %v transmitted %v export %q", i, e.CreatedAt, e.TransmittedAt, e.ExportID)
		}
		want, _ := event.Encode(w.Name, w.Time, w.Attrs)
		if e.Size != len(want) {
			t.Errorf("event %d: size %d, want %d", i, e.Size, len(want))
		}
		if len(e.EventID) != 36 || ids[e.EventID] {
			t.Errorf("event %d: event id %q is malformed or repeated", i, e.EventID)
		}
		ids[e.EventID] = true
		if i > 0 && e.ID <= got[i-1].ID {
			t.Errorf("ids not increasing: %d after %d", e.ID, got[i-1].ID)
		}
	}
}

func TestAppendIgnoresTheCallersID(t *testing.T) {
	s := openTemp(t, Options{})
	ev := seqEvent(1, t0)
	ev.EventID = uid(1)
	if _, err := s.Append(ctx, []Event{ev}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.List(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].EventID == uid(1) || evs[0].EventID == "" {
		t.Fatalf("stored %+v, want one event with an id of the spool's own", evs)
	}
}

func TestAppendRefusesAnInvalidBatchWhole(t *testing.T) {
	s := openTemp(t, Options{})
	_, err := s.Append(ctx, []Event{seqEvent(1, t0), {Name: "nope", Time: t0}})
	if !errors.Is(err, event.ErrInvalid) {
		t.Fatalf("Append error %v, want event.ErrInvalid", err)
	}
	if st, _ := s.Stats(ctx); st.Total != 0 {
		t.Errorf("%d events written, want none", st.Total)
	}
}

func TestTransmitExportDeleteAndClear(t *testing.T) {
	s := openTemp(t, Options{})
	var evs []Event
	for i := range 10 {
		evs = append(evs, seqEvent(i, t0))
	}
	if _, err := s.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Pending(ctx, 0)
	id := func(i int) int64 { return all[i].ID }

	sent := t0.Add(time.Hour)
	if err := s.MarkTransmitted(ctx, []int64{id(0), id(1), id(2)}, sent); err != nil {
		t.Fatal(err)
	}
	// Marking again keeps the first time.
	if err := s.MarkTransmitted(ctx, []int64{id(0)}, sent.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetExportID(ctx, []int64{id(3), id(4)}, "export-1"); err != nil {
		t.Fatal(err)
	}

	pending, _ := s.Pending(ctx, 0)
	if len(pending) != 7 || pending[0].ID != id(3) || pending[0].ExportID != "export-1" {
		t.Fatalf("pending = %d events starting at %d (%q), want 7 starting at %d with export-1",
			len(pending), pending[0].ID, pending[0].ExportID, id(3))
	}
	if first2, _ := s.Pending(ctx, 2); len(first2) != 2 || first2[1].ID != id(4) {
		t.Errorf("Pending(2) = %v", first2)
	}
	everything, _ := s.List(ctx, ListOptions{IncludeTransmitted: true})
	if len(everything) != 10 || !everything[0].TransmittedAt.Equal(sent) {
		t.Errorf("List all: %d events, first transmitted at %v, want 10 and %v", len(everything), everything[0].TransmittedAt, sent)
	}

	n, err := s.Delete(ctx, []int64{id(1), id(9), 999999})
	if err != nil || n != 2 {
		t.Errorf("Delete = %d, %v; want 2", n, err)
	}
	n, err = s.Clear(ctx)
	if err != nil || n != 6 {
		t.Errorf("Clear = %d, %v; want 6", n, err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 || st.Total != 2 || st.PendingBytes != 0 || !st.OldestPending.IsZero() {
		t.Errorf("Stats after Clear = %+v; want 0 pending, 2 transmitted", st)
	}

	// Ids are never reused: a new event after Clear gets a higher id.
	if _, err := s.Append(ctx, []Event{seqEvent(10, t0)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Pending(ctx, 0); len(p) != 1 || p[0].ID <= id(9) {
		t.Errorf("new event id %d, want above %d", p[0].ID, id(9))
	}
}

func TestStatsAndCounters(t *testing.T) {
	now := t0
	s := openTemp(t, Options{Now: func() time.Time { return now }})
	for i := range 3 {
		if _, err := s.Append(ctx, []Event{seqEvent(i, t0)}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	if err := s.AddCounters(ctx, map[string]int64{"rejected_path": 2, "rejected_secret": 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, map[string]int64{"rejected_path": 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, map[string]int64{"": 1}); err == nil {
		t.Error("AddCounters accepted an empty name")
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := s.Pending(ctx, 0)
	var bytes int64
	for _, e := range evs {
		bytes += int64(e.Size)
	}
	if st.Pending != 3 || st.Total != 3 || st.PendingBytes != bytes || !st.OldestPending.Equal(t0) {
		t.Errorf("Stats = %+v, want 3 pending of %d bytes, the oldest at %v", st, bytes, t0)
	}
	if want := map[string]int64{"rejected_path": 5, "rejected_secret": 1}; !reflect.DeepEqual(st.Counters, want) {
		t.Errorf("Counters = %v, want %v", st.Counters, want)
	}
	if st.FileBytes <= 0 {
		t.Errorf("FileBytes = %d", st.FileBytes)
	}
}

func TestClosedSpoolRefusesCalls(t *testing.T) {
	s := openTemp(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Append(ctx, []Event{seqEvent(1, t0)}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Stats(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close: %v, want ErrClosed", err)
	}
}

// TestCapKeepsTheFileWithinTheCapAndTheNewestEvents writes three times a
// 1 MB cap and checks the acceptance line: the file within the cap, the
// newest events kept, the drops reported.
func TestCapKeepsTheFileWithinTheCapAndTheNewestEvents(t *testing.T) {
	const capBytes = 1 << 20
	for _, batch := range []int{10, 100} {
		t.Run(fmt.Sprintf("batches of %d", batch), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "telemetry.db")
			s, err := Open(ctx, Options{Path: path, MaxBytes: capBytes})
			if err != nil {
				t.Fatal(err)
			}
			var written int64
			var dropped, seq, maxDisk, maxWAL int
			for written < 3*capBytes {
				evs := make([]Event, batch)
				for i := range evs {
					evs[i] = seqEvent(seq, t0)
					seq++
					b, _ := event.Encode(evs[i].Name, evs[i].Time, evs[i].Attrs)
					written += int64(len(b))
				}
				res, err := s.Append(ctx, evs)
				if err != nil {
					t.Fatal(err)
				}
				dropped += res.DroppedForCap
				maxDisk = max(maxDisk, int(diskBytes(t, path)))
				if fi, err := os.Stat(path + "-wal"); err == nil {
					maxWAL = max(maxWAL, int(fi.Size()))
				}
			}
			st, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			size := diskBytes(t, path)
			t.Logf("%d events (%d payload bytes) written, %d kept, %d dropped; file %d bytes after Close, at most %d while writing (WAL at most %d)",
				seq, written, st.Total, dropped, size, maxDisk, maxWAL)
			if size > capBytes {
				t.Errorf("file is %d bytes after Close, over the %d cap", size, capBytes)
			}
			if maxDisk > capBytes {
				t.Errorf("file and WAL reached %d bytes while writing, over the %d cap", maxDisk, capBytes)
			}
			if size < capBytes/2 {
				t.Errorf("file is %d bytes: the cap evicts far too much", size)
			}
			if got := st.Counters[CounterDroppedCap]; got != int64(dropped) || got != int64(seq-st.Total) {
				t.Errorf("dropped_cap = %d; Append reported %d; written - kept = %d", got, dropped, seq-st.Total)
			}

			s2 := openTemp(t, Options{Path: path, MaxBytes: capBytes})
			evs, err := s2.Pending(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != st.Total {
				t.Fatalf("%d events after reopening, want %d", len(evs), st.Total)
			}
			// The kept events are exactly the newest: a contiguous run
			// ending with the last one written.
			for i, e := range evs {
				if want := seq - len(evs) + i; seqOf(t, e) != want {
					t.Fatalf("event %d has sequence %d, want %d (the newest %d)", i, seqOf(t, e), want, len(evs))
				}
			}
		})
	}
}

func TestCapEvictsTransmittedEventsBeforePendingOnes(t *testing.T) {
	const capBytes = 512 << 10
	s := openTemp(t, Options{MaxBytes: capBytes})
	seq := 0
	fill := func(n int) {
		t.Helper()
		evs := make([]Event, n)
		for i := range evs {
			evs[i] = seqEvent(seq, t0)
			seq++
		}
		if _, err := s.Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	fill(300)
	sent, _ := s.Pending(ctx, 0)
	ids := make([]int64, len(sent))
	for i, e := range sent {
		ids[i] = e.ID
	}
	if err := s.MarkTransmitted(ctx, ids, t0); err != nil {
		t.Fatal(err)
	}
	// Append until the cap evicts, which needs far fewer bytes than the
	// transmitted events hold.
	var res AppendResult
	for i := 0; res.EvictedTransmitted == 0; i++ {
		if i > 10000 {
			t.Fatal("the cap never evicted")
		}
		r, err := s.Append(ctx, []Event{seqEvent(seq, t0)})
		if err != nil {
			t.Fatal(err)
		}
		seq++
		res = r
	}
	if res.DroppedForCap != 0 {
		t.Errorf("pending events dropped (%d) while transmitted ones remained", res.DroppedForCap)
	}
	st, _ := s.Stats(ctx)
	if st.Counters[CounterEvictedTransmitted] == 0 || st.Counters[CounterDroppedCap] != 0 {
		t.Errorf("counters = %v, want evictions of transmitted events only", st.Counters)
	}
}

func TestRetentionPurgesEventsOlderThanSevenDays(t *testing.T) {
	now := t0
	s := openTemp(t, Options{Now: func() time.Time { return now }})
	steps := []struct {
		name       string
		at         time.Time
		wantPurged int
	}{
		{"ten events at day 0", t0, 0},
		{"one at day 6 keeps them", t0.Add(6 * 24 * time.Hour), 0},
		{"one just before 7 days keeps them", t0.Add(7*24*time.Hour - time.Second), 0},
		{"one after 7 days purges day 0", t0.Add(7*24*time.Hour + time.Second), 10},
		{"one at day 14 purges day 6 and the one before 7 days", t0.Add(14 * 24 * time.Hour), 2},
	}
	for i, step := range steps {
		now = step.at
		n := 1
		if i == 0 {
			n = 10
		}
		evs := make([]Event, n)
		for j := range evs {
			evs[j] = seqEvent(i, step.at)
		}
		res, err := s.Append(ctx, evs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Purged != step.wantPurged {
			t.Errorf("%s: purged %d, want %d", step.name, res.Purged, step.wantPurged)
		}
	}
	st, _ := s.Stats(ctx)
	if st.Counters[CounterPurgedAge] != 12 || st.Total != 2 {
		t.Errorf("purged_age = %d and %d left, want 12 and 2", st.Counters[CounterPurgedAge], st.Total)
	}
}

// validDB writes a closed spool of n events at path.
func validDB(t *testing.T, path string, n int) {
	t.Helper()
	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = seqEvent(i, t0)
	}
	if _, err := s.Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenMovesACorruptFileAsideAndStartsOver(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path string)
	}{
		{"random garbage", func(t *testing.T, path string) {
			b := make([]byte, 64<<10)
			rand.Read(b)
			os.WriteFile(path, b, 0o600)
		}},
		{"a few bytes of text", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("hello"), 0o600)
		}},
		{"a valid database truncated in the middle", func(t *testing.T, path string) {
			validDB(t, path, 2000)
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"a valid database truncated mid-page", func(t *testing.T, path string) {
			validDB(t, path, 2000)
			fi, _ := os.Stat(path)
			os.Truncate(path, fi.Size()/2+1000)
		}},
		{"a valid database with its schema overwritten", func(t *testing.T, path string) {
			validDB(t, path, 2000)
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			junk := make([]byte, 4096-100)
			rand.Read(junk)
			f.WriteAt(junk, 100) // page 1 past the header: sqlite_master
			f.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "telemetry.db")
			tt.corrupt(t, path)
			before, _ := os.ReadFile(path)

			s, err := Open(ctx, Options{Path: path})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if !strings.Contains(s.Recovered(), "moved it to") {
				t.Errorf("Recovered() = %q", s.Recovered())
			}
			t.Log(s.Recovered())
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("moved-aside files: %v", aside)
			}
			if b, _ := os.ReadFile(aside[0]); string(b) != string(before) {
				t.Errorf("%s does not hold the old file", aside[0])
			}
			if _, err := s.Append(ctx, []Event{seqEvent(1, t0)}); err != nil {
				t.Errorf("Append to the new file: %v", err)
			}
			if got := pragma[string](t, rawDB(t, path), "PRAGMA integrity_check"); got != "ok" {
				t.Errorf("integrity_check = %s", got)
			}
		})
	}
}

func TestOpenKeepsOnlyTheNewestCorruptCopies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	now := t0
	for range 4 {
		os.WriteFile(path, []byte("not a database at all, not even close"), 0o600)
		s, err := Open(ctx, Options{Path: path, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		now = now.Add(time.Second)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	want := []string{
		fmt.Sprintf("%s.corrupt-%d", path, t0.Unix()+2),
		fmt.Sprintf("%s.corrupt-%d", path, t0.Unix()+3),
	}
	if !reflect.DeepEqual(aside, want) {
		t.Errorf("kept %v, want %v", aside, want)
	}
}

func TestOpenLeavesANewerSchemaAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	validDB(t, path, 1)
	db := rawDB(t, path)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(ctx, Options{Path: path})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 0 {
		t.Errorf("a newer database was moved aside: %v", aside)
	}
}

func TestOpenFailsCleanlyInAReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		runUnprivileged(t, "TestOpenFailsCleanlyInAReadOnlyFolder")
		return
	}
	dir := readOnlyDir(t)
	existing := filepath.Join(t.TempDir(), "telemetry.db")
	validDB(t, existing, 10)
	if err := os.Chmod(filepath.Dir(existing), 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Dir(existing), 0o700) })
	tests := []struct{ name, path string }{
		{"a new file", filepath.Join(dir, "telemetry.db")},
		{"a new file in a new folder", filepath.Join(dir, "caro", "telemetry.db")},
		{"an existing database whose WAL cannot be created", existing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, Options{Path: tt.path})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded in a read-only folder", tt.path)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the path", err)
			}
			if aside, _ := filepath.Glob(tt.path + ".corrupt-*"); len(aside) != 0 {
				t.Errorf("moved aside: %v", aside)
			}
		})
	}
}

func TestListSkipsRowsThatNoLongerDecode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := openTemp(t, Options{Path: path})
	db := rawDB(t, path)
	// Rows as another version of the schema might have left them.
	for i, payload := range []string{
		`{"event":"session.retired","timestamp":"2025-12-30T10:15:30.123Z"}`,
		`{"event":"session.end","timestamp":"2025-12-30T10:15:30.123Z","retries":"three"}`,
		`{"event":"session.end","timestamp":"2025-12-30T10:15:30.123Z","retries":3,"field_from_the_future":1}`,
	} {
		if _, err := db.Exec(`INSERT INTO events (event_type, payload, created_at, event_id, size) VALUES (?, ?, ?, ?, ?)`,
			"session.end", payload, event.FormatStoreTime(t0), fmt.Sprint("id-", i), len(payload)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Pending(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []schema.Attr{{Key: "retries", Value: schema.Int(3)}}
	if len(got) != 1 || !reflect.DeepEqual(got[0].Attrs, want) {
		t.Fatalf("Pending(1) = %+v, want the third row with only retries", got)
	}
	if st, _ := s.Stats(ctx); st.Pending != 3 {
		t.Errorf("Stats counts %d pending rows, want all 3", st.Pending)
	}
}

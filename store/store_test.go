package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/eventtest"
	"caro.sh/telemetry/schema"
)

var ctx = context.Background()

// now is the stores' clock in these tests: a day after the samples.
var now = eventtest.T0.Add(24 * time.Hour)

// opener opens a fresh store of one backend; the tests run on each.
type opener struct {
	name string
	open func(t testing.TB, o Options) *Store
}

// backends lists SQLite, and PostgreSQL where the test can start one
// (openers_test.go).
var backends = []opener{{"sqlite", openSQLiteTemp}}

func openSQLiteTemp(t testing.TB, o Options) *Store {
	t.Helper()
	o.Path = filepath.Join(t.TempDir(), "store.db")
	return mustOpen(t, o)
}

func mustOpen(t testing.TB, o Options) *Store {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	s, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sample returns event name with every field, in session sid, at time at.
func sample(name, sid string, at time.Time, n int) Event {
	def, _ := schema.Lookup(name)
	attrs := eventtest.Attrs(def)
	for i := range attrs {
		if attrs[i].Key == schema.KeySessionID {
			attrs[i].Value = schema.String(sid)
		}
	}
	return Event{UID: fmt.Sprintf("019abc12-3456-7def-8123-%012x", n), Name: name, Time: at, Attrs: attrs}
}

// mustPending returns Pending(limit) and fails the test unless it holds
// want events.
func mustPending(t testing.TB, s *Store, limit, want int) []Event {
	t.Helper()
	evs, err := s.Pending(ctx, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != want {
		t.Fatalf("%d events pending, want %d", len(evs), want)
	}
	return evs
}

func forEach(t *testing.T, f func(t *testing.T, op opener)) {
	for _, op := range backends {
		t.Run(op.name, func(t *testing.T) { f(t, op) })
	}
}

func TestEveryEventWithEveryFieldComesBackAsStored(t *testing.T) {
	forEach(t, func(t *testing.T, op opener) {
		s := op.open(t, Options{})
		var in []Event
		for i, def := range schema.Events() {
			if def.Name == schema.EventDeletionRequest {
				continue // tested on its own: it deletes
			}
			in = append(in, sample(def.Name, "0123456789abcdef", eventtest.T0.Add(time.Duration(i)*time.Second), i))
		}
		res, err := s.Append(ctx, in)
		if err != nil || res.Stored != len(in) {
			t.Fatalf("Append = %+v, %v", res, err)
		}
		out := mustPending(t, s, 100, len(in))
		byUID := map[string]Event{}
		for _, ev := range out {
			byUID[ev.UID] = ev
		}
		for _, want := range in {
			got := byUID[want.UID]
			// Encoded forms compare every field, its type and its order.
			wb, _ := event.Encode(want.Name, want.Time, want.Attrs)
			gb, err := event.Encode(got.Name, got.Time, got.Attrs)
			if err != nil || string(gb) != string(wb) {
				t.Errorf("%s came back as\n%s, want\n%s (%v)", want.Name, gb, wb, err)
			}
			if got.Time.Sub(want.Time).Abs() >= time.Microsecond { // PostgreSQL keeps microseconds
				t.Errorf("%s time %v, want %v", want.Name, got.Time, want.Time)
			}
			if got.ReceivedAt.Sub(now).Abs() >= time.Microsecond || !got.ExportedAt.IsZero() {
				t.Errorf("%s received %v exported %v", want.Name, got.ReceivedAt, got.ExportedAt)
			}
		}
	})
}

func TestTheSameUIDIsStoredOnce(t *testing.T) {
	forEach(t, func(t *testing.T, op opener) {
		s := op.open(t, Options{})
		a := sample(schema.EventSessionStart, "0123456789abcdef", eventtest.T0, 1)
		b := sample(schema.EventSessionEnd, "0123456789abcdef", eventtest.T0, 2)
		if res, err := s.Append(ctx, []Event{a, a, b}); err != nil || res.Stored != 2 || res.Duplicates != 1 {
			t.Fatalf("first Append = %+v, %v; want 2 stored, 1 duplicate", res, err)
		}
		if res, err := s.Append(ctx, []Event{b, a}); err != nil || res.Stored != 0 || res.Duplicates != 2 {
			t.Fatalf("resend = %+v, %v; want 2 duplicates", res, err)
		}
		// New and stored events of one type, interleaved, in one request.
		const stored = 35
		var mixed []Event
		for i := range 3*stored + 5 {
			mixed = append(mixed, sample(schema.EventSessionEnd, "0123456789abcdef", eventtest.T0, 100+i))
		}
		if res, err := s.Append(ctx, mixed[:stored]); err != nil || res.Stored != stored {
			t.Fatalf("Append = %+v, %v", res, err)
		}
		var again []Event
		for i, ev := range mixed {
			again = append(again, ev)
			if i%5 == 0 {
				again = append(again, b)
				b, a = a, b
			}
		}
		res, err := s.Append(ctx, again)
		if want := len(mixed) - stored; err != nil || res.Stored != want || res.Duplicates != len(again)-want {
			t.Fatalf("mixed resend = %+v, %v; want %d stored, %d duplicates", res, err, want, len(again)-want)
		}
		counts, err := s.CountByType(ctx)
		if err != nil || counts[schema.EventSessionStart] != 1 || counts[schema.EventSessionEnd] != 1+int64(len(mixed)) {
			t.Fatalf("counts %v, %v", counts, err)
		}
	})
}

func TestADeletionRequestDeletesTheSessionAndRefusesItsLateEvents(t *testing.T) {
	forEach(t, func(t *testing.T, op opener) {
		s := op.open(t, Options{})
		gone, kept := "1111111111111111", "2222222222222222"
		if _, err := s.Append(ctx, []Event{
			sample(schema.EventSessionStart, gone, eventtest.T0, 1),
			sample(schema.EventSessionEnd, gone, eventtest.T0.Add(time.Minute), 2),
			sample(schema.EventSessionStart, kept, eventtest.T0, 3),
		}); err != nil {
			t.Fatal(err)
		}
		req := Event{UID: "019abc12-3456-7def-8123-0000000000ff", Name: schema.EventDeletionRequest,
			Time:  eventtest.T0.Add(time.Hour),
			Attrs: []schema.Attr{{Key: schema.KeySessionIDs, Value: schema.StringList([]string{gone})}}}
		res, err := s.Append(ctx, []Event{req})
		if err != nil || res.DeletedByRequest != 2 || res.Stored != 1 {
			t.Fatalf("deletion Append = %+v, %v; want 2 deleted and the request stored", res, err)
		}
		// An event of the session from before the request arrives late
		// (another replica, a retried upload): refused.
		res, err = s.Append(ctx, []Event{sample(schema.EventCommandGenerated, gone, eventtest.T0.Add(2*time.Minute), 4),
			sample(schema.EventSessionEnd, kept, eventtest.T0.Add(time.Minute), 5)})
		if err != nil || res.RefusedDeleted != 1 || res.Stored != 1 {
			t.Fatalf("late Append = %+v, %v; want 1 refused, 1 stored", res, err)
		}
		counts, _ := s.CountByType(ctx)
		want := map[string]int64{schema.EventSessionStart: 1, schema.EventSessionEnd: 1, schema.EventDeletionRequest: 1}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts %v, want %v", counts, want)
		}
		out, _ := s.Pending(ctx, 10)
		for _, ev := range out {
			if ev.Name == schema.EventDeletionRequest {
				if len(ev.Attrs) != 1 || !reflect.DeepEqual(ev.Attrs[0].Value.List, []string{gone}) {
					t.Errorf("stored request %+v", ev.Attrs)
				}
			}
		}
	})
}

func TestRetentionRefusesTheExpiredAndMaintainDropsThem(t *testing.T) {
	forEach(t, func(t *testing.T, op opener) {
		clock := now
		s := op.open(t, Options{Now: func() time.Time { return clock }})
		sessionDays := time.Duration(schema.SessionRetentionDays) * 24 * time.Hour
		old := sample(schema.EventSessionStart, "0123456789abcdef", now.Add(-sessionDays-48*time.Hour), 1)
		if res, err := s.Append(ctx, []Event{old}); err != nil || res.Expired != 1 || res.Stored != 0 {
			t.Fatalf("expired Append = %+v, %v", res, err)
		}
		start := sample(schema.EventSessionStart, "0123456789abcdef", now, 2)
		errEv := sample(schema.EventErrorOccurred, "0123456789abcdef", now, 3)
		if res, err := s.Append(ctx, []Event{start, errEv}); err != nil || res.Stored != 2 {
			t.Fatalf("Append = %+v, %v", res, err)
		}
		// Past the session retention, not the error retention.
		clock = now.Add(sessionDays + 48*time.Hour)
		n, err := s.Maintain(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Maintain = %d, %v; want the session.start dropped", n, err)
		}
		counts, _ := s.CountByType(ctx)
		if counts[schema.EventErrorOccurred] != 1 || counts[schema.EventSessionStart] != 0 {
			t.Errorf("counts %v", counts)
		}
	})
}

// TestASQLiteFileGivesBackWhatRetentionFrees: once Maintain has dropped
// most of a store's events, the file is smaller (auto_vacuum set before
// its first page), not a file of free pages.
func TestASQLiteFileGivesBackWhatRetentionFrees(t *testing.T) {
	clock := now
	s := openSQLiteTemp(t, Options{Now: func() time.Time { return clock }})
	sessionDays := time.Duration(schema.SessionRetentionDays) * 24 * time.Hour
	var evs []Event
	for i := range 5000 {
		evs = append(evs, sample(schema.EventSessionStart, fmt.Sprintf("%016x", i), now, i))
	}
	evs = append(evs, sample(schema.EventErrorOccurred, "0123456789abcdef", now, 5000))
	if res, err := s.Append(ctx, evs); err != nil || res.Stored != len(evs) {
		t.Fatalf("Append = %+v, %v", res, err)
	}
	pages := func() (n, free int64) {
		t.Helper()
		if err := s.DB().QueryRow("SELECT * FROM pragma_page_count(), pragma_freelist_count()").Scan(&n, &free); err != nil {
			t.Fatal(err)
		}
		return n, free
	}
	full, _ := pages()
	clock = now.Add(sessionDays + 48*time.Hour)
	if n, err := s.Maintain(ctx); err != nil || n != 5000 {
		t.Fatalf("Maintain = %d, %v; want the 5000 session.start dropped", n, err)
	}
	after, free := pages()
	if free != 0 || after > full/10 {
		t.Errorf("%d pages and %d free after dropping nearly every event, want none free and at most %d", after, free, full/10)
	}
}

func TestConcurrentAppendsShareCommitsAndLoseNothing(t *testing.T) {
	forEach(t, func(t *testing.T, op opener) {
		s := op.open(t, Options{})
		const writers, each = 32, 40
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					n := w*each + i
					ev := sample(schema.EventSessionEnd, fmt.Sprintf("%016x", n), eventtest.T0, n)
					if res, err := s.Append(ctx, []Event{ev}); err != nil || res.Stored != 1 {
						errs <- fmt.Errorf("append %d: %+v, %v", n, res, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		counts, _ := s.CountByType(ctx)
		if counts[schema.EventSessionEnd] != writers*each {
			t.Fatalf("%d stored, want %d", counts[schema.EventSessionEnd], writers*each)
		}
		if c := s.commits.Load(); c >= writers*each {
			t.Errorf("%d commits for %d appends: none shared", c, writers*each)
		} else {
			t.Logf("%d appends in %d commits", writers*each, c)
		}
	})
}

func TestExportMarksTakeEventsOutOfPending(t *testing.T) {
	forEach(t, func(t *testing.T, op opener) {
		s := op.open(t, Options{})
		var in []Event
		for i := range 5 {
			in = append(in, sample(schema.EventSessionStart, "0123456789abcdef", eventtest.T0, i))
		}
		if _, err := s.Append(ctx, in); err != nil {
			t.Fatal(err)
		}
		first := mustPending(t, s, 3, 3)
		if err := s.MarkExported(ctx, first, "telemetry-export-1.json.gz", now); err != nil {
			t.Fatal(err)
		}
		mustPending(t, s, 10, 2) // after the export
	})
}

// TestAStoreWhoseFolderIsRemovedAcknowledgesNothingMore: the folder of an
// open SQLite store is deleted. SQLite would go on committing into the
// removed file; Append says ErrGone instead, and opening the store again
// creates a new file at the path.
func TestAStoreWhoseFolderIsRemovedAcknowledgesNothingMore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	path := filepath.Join(dir, "caro.db")
	s := mustOpen(t, Options{Path: path})
	if _, err := s.Append(ctx, []Event{sample(schema.EventSessionStart, "0123456789abcdef", now.Add(-1), 1)}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(ctx, []Event{sample(schema.EventSessionStart, "0123456789abcdef", now.Add(-1), 2)})
	if !errors.Is(err, ErrGone) {
		t.Fatalf("Append after the folder was removed: %v, want ErrGone", err)
	}
	again := mustOpen(t, Options{Path: path})
	res, err := again.Append(ctx, []Event{sample(schema.EventSessionStart, "0123456789abcdef", now.Add(-1), 2)})
	if err != nil || res.Stored != 1 {
		t.Fatalf("Append to the store opened again: %+v %v", res, err)
	}
}

//go:build unix

package sqlitespool

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/schema"
)

// holdLock takes a flock on path through a descriptor of its own: flock(2)
// locks belong to an open file, so to the writer and the ingester this is
// another process's lock. It returns the release.
func holdLock(t *testing.T, path string, how int) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		t.Fatalf("lock %s: %v", path, err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			f.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// within fails the test if f has not returned after a minute: a writer
// that waits for a lock never returns while the lock is held.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s is still waiting for the lock", what)
	}
}

func TestAWriterNeverWaitsForAnInboxAnotherProcessHoldsAndLosesNothing(t *testing.T) {
	for _, how := range []struct {
		name string
		lock int
	}{{"exclusive", syscall.LOCK_EX}, {"shared by an ingester-like holder", syscall.LOCK_SH}} {
		t.Run(how.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "caro", "telemetry.db")
			s := newInboxSession(t, Options{Path: path})
			s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(0, t0).Attrs)...)
			release := holdLock(t, InboxPath(path), how.lock)
			within(t, "the writer", func() {
				for i := 1; i <= 5; i++ {
					s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(i, t0).Attrs)...)
				}
			})
			if errs := s.errs.all(); len(errs) > 0 {
				t.Fatalf("onError got %v", errs)
			}

			// While the lock is held, an Open stores what it can lock and
			// leaves the rest staged, within claimLockWait.
			var sp *Spool
			within(t, "Open", func() { sp = openTemp(t, Options{Path: path}) })
			got := storedSeqs(t, sp)
			sp.Close()
			if how.lock == syscall.LOCK_EX && (len(got) != 5 || got[0] != 0 || !strings.Contains(sp.Recovered(), "locked by another process")) {
				t.Errorf("while locked: stored %v, recovered %q; want the 5 events staged aside and a word about the lock", got, sp.Recovered())
			}

			release()
			sp = openTemp(t, Options{Path: path})
			got = storedSeqs(t, sp)
			for i := 0; i <= 5; i++ {
				if got[i] != 1 {
					t.Errorf("event %d stored %d times, want once (all: %v)", i, got[i], got)
				}
			}
			if left, _ := filepath.Glob(InboxPath(path) + "*"); len(left) > 0 {
				t.Errorf("files left beside the spool: %v", left)
			}
		})
	}
}

func TestAWriteCutShortSpoilsOnlyItsOwnLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newInboxSession(t, Options{Path: path})
	s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(1, t0).Attrs)...)
	appendCutLine(t, path)                                            // the disk filled up here
	s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(2, t0).Attrs)...) // space came back
	sp := openTemp(t, Options{Path: path})
	got := storedSeqs(t, sp)
	st, _ := sp.Stats(ctx)
	if got[1] != 1 || got[2] != 1 || st.Counters[CounterInboxMalformed] != 1 {
		t.Errorf("stored %v, counters %v; want events 1 and 2 and 1 malformed line", got, st.Counters)
	}
	if r := sp.Recovered(); !strings.Contains(r, "skipped 1 unreadable staged line (counted as inbox_malformed)") {
		t.Errorf("Recovered() = %q; want a word on the skipped line", r)
	}
}

func TestAStagingFileLeftByAKilledWriterIsIngestedOnceItIsStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newInboxSession(t, Options{Path: path})
	s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(1, t0).Attrs)...)
	s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(2, t0).Attrs)...)
	data, err := os.ReadFile(InboxPath(path))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimLeft(string(data), "\n"), "\n")
	os.Remove(InboxPath(path))
	stale := InboxPath(path) + stagingInfix + "1-1-1"
	fresh := InboxPath(path) + stagingInfix + "2-2-2"
	os.WriteFile(stale, []byte(lines[0]), 0o600)
	os.WriteFile(fresh, []byte(lines[1]), 0o600)
	old := time.Now().Add(-2 * staleStaging)
	os.Chtimes(stale, old, old)

	sp := openTemp(t, Options{Path: path})
	if got := storedSeqs(t, sp); len(got) != 1 || got[1] != 1 {
		t.Errorf("stored %v, want event 1 only (its writer is long gone, event 2's may still be renaming)", got)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("the fresh staging file: %v", err)
	}
}

func TestBatchesStagedAsideStayWithinTheCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newInboxSession(t, Options{Path: path, MaxBytes: MinMaxBytes})
	s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(0, t0).Attrs)...)
	holdLock(t, InboxPath(path), syscall.LOCK_EX) // for good: everything goes aside

	exp := NewInboxExporter(Options{Path: path, MaxBytes: MinMaxBytes}, nil)
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp,
		sdklog.WithExportMaxBatchSize(100), sdklog.WithMaxQueueSize(4096))))
	const n = 3000 // about 3x the cap of staged session.end lines
	logger := provider.Logger("caro")
	for i := 1; i <= n; i++ {
		var r log.Record
		r.SetEventName(schema.EventSessionEnd)
		r.SetTimestamp(t0)
		r.AddAttributes(kvs(seqEvent(i, t0).Attrs)...)
		logger.Emit(ctx, r)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if staged := claimedBytes(InboxPath(path)); staged > MinMaxBytes+4096 {
		t.Errorf("%d bytes staged aside, cap %d", staged, MinMaxBytes)
	}
	sp := openTemp(t, Options{Path: path, MaxBytes: MinMaxBytes})
	got := storedSeqs(t, sp)
	st, _ := sp.Stats(ctx)
	if dropped := st.Counters[CounterDroppedCap]; int64(len(got))+dropped != n || dropped == 0 {
		t.Errorf("%d stored + %d dropped, want %d written with some dropped", len(got), dropped, n)
	}
}

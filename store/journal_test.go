package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/loadgen"
	"caro.sh/telemetry/schema"
)

// storedUIDs reads every uid in the SQLite store at path, through a
// reader that does not replay the journal.
func storedUIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	r := mustOpen(t, Options{Path: path, MustExist: true})
	rows, err := r.DB().QueryContext(ctx, "SELECT uid FROM events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			t.Fatal(err)
		}
		out[uid] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	return out
}

// killChildEnv makes the test binary, run by TestAcceptedEventsSurviveSIGKILL,
// the process that is killed: it accepts batches into the store named by
// the variable's value and prints each accepted batch's first uid.
const killChildEnv = "STORE_KILL_CHILD"

// TestAcceptedEventsSurviveSIGKILL runs a process that accepts batch after
// batch into a SQLite store and SIGKILLs it mid-load, twice: once with its
// applier held (every accepted event is in the journal only) and once
// running freely (the kill lands wherever it lands). Opening the store
// again replays the journal: every batch the process was told was
// accepted is in the table, exactly once.
func TestAcceptedEventsSurviveSIGKILL(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		acceptUntilKilled(path, os.Getenv(killChildEnv+"_HOLD") != "")
		return
	}
	for _, held := range []bool{true, false} {
		t.Run(fmt.Sprintf("applier held %v", held), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store.db")
			cmd := exec.Command(os.Args[0], "-test.run", "^TestAcceptedEventsSurviveSIGKILL$")
			cmd.Env = append(os.Environ(), killChildEnv+"="+path)
			if held {
				cmd.Env = append(cmd.Env, killChildEnv+"_HOLD=1")
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var accepted []int
			sc := bufio.NewScanner(out)
			for sc.Scan() && len(accepted) < 40 {
				if n, ok := strings.CutPrefix(sc.Text(), "accepted "); ok {
					i, _ := strconv.Atoi(n)
					accepted = append(accepted, i)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if len(accepted) < 40 {
				t.Fatalf("the child accepted %d batches before it stopped", len(accepted))
			}
			if held {
				if n := len(storedUIDs(t, path)); n != 0 {
					t.Fatalf("%d events in the table before the replay, want 0: the applier was held", n)
				}
			}
			s := mustOpen(t, Options{Path: path})
			if held && !strings.Contains(s.Recovered(), "replayed") {
				t.Errorf("Recovered() = %q, want the replay told", s.Recovered())
			}
			s.Close()
			uids := storedUIDs(t, path)
			for _, i := range accepted {
				for _, ev := range killBatch(i) {
					if !uids[ev.UID] {
						t.Fatalf("event %s of accepted batch %d is missing after the kill", ev.UID, i)
					}
				}
			}
			t.Logf("%d batches accepted before the kill, %d events stored", len(accepted), len(uids))
		})
	}
}

// killBatch is the child's batch i: ten events of one session.
func killBatch(i int) []Event {
	var evs []Event
	for k := range 10 {
		evs = append(evs, sample(schema.EventCommandGenerated, fmt.Sprintf("%016x", i), now.Add(-time.Hour), i*10+k))
	}
	return evs
}

func acceptUntilKilled(path string, hold bool) {
	o := Options{Path: path, Now: func() time.Time { return now }}
	if hold {
		o.holdApply = make(chan struct{})
	}
	s, err := Open(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		if _, err := s.Accept(ctx, killBatch(i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("accepted %d\n", i)
	}
}

// TestTheJournalKeepsOnlyWhatIsNotApplied: once the events are in the
// table, the journal is one empty segment; Close leaves none.
func TestTheJournalKeepsOnlyWhatIsNotApplied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := mustOpen(t, Options{Path: path})
	for i := range 5 {
		if _, err := s.Accept(ctx, killBatch(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	segs, err := segments(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 1 {
		t.Fatalf("segments after the flush: %v, want the open one only", segs)
	}
	fi, err := os.Stat(segmentName(path, segs[0]))
	if err != nil || fi.Size() != 0 {
		t.Fatalf("the open segment after the flush: %v %v, want it empty", fi, err)
	}
	if n := len(storedUIDs(t, path)); n != 50 {
		t.Fatalf("%d events stored, want 50", n)
	}
	// Written again after the rotation, then closed: applied, removed.
	if _, err := s.Accept(ctx, killBatch(5)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if segs, _ := segments(path); len(segs) != 0 {
		t.Fatalf("segments after Close: %v, want none", segs)
	}
	if n := len(storedUIDs(t, path)); n != 60 {
		t.Fatalf("%d events stored after Close, want 60", n)
	}
}

// TestAJournalLineCutShortIsSkippedAndTheRestReplayed: a segment whose
// last write was cut short (never acknowledged) and that holds a line of
// garbage replays every whole line and says what it skipped.
func TestAJournalLineCutShortIsSkippedAndTheRestReplayed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	mustOpen(t, Options{Path: path}).Close()
	var b []byte
	for _, ev := range killBatch(1) {
		enc, err := event.Encode(ev.Name, ev.Time, ev.Attrs)
		if err != nil {
			t.Fatal(err)
		}
		b = event.AppendLine(b, ev.UID, event.FormatStoreTime(now), enc)
	}
	b = append(b, "not a line\n"...)
	first := bytes.IndexByte(b, '\n')
	b = append(b, b[:first/2]...) // the torn tail: half a line
	if err := os.WriteFile(segmentName(path, 7), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, Options{Path: path})
	if got := s.Recovered(); !strings.Contains(got, "replayed 10 events") || !strings.Contains(got, "2 unreadable lines") {
		t.Errorf("Recovered() = %q", got)
	}
	if _, err := os.Stat(segmentName(path, 7)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the replayed segment is still there: %v", err)
	}
	evs := mustPending(t, s, 100, 10)
	want := killBatch(1)
	for i, ev := range evs {
		// At the schema's precision, which the journal keeps.
		at := want[i].Time.Truncate(time.Millisecond)
		if ev.UID != want[i].UID || !ev.Time.Equal(at) || !reflect.DeepEqual(ev.Attrs, want[i].Attrs) {
			t.Errorf("replayed event %d: %s at %v with %d fields, want %s at %v with %d", i,
				ev.UID, ev.Time, len(ev.Attrs), want[i].UID, at, len(want[i].Attrs))
		}
	}
}

// TestASecondWriterOfASQLiteStoreIsRefused: two collectors on one file
// would each take the other's journal for a killed process's; the second
// is refused with a message that says what to do, and a reader is not.
func TestASecondWriterOfASQLiteStoreIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	mustOpen(t, Options{Path: path})
	_, err := Open(ctx, Options{Path: path})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "own path") {
		t.Fatalf("second Open = %v, want ErrLocked saying what to do", err)
	}
	r, err := Open(ctx, Options{Path: path, MustExist: true})
	if err != nil {
		t.Fatalf("a reader: %v", err)
	}
	r.Close()
}

// TestUnappliedTellsAReaderWhatTheWriterHasNotAppliedYet: a reader in
// another process waits on it before reading what a collector
// acknowledged.
func TestUnappliedTellsAReaderWhatTheWriterHasNotAppliedYet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	hold := make(chan struct{})
	s := mustOpen(t, Options{Path: path, holdApply: hold})
	if _, err := s.Accept(ctx, killBatch(1)); err != nil {
		t.Fatal(err)
	}
	if n, err := WaitApplied(ctx, path, 50*time.Millisecond); err != nil || n == 0 {
		t.Fatalf("WaitApplied with the applier held = %d, %v; want the batch's bytes", n, err)
	}
	close(hold)
	// Not flushed: the applier gets to it by itself, after applyGather.
	if n, err := WaitApplied(ctx, path, 10*time.Second); err != nil || n != 0 {
		t.Fatalf("WaitApplied once the applier runs = %d, %v; want 0", n, err)
	}
	if got := len(storedUIDs(t, path)); got != 10 {
		t.Fatalf("%d events stored, want 10", got)
	}
}

// TestEveryWaiterIsAnsweredWhenTheStoreIsGone: the store's folder goes
// while three requests wait in the journal, in three chunks; the first
// commit finds the file gone, and every waiter hears ErrGone rather than
// waiting for an apply that will not come.
func TestEveryWaiterIsAnsweredWhenTheStoreIsGone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	hold := make(chan struct{})
	s := mustOpen(t, Options{Path: filepath.Join(dir, "caro.db"), MaxBatchEvents: 10, holdApply: hold})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { _, err := s.Append(ctx, killBatch(i)); errs <- err }()
	}
	for {
		s.mu.Lock()
		written := s.written
		s.mu.Unlock()
		if written == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	close(hold)
	for range 3 {
		if err := <-errs; !errors.Is(err, ErrGone) {
			t.Fatalf("a waiting Append returned %v, want ErrGone", err)
		}
	}
}

// TestAWaitingEventIsHeldInUnderAKilobyte holds the applier and accepts
// the load generator's sessions (every field): what the store keeps of an
// event between its journal and its commit is what bounds the memory of
// a collector whose disk falls behind (maxPendingEvents of them). 550
// bytes when written; 1,700 before the arguments were encoded and the
// attributes dropped.
func TestAWaitingEventIsHeldInUnderAKilobyte(t *testing.T) {
	epoch := time.Now().UTC()
	hold := make(chan struct{})
	defer close(hold)
	path := filepath.Join(t.TempDir(), "caro.db")
	s := mustOpen(t, Options{Path: path, holdApply: hold, Now: func() time.Time { return epoch }})
	gen, err := loadgen.NewGenerator(1, epoch, 33, 0)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	for i := range 150 {
		var evs []Event
		for _, r := range gen.Batch(uint64(i)).Records {
			uid, attrs := event.SplitRecordUID(r.Attrs)
			evs = append(evs, Event{UID: uid, Name: r.Event, Time: r.Time, Attrs: attrs})
		}
		res, err := s.Accept(ctx, evs)
		if err != nil || res.Accepted != len(evs) {
			t.Fatalf("Accept = %+v, %v", res, err)
		}
		n += len(evs)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// Held, the applier has taken nothing: every event waits in memory.
	if left, err := Unapplied(path); err != nil || left < int64(n)*100 {
		t.Fatalf("Unapplied = %d bytes, %v; want the journal lines of all %d events", left, err, n)
	}
	if each := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(n); each > 1024 {
		t.Errorf("a waiting event takes %d bytes of the heap, want at most 1024", each)
	}
}

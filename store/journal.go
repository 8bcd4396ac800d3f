package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"caro.sh/telemetry/event"
)

// A SQLite store acknowledges events once they are in its journal, and
// puts them into the table a moment later, many requests at a time.
//
// Why: SQLite's WAL logs whole pages, and an insert dirties a page of each
// index (uids and times arrive in no order), so a commit of a few hundred
// events writes a page or two per event and spends most of its time in
// write(2). The journal is the row-level log that PostgreSQL keeps
// itself: one write(2) of the events' lines per group of requests is
// enough for an acknowledged event to survive the process being killed (as
// a commit with synchronous=NORMAL is), and the table is written by big
// transactions that share each index page between thousands of events.
// Measured (BenchmarkAppend, four callers of 198-event requests, 2
// cores, until the last event is in the table): 27,900 events/s with a
// commit per group of requests, 39,900 through the journal.
//
// The journal is a series of segment files next to the database,
// <path>.ingest-00000001 and on, each a run of event.AppendLine lines (the
// spool inbox's staging line: the event's JSON as event.Encode writes it,
// with its uid, and the time the store received it). The applier rotates
// to a new segment when it takes the events waiting, and removes the old
// segments once their events are committed. Open replays the segments
// that a killed process left (a uid already stored is a duplicate, so a
// segment applied twice stores nothing twice), then removes them.

// segmentInfix names a journal segment: <path>.ingest-<seq>.
const segmentInfix = ".ingest-"

// journal is the open segment of a SQLite store's journal, and the lock
// that makes the process its only writer.
type journal struct {
	path string // the store's path
	lock *flock.Flock
	f    *os.File
	fi   os.FileInfo // f's, to notice its removal
	seq  uint64      // the open segment
	size int64       // bytes written to it
	old  []uint64
}

// ErrLocked is returned by Open when another process writes the store.
var ErrLocked = errors.New("another process is writing this store")

// openJournal takes the store's writer lock and lists the segments a
// previous process left, for replay; it opens no segment yet.
func openJournal(path string) (*journal, error) {
	lock := flock.New(path + ".lock")
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", lock.Path(), err)
	}
	if !ok {
		return nil, fmt.Errorf("%w (%s is locked): stop the other collector, or give this one its own path", ErrLocked, lock.Path())
	}
	j := &journal{path: path, lock: lock}
	if j.old, err = segments(path); err != nil {
		lock.Unlock()
		return nil, err
	}
	return j, nil
}

func segmentName(path string, seq uint64) string {
	return fmt.Sprintf("%s%s%08d", path, segmentInfix, seq)
}

// segments lists the journal segments of the store at path, oldest first.
func segments(path string) ([]uint64, error) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("list the journal: %w", err)
	}
	prefix := filepath.Base(path) + segmentInfix
	var out []uint64
	for _, e := range entries {
		if rest, ok := strings.CutPrefix(e.Name(), prefix); ok {
			if seq, err := strconv.ParseUint(rest, 10, 64); err == nil {
				out = append(out, seq)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// start opens a new segment after every old one.
func (j *journal) start() error {
	if len(j.old) > 0 {
		j.seq = j.old[len(j.old)-1]
	}
	return j.rotate()
}

// rotate opens the next segment and closes the open one (if any). When
// the next cannot be opened, the open one stays open and in use.
func (j *journal) rotate() error {
	f, err := os.OpenFile(segmentName(j.path, j.seq+1), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open journal segment: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open journal segment: %w", err)
	}
	if j.f != nil {
		if err := j.f.Close(); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("close journal segment: %w", err)
		}
	}
	j.f, j.fi, j.seq, j.size = f, fi, j.seq+1, 0
	return nil
}

// write appends b to the open segment in one write(2); on failure it cuts
// the segment back, so that no part of an unacknowledged line stays. A
// segment removed with its folder still takes writes, which no one would
// read again: write says ErrGone instead.
func (j *journal) write(b []byte) error {
	if j.f == nil {
		return errors.New("journal closed")
	}
	n, err := j.f.Write(b)
	if err != nil {
		if n > 0 {
			_ = j.f.Truncate(j.size)
		}
		return fmt.Errorf("write journal: %w", err)
	}
	j.size += int64(n)
	if fi, err := os.Stat(segmentName(j.path, j.seq)); err != nil || !os.SameFile(fi, j.fi) {
		return ErrGone
	}
	return nil
}

// removeThrough removes the segments up to seq, whose events are
// committed.
func (j *journal) removeThrough(seq uint64) error {
	for s := seq; s > 0; s-- {
		err := os.Remove(segmentName(j.path, s))
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed by an earlier call, and so are the older ones
		}
		if err != nil {
			return fmt.Errorf("remove journal segment: %w", err)
		}
	}
	return nil
}

// close closes the open segment, removing it when it holds nothing to
// apply, and releases the lock.
func (j *journal) close(empty bool) error {
	var err error
	if j.f != nil {
		err = j.f.Close()
		if empty {
			err = errors.Join(err, os.Remove(segmentName(j.path, j.seq)))
		}
		j.f = nil
	}
	return errors.Join(err, j.lock.Unlock())
}

// Unapplied returns how many bytes of the journal of the SQLite store at
// path hold events acknowledged but not yet in its table (0: a reader of
// the file sees every event the collector acknowledged). Readers in
// another process use it to wait for a writer's applier, which is a
// moment behind the acknowledgements.
func Unapplied(path string) (int64, error) {
	seqs, err := segments(path)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, seq := range seqs {
		fi, err := os.Stat(segmentName(path, seq))
		if errors.Is(err, fs.ErrNotExist) {
			continue // applied and removed since the listing
		}
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}

// replayed is what reading a journal segment found.
type replayed struct {
	evs      []Event
	received []time.Time
	torn     int // lines that did not parse: the tail of a write cut short
}

// readSegment reads the events of one segment.
func readSegment(path string, seq uint64) (replayed, error) {
	var out replayed
	b, err := os.ReadFile(segmentName(path, seq))
	if err != nil {
		return out, fmt.Errorf("read journal segment: %w", err)
	}
	for len(b) > 0 {
		line, rest, found := bytes.Cut(b, []byte{'\n'})
		b = rest
		if !found {
			out.torn++ // the last line of a write that was cut short
			break
		}
		l, err := event.ParseLine(line)
		if err != nil || l.ID == "" {
			out.torn++
			continue
		}
		at, err := event.ParseStoreTime(l.At)
		if err != nil {
			out.torn++
			continue
		}
		name, ts, attrs, err := event.Decode(l.Event)
		if err != nil {
			out.torn++
			continue
		}
		out.evs = append(out.evs, Event{UID: l.ID, Name: name, Time: ts, Attrs: attrs})
		out.received = append(out.received, at)
	}
	return out, nil
}

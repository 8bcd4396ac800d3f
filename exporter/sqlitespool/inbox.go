package sqlitespool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"caro.sh/telemetry/event"
)

// The inbox is how a short-lived process (the caro CLI) hands events to the
// spool without paying for SQLite at exit: InboxExporter appends each batch
// as JSON lines to <spool>.inbox in one write (O_APPEND, under a shared
// flock), and the next Open of the spool ingests every staged line in one
// transaction. Ingesting renames the inbox to a claim file first, waits for
// the writers still holding it (an exclusive flock), stores the events with
// the ids they were given when staged (so a claim file ingested twice after
// a crash stores each event once), then deletes the claim file. A writer
// that opened the inbox before it was claimed notices that its file is no
// longer the inbox, and writes again to the new one.
//
// A writer never waits for a lock: while another process holds the inbox
// (a slow ingester, a backup tool or a sync client with its own flock), it
// writes its batch to a file of its own and renames that, complete, to a
// claim name (stageAside), which the next Open ingests like any claim. An
// ingester waits for a claim's lock at most claimLockWait in all, and
// leaves a claim it could not lock for the next Open.
//
// Every write to a non-empty inbox starts with a newline, so that the
// remains of a write cut short (a full disk, a writer killed mid-write)
// spoil only their own line, never the next writer's first one.
//
// The inbox holds exactly what the spool would hold: events that passed
// redaction, encoded by event.Encode.

// InboxPath is where events for the spool at spoolPath are staged.
func InboxPath(spoolPath string) string { return spoolPath + ".inbox" }

const (
	claimInfix   = ".claim-"
	stagingInfix = ".staging-"
)

// claimLockWait bounds how long one ingest waits, in all, for the locks of
// claim files. Writers hold theirs for one write (microseconds) and another
// ingester for one transaction; anything longer is a process that is not
// Caro's, and the claim waits for the next Open.
const claimLockWait = time.Second

// staleStaging is the age from which a staging file is taken to be the
// remains of a writer killed between writing and renaming it, and is
// ingested like a claim.
const staleStaging = time.Minute

// Exists reports whether the spool at path holds or has staged anything:
// the database, its inbox or a claimed inbox. Looking at a spool through
// it never creates one.
func Exists(path string) bool {
	if _, err := os.Stat(path); err == nil {
		return true
	}
	if _, err := os.Stat(InboxPath(path)); err == nil {
		return true
	}
	claims, _ := filepath.Glob(InboxPath(path) + claimInfix + "*")
	return len(claims) > 0
}

// appendInbox appends what build returns (given the inbox's current size)
// to the inbox in one write, creating the folder (0700) and file (0600),
// and retries when the file it locked was claimed meanwhile. It never
// waits for a lock: when another process holds the inbox, the data goes to
// a claim file of its own (stageAside).
func appendInbox(path string, build func(size int64) []byte) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	for attempt := 0; attempt < 10; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return pathError("write", path, err)
		}
		locked, lerr := tryLockShared(f)
		st, err := f.Stat()
		cur, cerr := os.Stat(path)
		if err != nil || cerr != nil || !os.SameFile(st, cur) {
			f.Close() // claimed by an ingester meanwhile: write to the new inbox
			continue
		}
		if !locked {
			// Held by another process: never wait for it. The cap counts
			// the batches staged aside before this one too.
			f.Close()
			data := build(st.Size() + claimedBytes(path))
			if len(data) == 0 {
				return nil
			}
			if err := stageAside(path, data); err != nil {
				if lerr != nil {
					return fmt.Errorf("lock %s: %v; %w", path, lerr, err)
				}
				return err
			}
			return nil
		}
		data := build(st.Size())
		if len(data) == 0 {
			return f.Close()
		}
		if st.Size() > 0 {
			data = append([]byte{'\n'}, data...)
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return pathError("write", path, werr)
		}
		return nil
	}
	return fmt.Errorf("write %s: the inbox kept being claimed", path)
}

// stageAside writes data to a staging file of this process's own, then
// renames it, complete, to a claim name: no reader ever sees part of it,
// and no lock is involved. A writer killed before the rename leaves a
// staging file, which an ingester takes once it is staleStaging old.
func stageAside(inbox string, data []byte) error {
	suffix := strconv.FormatInt(time.Now().UnixNano(), 10) + "-" + strconv.Itoa(os.Getpid())
	f, err := os.CreateTemp(filepath.Dir(inbox), filepath.Base(inbox)+stagingInfix+suffix+"-*")
	if err != nil {
		return fmt.Errorf("stage beside %s: %w", inbox, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, inbox+claimInfix+strings.TrimPrefix(filepath.Base(tmp), filepath.Base(inbox)+stagingInfix))
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("stage beside %s: %w", inbox, werr)
	}
	return nil
}

// claimedBytes is the size of the inbox's claim files.
func claimedBytes(inbox string) int64 {
	claims, _ := filepath.Glob(inbox + claimInfix + "*")
	var n int64
	for _, c := range claims {
		if st, err := os.Stat(c); err == nil {
			n += st.Size()
		}
	}
	return n
}

// pathError wraps err with op and path, unless err names them already.
func pathError(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// ingestInbox stores what is staged for s (client spools only) and
// returns how many staged lines could not be read. A claim whose storing
// fails is left for the next Open, and so is one that another process
// keeps locked; lines that do not parse (a writer killed mid-line, a write
// cut short by a full disk) are skipped and counted.
func (s *Spool) ingestInbox(ctx context.Context) (malformed int64, err error) {
	path := InboxPath(s.opts.Path)
	if _, err := os.Stat(path); err == nil {
		claim := path + claimInfix + strconv.FormatInt(time.Now().UnixNano(), 10) + "-" + strconv.Itoa(os.Getpid())
		if err := os.Rename(path, claim); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("claim %s: %w", path, err)
		}
	}
	claimStale(path)
	claims, _ := filepath.Glob(path + claimInfix + "*")
	sort.Strings(claims)
	deadline := time.Now().Add(claimLockWait)
	var locked error
	for _, c := range claims {
		bad, err := s.ingestClaim(ctx, c, deadline)
		malformed += bad
		if errors.Is(err, errLocked) {
			if locked == nil {
				locked = err
			}
			continue
		}
		if err != nil {
			return malformed, err
		}
	}
	return malformed, locked
}

// claimStale renames the staging files of killed writers to claims.
func claimStale(inbox string) {
	staging, _ := filepath.Glob(inbox + stagingInfix + "*")
	for _, f := range staging {
		if st, err := os.Stat(f); err == nil && time.Since(st.ModTime()) > staleStaging {
			_ = os.Rename(f, inbox+claimInfix+strings.TrimPrefix(filepath.Base(f), filepath.Base(inbox)+stagingInfix))
		}
	}
}

// errLocked says a claim stayed locked by another process until the
// ingest's deadline.
var errLocked = errors.New("locked by another process")

// ingestClaim stores one claim file and returns how many of its lines
// could not be read.
func (s *Spool) ingestClaim(ctx context.Context, claim string, deadline time.Time) (int64, error) {
	f, err := os.Open(claim)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // another process ingested it
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", claim, err)
	}
	defer f.Close()
	if err := lockExclusive(ctx, f, deadline); err != nil {
		return 0, fmt.Errorf("lock %s: %w", claim, err)
	}
	if _, err := os.Stat(claim); errors.Is(err, fs.ErrNotExist) {
		return 0, nil // ingested by another process while we waited
	}
	data, err := readAll(f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", claim, err)
	}
	var evs []Event
	counters := map[string]int64{}
	for _, raw := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		l, err := event.ParseLine(raw)
		if err != nil {
			counters[CounterInboxMalformed]++
			continue
		}
		for k, v := range l.Counters {
			counters[k] += v
		}
		if len(l.Event) == 0 {
			continue
		}
		name, ts, attrs, err := event.Decode(l.Event)
		if err != nil || l.ID == "" {
			counters[CounterInboxMalformed]++
			continue
		}
		at, _ := event.ParseStoreTime(l.At)
		evs = append(evs, Event{EventID: l.ID, Name: name, Time: ts, Attrs: attrs, CreatedAt: at})
	}
	if _, err := s.appendEvents(ctx, evs, counters, true); err != nil {
		return 0, err
	}
	if err := os.Remove(claim); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return counters[CounterInboxMalformed], fmt.Errorf("remove %s: %w", claim, err)
	}
	return counters[CounterInboxMalformed], nil
}

func readAll(f *os.File) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(f)
	return buf.Bytes(), err
}

// CounterInboxMalformed counts staged lines that could not be read (a
// writer killed in the middle of its write).
const CounterInboxMalformed = "inbox_malformed"

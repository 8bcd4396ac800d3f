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
// The inbox holds exactly what the spool would hold: events that passed
// redaction, encoded by event.Encode.

// InboxPath is where events for the spool at spoolPath are staged.
func InboxPath(spoolPath string) string { return spoolPath + ".inbox" }

const claimInfix = ".claim-"

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
// and retries when the file it locked was claimed meanwhile.
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
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := lockShared(f); err != nil {
			f.Close()
			return fmt.Errorf("lock %s: %w", path, err)
		}
		st, err := f.Stat()
		cur, cerr := os.Stat(path)
		if err != nil || cerr != nil || !os.SameFile(st, cur) {
			f.Close() // claimed by an ingester meanwhile: write to the new inbox
			continue
		}
		data := build(st.Size())
		if len(data) == 0 {
			return f.Close()
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("write %s: %w", path, werr)
		}
		return nil
	}
	return fmt.Errorf("write %s: the inbox kept being claimed", path)
}

// ingestInbox stores what is staged for s (client spools only). A claim
// whose storing fails is left for the next Open; lines that do not parse
// (a writer killed mid-line) are skipped and counted.
func (s *Spool) ingestInbox(ctx context.Context) error {
	path := InboxPath(s.opts.Path)
	if _, err := os.Stat(path); err == nil {
		claim := path + claimInfix + strconv.FormatInt(time.Now().UnixNano(), 10) + "-" + strconv.Itoa(os.Getpid())
		if err := os.Rename(path, claim); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("claim %s: %w", path, err)
		}
	}
	claims, _ := filepath.Glob(path + claimInfix + "*")
	sort.Strings(claims)
	for _, c := range claims {
		if err := s.ingestClaim(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spool) ingestClaim(ctx context.Context, claim string) error {
	f, err := os.Open(claim)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // another process ingested it
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", claim, err)
	}
	defer f.Close()
	if err := lockExclusive(f); err != nil {
		return fmt.Errorf("lock %s: %w", claim, err)
	}
	if _, err := os.Stat(claim); errors.Is(err, fs.ErrNotExist) {
		return nil // ingested by another process while we waited
	}
	data, err := readAll(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", claim, err)
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
		return err
	}
	if err := os.Remove(claim); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", claim, err)
	}
	return nil
}

func readAll(f *os.File) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(f)
	return buf.Bytes(), err
}

// CounterInboxMalformed counts staged lines that could not be read (a
// writer killed in the middle of its write).
const CounterInboxMalformed = "inbox_malformed"

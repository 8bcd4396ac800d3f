package upload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
)

// State is the upload schedule of one spool, kept in a small JSON file
// beside it (StatePath). Only a process holding the spool's upload Lock
// writes it; any process may read it.
//
// A file rather than spool counters: counters only ever add, while the
// schedule is a few values that are replaced, and Due must be answerable
// on Caro's startup path without opening SQLite.
type State struct {
	// FirstEvent is when the first events were recorded: StartSchedule
	// writes it, from the run that records them, and the first automatic
	// upload is due one batch interval later. Zero in the files of caro
	// versions that uploaded right after the first run.
	FirstEvent time.Time `json:"first_event,omitzero"`
	// LastAttempt is when the last Flush started. It is written before
	// anything is sent, so a flush that is killed still counts: a crashing
	// uploader is not restarted by every Caro run.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// NextAttempt is the earliest time of the next attempt after a failure:
	// the backoff's, or the server's Retry-After. Zero when not backing off.
	// It follows LastAttempt in the file, for quickSchedule.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastSuccess is when a batch was last delivered.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Failures counts consecutive failed flushes (Retry or Throttled); a
	// delivered or rejected batch resets it, since the server answered.
	Failures int `json:"failures,omitzero"`
	// LastError describes the last failure, for `caro telemetry status`.
	LastError string `json:"last_error,omitempty"`
}

// StatePath is the state file of the spool at spoolPath.
func StatePath(spoolPath string) string { return spoolPath + ".upload.json" }

// LoadState reads the state file at path. A missing file is the zero State
// (never attempted). A malformed one is reported together with the zero
// State, which callers may use: the worst it causes is one early attempt.
func LoadState(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read upload state %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("read upload state %s: %w", path, err)
	}
	return st, nil
}

// save replaces the state file atomically (temporary file, then rename), so
// a reader or a SIGKILL sees the old state or the new one, never half of
// one. A leftover temporary file of a killed writer is overwritten by the
// next save.
func (st State) save(path string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("write upload state %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write upload state %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write upload state %s: %w", path, err)
	}
	return nil
}

// Due reports whether an automatic upload of sp should start now: one
// interval after the first recorded events (State.FirstEvent), then at
// most once per interval (counted from the last attempt, successful or
// not) and never before a backoff's or a Retry-After's next attempt time.
// A spool whose schedule has not started is not due. See DueFile for
// callers that have not opened the spool.
func Due(sp *sqlitespool.Spool, interval time.Duration, now time.Time) bool {
	due, _ := DueFile(sp.Path(), interval, now)
	return due
}

// DueFile is Due for the spool at spoolPath, which it does not open: it
// reads one small file, cheap enough for Caro's startup path
// (quickSchedule). started is false when there is no state file: no
// events were recorded yet, nothing is due, and the run about to record
// the first ones starts the schedule (StartSchedule). An unreadable or
// malformed state counts as started and never attempted: due.
func DueFile(spoolPath string, interval time.Duration, now time.Time) (due, started bool) {
	path := StatePath(filepath.Clean(spoolPath))
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false
	}
	if err != nil {
		return true, true
	}
	if st, ok := quickSchedule(b); ok {
		return st.Due(interval, now), true
	}
	st, _ := LoadState(path)
	return st.Due(interval, now), true
}

// StartSchedule starts the upload schedule of the spool at spoolPath: it
// creates the state file with FirstEvent now, unless one exists (it never
// replaces a file, so it cannot undo a concurrent Flush's save). created
// is true for the one caller that created it: the first run that records
// events on this machine (session.start's is_first_run).
func StartSchedule(spoolPath string, now time.Time) (created bool, err error) {
	path := StatePath(filepath.Clean(spoolPath))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("start the upload schedule: %w", err)
	}
	b, err := json.Marshal(State{FirstEvent: now})
	if err != nil {
		return false, fmt.Errorf("start the upload schedule: %w", err)
	}
	// A whole file under a temporary name, then a link that fails if the
	// state exists: readers never see a partial file, and of two first
	// runs only one creates it.
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new*")
	if err != nil {
		return false, fmt.Errorf("start the upload schedule: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("start the upload schedule: %w", err)
	}
	return true, nil
}

// quickSchedule reads the fields Due needs from a state file as save
// writes them: `{`, then in this order and each optional,
// `"first_event":"<time>"`, `"last_attempt":"<time>"` and
// `"next_attempt":"<time>"` separated by commas, then `}` or another
// field, and none of the three anywhere after (in any case, or escaped).
// Anything else is not ok, and the caller decodes the file
// with encoding/json instead. This spares every recording caro run
// encoding/json's first use of the State type (reflection over its
// fields), which costs a tenth of a millisecond in a process that just
// started.
func quickSchedule(b []byte) (st State, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte("{"))
	if !ok {
		return State{}, false
	}
	sep := ""
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"first_event", &st.FirstEvent}, {"last_attempt", &st.LastAttempt}, {"next_attempt", &st.NextAttempt}} {
		if t, r, ok := quickTime(rest, sep+`"`+f.key+`":"`); ok {
			*f.t, rest, sep = t, r, ","
		}
	}
	// What follows is the end of the object or its next field.
	if !bytes.HasPrefix(rest, []byte("}")) && !bytes.HasPrefix(rest, []byte(sep+`"`)) {
		return State{}, false
	}
	// encoding/json matches keys without regard to case (Unicode's, and
	// \u escapes): the rest is plain ASCII, and holds none of the three
	// in any case.
	for _, c := range rest {
		if c >= 0x80 {
			return State{}, false
		}
	}
	lower := bytes.ToLower(rest)
	for _, key := range []string{`"first_event"`, `"last_attempt"`, `"next_attempt"`, `\u`} {
		if bytes.Contains(lower, []byte(key)) {
			return State{}, false
		}
	}
	return st, true
}

// quickTime parses the RFC 3339 time that follows prefix in b, up to the
// closing quote, and returns what follows that quote. A time never holds
// a quote or a backslash, so the first quote closes it.
func quickTime(b []byte, prefix string) (time.Time, []byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(prefix))
	if !ok {
		return time.Time{}, nil, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return time.Time{}, nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	if err != nil {
		return time.Time{}, nil, false
	}
	return t, rest[end+1:], true
}

// Due applies the schedule to the state. The first upload is due one
// interval after FirstEvent; a state with neither time (written by hand,
// or malformed) is due. A time in the future means the clock was set
// back: waiting for it could take years, so the schedule starts again.
func (st State) Due(interval time.Duration, now time.Time) bool {
	last := st.LastAttempt
	if last.IsZero() {
		last = st.FirstEvent
	}
	if last.IsZero() || now.Before(last) {
		return true
	}
	return !now.Before(last.Add(interval)) && !now.Before(st.NextAttempt)
}

// backoff is the delay after the n-th consecutive failure (n >= 1):
// base·2^(n-1), capped at max, with "equal jitter": a uniform draw in
// [d/2, d), so that many clients that failed together do not retry
// together, yet none retries much sooner than planned.
func backoff(n int, base, max time.Duration, jitter func() float64) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max || d <= 0 {
		d = max
	}
	half := d / 2
	return half + time.Duration(jitter()*float64(d-half))
}

// delayAfter is the wait before the next attempt after failure e: the
// server's Retry-After when it sent one (capped at max), else the backoff.
func delayAfter(e *SendError, failures int, s settings) time.Duration {
	if e.Outcome == Throttled && e.HasRetryAfter {
		return min(e.RetryAfter, s.BackoffMax)
	}
	return backoff(failures, s.BackoffBase, s.BackoffMax, s.jitter)
}

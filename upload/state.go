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
	// LastAttempt is when the last Flush started. It is written before
	// anything is sent, so a flush that is killed still counts: a crashing
	// uploader is not restarted by every Caro run.
	LastAttempt time.Time `json:"last_attempt"`
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

// Due reports whether an automatic upload of sp should start now: at most
// once per interval (counted from the last attempt, successful or not) and
// never before a backoff's or a Retry-After's next attempt time. See
// DueFile for callers that have not opened the spool.
func Due(sp *sqlitespool.Spool, interval time.Duration, now time.Time) bool {
	return DueFile(sp.Path(), interval, now)
}

// DueFile is Due for the spool at spoolPath, which it does not open: it
// reads one small file, cheap enough for Caro's startup path
// (quickSchedule). An unreadable state counts as never attempted.
func DueFile(spoolPath string, interval time.Duration, now time.Time) bool {
	path := StatePath(filepath.Clean(spoolPath))
	b, err := os.ReadFile(path)
	if err != nil {
		return true // missing or unreadable: never attempted
	}
	if last, next, ok := quickSchedule(b); ok {
		return State{LastAttempt: last, NextAttempt: next}.Due(interval, now)
	}
	st, _ := LoadState(path)
	return st.Due(interval, now)
}

// quickSchedule reads the two fields Due needs from a state file as save
// writes it: `{"last_attempt":"<time>"`, then `,"next_attempt":"<time>"`
// or no next_attempt anywhere. Anything else is not ok, and the caller
// decodes the file with encoding/json instead. This spares every recording
// caro run encoding/json's first use of the State type (reflection over its
// fields), which costs a tenth of a millisecond in a process that just
// started.
func quickSchedule(b []byte) (last, next time.Time, ok bool) {
	last, rest, ok := quickTime(b, `{"last_attempt":"`)
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	if bytes.HasPrefix(rest, []byte(`,"next_attempt":"`)) {
		next, _, ok = quickTime(rest, `,"next_attempt":"`)
		return last, next, ok
	}
	if bytes.Contains(rest, []byte(`"next_attempt"`)) {
		return time.Time{}, time.Time{}, false
	}
	return last, time.Time{}, true
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

// Due applies the schedule to the state. A LastAttempt in the future means
// the clock was set back: waiting for it could take years, so the schedule
// starts again.
func (st State) Due(interval time.Duration, now time.Time) bool {
	if st.LastAttempt.IsZero() || now.Before(st.LastAttempt) {
		return true
	}
	return !now.Before(st.LastAttempt.Add(interval)) && !now.Before(st.NextAttempt)
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

package sqlitespool

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"caro.sh/telemetry/schema"
)

// Defaults of Options.
const (
	// DefaultMaxBytes is the spec's offline_spool_max_mb default (10 MB).
	DefaultMaxBytes int64 = 10 << 20
	// DefaultRetention is how long the client keeps an event.
	DefaultRetention = schema.LocalRetentionDays * 24 * time.Hour
	// DefaultBusyTimeout bounds the wait for another Caro process's write
	// transaction.
	DefaultBusyTimeout = 5 * time.Second
	// MinMaxBytes is the smallest cap Open accepts: below it the WAL and
	// page overhead leave no room for events.
	MinMaxBytes int64 = 512 << 10
)

// Counter names kept by the spool itself. Other names may be added with
// AddCounters.
const (
	// CounterDroppedCap counts pending (never sent) events deleted to keep
	// the file within Options.MaxBytes.
	CounterDroppedCap = "dropped_cap"
	// CounterEvictedTransmitted counts already transmitted events deleted
	// for the cap: no data is lost with them.
	CounterEvictedTransmitted = "evicted_transmitted_cap"
	// CounterPurgedAge counts events deleted for being older than
	// Options.Retention.
	CounterPurgedAge = "purged_age"
)

var (
	// ErrClosed is returned by the methods of a closed Spool.
	ErrClosed = errors.New("spool is closed")
	// ErrSchemaTooNew is returned by Open for a database written by a newer
	// Caro (its user_version is above the versions this package knows). The
	// file is left untouched.
	ErrSchemaTooNew = errors.New("spool database schema is newer than this build")
)

// Options configure a Spool. Only Path is required.
type Options struct {
	// Path of the database file, e.g. $XDG_CACHE_HOME/caro/telemetry.db.
	Path string
	// MaxBytes caps the database file on disk, WAL included (0 =
	// DefaultMaxBytes; below MinMaxBytes is an error).
	MaxBytes int64
	// Retention is how long an event is kept (0 = DefaultRetention).
	Retention time.Duration
	// Now is the clock for created_at and retention (nil = time.Now).
	Now func() time.Time
	// BusyTimeout bounds the wait for another process's lock (0 =
	// DefaultBusyTimeout).
	BusyTimeout time.Duration
}

func (o Options) normalize() (Options, error) {
	if o.Path == "" {
		return o, errors.New("spool path is empty")
	}
	abs, err := filepath.Abs(o.Path)
	if err != nil {
		return o, fmt.Errorf("spool path %s: %w", o.Path, err)
	}
	o.Path = abs
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxBytes < MinMaxBytes {
		return o, fmt.Errorf("spool cap %d bytes is below the minimum of %d", o.MaxBytes, MinMaxBytes)
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention < 0 {
		return o, fmt.Errorf("spool retention %v is negative", o.Retention)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.BusyTimeout < 0 {
		return o, fmt.Errorf("spool busy timeout %v is negative", o.BusyTimeout)
	}
	return o, nil
}

// Event is one stored event. Append reads Name, Time and Attrs and ignores
// the other fields, which the spool fills in on the way out.
type Event struct {
	// ID is the row id: increasing in insertion order, never reused.
	ID int64
	// EventID is the event's stable id, which downstream uses to drop
	// duplicates. Append assigns a random one at insertion (a UUID v7 in
	// its canonical form) and ignores the caller's; an event staged by the
	// InboxExporter keeps the one it was staged with (its log.record.uid,
	// or a fresh one when it had none).
	EventID string
	// Name is the event name (schema.EventSessionStart, ...).
	Name string
	// Time is the event's timestamp, in UTC and to the millisecond on the
	// way out (the payload's precision).
	Time time.Time
	// Attrs are the event's flattened fields, in schema order on the way out.
	Attrs []schema.Attr
	// CreatedAt is when the event was appended (by Options.Now), in UTC.
	CreatedAt time.Time
	// TransmittedAt is when the event was sent; zero while it is pending.
	TransmittedAt time.Time
	// ExportID names the air-gapped export that included the event, if any.
	ExportID string
	// Size is the length in bytes of the stored JSON payload.
	Size int

	// payload, when set by the SDK face, is the already encoded payload, so
	// that Append does not encode twice.
	payload []byte
}

// Spool is the local queue of events: one SQLite database file shared by
// every Caro process of the user.
//
// A Spool is safe for concurrent use by multiple goroutines; they share one
// connection, so their calls run one at a time. Several processes may open
// the same file at once: every write is one BEGIN IMMEDIATE transaction,
// and a writer waits up to Options.BusyTimeout for another's to end.
type Spool struct {
	db        *sql.DB
	opts      Options
	pageSize  int64
	high, low int64 // cap thresholds on the pages in use, in bytes
	recovered string
	// stmts are the statements of every Append, prepared once at Open on
	// the one connection, which transactions then reuse.
	stmts map[string]*sql.Stmt

	mu     sync.Mutex // guards closed
	closed bool
}

// Recovered is empty, or says what Open found wrong and did about it, in
// one line for the caller to show as one warning: the database unreadable
// and moved aside, staged lines unreadable and skipped, staged events left
// staged for the next Open.
func (s *Spool) Recovered() string { return s.recovered }

// Path is the database file's absolute path.
func (s *Spool) Path() string { return s.opts.Path }

func (s *Spool) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

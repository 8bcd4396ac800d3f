package sqlitespool

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"caro.sh/telemetry/event"
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

	// Server selects the collector's store instead of the client's queue:
	// an Event's EventID given by the caller is kept and a second event
	// with the same id is ignored (deduplication); retention is per event
	// type (RetentionByEvent) and counted from the event's time; a
	// deletion.request deletes the events of its session ids; MaxBytes 0
	// means no cap. See server.go.
	Server bool
	// RetentionByEvent overrides, per event name, the server retention of
	// ServerRetention() (Server mode only; an event missing from both
	// falls back to Retention).
	RetentionByEvent map[string]time.Duration
	// PurgeInterval is the least time between two server-mode retention
	// purges run by Append (0 = DefaultPurgeInterval); Purge runs one at
	// any time.
	PurgeInterval time.Duration
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
	if o.MaxBytes == 0 && !o.Server {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxBytes < MinMaxBytes && !(o.Server && o.MaxBytes == 0) {
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
	if o.Server {
		if err := o.normalizeServer(); err != nil {
			return o, err
		}
	}
	return o, nil
}

// Event is one stored event. Append reads Name, Time and Attrs (and in
// Server mode EventID) and ignores the other fields, which the spool fills
// in on the way out.
type Event struct {
	// ID is the row id: increasing in insertion order, never reused.
	ID int64
	// EventID is the event's stable id, which downstream uses to drop
	// duplicates. The client spool assigns a random one at insertion (a
	// UUID v7 in its canonical form) and ignores the caller's; in Server
	// mode the caller's is kept (the client's log.record.uid), and a fresh
	// one is assigned only when it is empty.
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

// AppendResult tells what one Append did.
type AppendResult struct {
	// Inserted is the number of events written (all of them, or none on
	// error).
	Inserted int
	// DroppedForCap is the number of pending events deleted to respect
	// MaxBytes (the newest are kept).
	DroppedForCap int
	// EvictedTransmitted is the number of already transmitted events deleted
	// to respect MaxBytes, before any pending one.
	EvictedTransmitted int
	// Purged is the number of events deleted for being older than
	// Retention.
	Purged int
	// Duplicates is the number of events not written because an event with
	// the same EventID is stored (Server mode).
	Duplicates int
	// DeletedByRequest is the number of stored events that the batch's
	// deletion requests deleted (Server mode).
	DeletedByRequest int
	// RefusedDeleted is the number of events not written because a
	// deletion request covers their session and time (Server mode).
	RefusedDeleted int
	// Expired is the number of events not written because they arrived
	// older than their retention (Server mode).
	Expired int
}

// ListOptions select the events returned by List.
type ListOptions struct {
	// Limit is the maximum number of events (0 = all).
	Limit int
	// IncludeTransmitted also returns the events already sent.
	IncludeTransmitted bool
}

// Stats summarize the spool.
type Stats struct {
	Pending      int
	PendingBytes int64 // sum of the pending payloads' sizes
	Total        int   // pending and transmitted
	// OldestPending is the creation time of the oldest pending event (zero
	// when none).
	OldestPending time.Time
	// FileBytes is the size on disk of the database file plus its WAL.
	FileBytes int64
	// Counters holds every named counter (dropped_cap, purged_age, and
	// those added with AddCounters).
	Counters map[string]int64
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

	purgeMu   sync.Mutex // guards lastPurge
	lastPurge time.Time  // of the last Server-mode retention purge
}

// Sizes derived from the cap, which bounds the database file plus its WAL
// (what a crash leaves on disk). The WAL is checkpointed, and truncated on
// reset, past walShare of the cap; between checkpoints it also holds the
// pages of the transaction in progress: the batch, plus for an eviction
// about evictFrames pages written per page evicted (table, index, freelist
// and pointer-map pages, and pages moved by the vacuum). The reserve is
// twice the WAL budget plus that; what is left is the high-water mark of
// the pages in use. Eviction frees down to a low-water mark one step
// (cap / evictShare) below it, so a full spool evicts once per step rather
// than on every append.
const (
	walShare     = 32 // WAL budget = cap / walShare (at least minWAL)
	minWAL       = 64 << 10
	evictShare   = 40 // eviction step = cap / evictShare
	evictFrames  = 3
	slackPages   = 4
	rowOverhead  = 160 // bytes per row beyond its payload (ids, dates, index entries)
	scanBatch    = 512 // rows read per step when choosing what to delete
	maxEvictLoop = 64
	idChunk      = 500 // ids bound per statement
)

// Open opens, creating if needed, the spool at opts.Path.
//
// The folder is created 0700 if missing (an existing folder is left as it
// is) and the file is made 0600. A file that SQLite reports as not a
// database, or as corrupt, is moved aside to <path>.corrupt-<unix seconds>
// (with its -wal and -shm) and a new one is created; Recovered then says
// so. Open never panics; an error leaves nothing open.
func Open(ctx context.Context, opts Options) (*Spool, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	s, err := open(ctx, o)
	if err == nil {
		s.ingest(ctx)
		return s, nil
	}
	if !isCorrupt(err) {
		return nil, fmt.Errorf("open spool %s: %w", o.Path, err)
	}
	moved, merr := moveAside(o.Path, o.Now())
	if merr != nil {
		return nil, fmt.Errorf("open spool %s: %w (moving it aside: %v)", o.Path, err, merr)
	}
	s, err2 := open(ctx, o)
	if err2 != nil {
		return nil, fmt.Errorf("open spool %s after moving a corrupt file aside: %w", o.Path, err2)
	}
	s.recovered = fmt.Sprintf("telemetry spool %s was unreadable (%v); moved it to %s and started a new one",
		o.Path, err, moved)
	s.ingest(ctx)
	return s, nil
}

// ingest stores what a client's InboxExporter staged. A failure (the
// database busy past its timeout, a claim locked by another process) leaves
// the events staged for the next Open, and staged lines that could not be
// read are skipped and counted; Recovered says either.
func (s *Spool) ingest(ctx context.Context) {
	if s.opts.Server {
		return
	}
	malformed, err := s.ingestInbox(ctx)
	var notes []string
	if malformed > 0 {
		notes = append(notes, fmt.Sprintf("skipped %d unreadable staged %s (counted as %s)",
			malformed, plural(malformed, "line", "lines"), CounterInboxMalformed))
	}
	if err != nil {
		notes = append(notes, fmt.Sprintf("staged events stay staged for now (%v)", err))
	}
	switch {
	case len(notes) == 0:
	case s.recovered == "":
		s.recovered = fmt.Sprintf("telemetry spool %s: %s", s.opts.Path, strings.Join(notes, "; "))
	default:
		s.recovered += "; " + strings.Join(notes, "; ")
	}
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Recovered is empty, or says what Open found wrong and did about it, in
// one line for the caller to show as one warning: the database unreadable
// and moved aside, staged lines unreadable and skipped, staged events left
// staged for the next Open.
func (s *Spool) Recovered() string { return s.recovered }

// Path is the database file's absolute path.
func (s *Spool) Path() string { return s.opts.Path }

func open(ctx context.Context, o Options) (*Spool, error) {
	if err := prepareFiles(o.Path); err != nil {
		return nil, err
	}
	walBytes := max(o.MaxBytes/walShare, minWAL)
	q := url.Values{}
	q.Add("_txlock", "immediate")
	q.Add("_busy_timeout", strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10))
	q.Add("_synchronous", "NORMAL")
	q.Add("_pragma", "journal_size_limit("+strconv.FormatInt(walBytes, 10)+")")
	q.Add("_pragma", "wal_autocheckpoint("+strconv.FormatInt(max(walBytes/4096, 8), 10)+")")
	dsn := (&url.URL{Scheme: "file", Path: o.Path, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One connection: its per-connection settings hold for every call, and
	// in-process callers queue on database/sql instead of on file locks.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	s := &Spool{db: db, opts: o}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.stmts = make(map[string]*sql.Stmt)
	for _, q := range []string{insertSQL, insertServerSQL, oldestSQL, newestSQL, pageCountsSQL, tombstoneSQL} {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.stmts[q] = st
	}
	step := o.MaxBytes / evictShare
	s.high = o.MaxBytes - 2*walBytes - evictFrames*step - slackPages*s.pageSize
	s.low = s.high - step
	return s, nil
}

// prepareFiles creates the folder (0700) and the file (0600) so that SQLite
// never creates them with the umask's modes, and tightens an existing file.
func prepareFiles(path string) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	cerr := f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	return cerr
}

// init configures the database and brings its schema up to date. A second
// process may be doing the same on a new file: the steps are idempotent
// and a lost race for the lock is retried until the busy timeout.
func (s *Spool) init(ctx context.Context) error {
	deadline := time.Now().Add(s.opts.BusyTimeout)
	for {
		err := s.initOnce(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Spool) initOnce(ctx context.Context) error {
	var pages int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return err
	}
	if pages == 0 {
		// auto_vacuum only takes effect before the first page is written,
		// and the switch to WAL below writes it.
		if _, err := s.db.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
			return err
		}
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
			return err
		}
		if !strings.EqualFold(mode, "wal") {
			return fmt.Errorf("journal mode is %s, want wal", mode)
		}
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&s.pageSize); err != nil {
		return err
	}
	if err := migrate(ctx, s.db); err != nil {
		return err
	}
	// Touch the roots of the table and its indexes, so that a file whose
	// header is fine but whose pages are missing is caught here, not on the
	// first append. O(log n): a full integrity check would cost
	// milliseconds on every start.
	var id int64
	for _, q := range []string{
		"SELECT coalesce(max(id), 0) FROM events",
		"SELECT count(*) FROM (SELECT 1 FROM events WHERE transmitted_at IS NULL LIMIT 1)",
		"SELECT count(*) FROM (SELECT event_id FROM events ORDER BY event_id DESC LIMIT 1)",
		"SELECT count(*) FROM (SELECT 1 FROM counters LIMIT 1)",
	} {
		if err := s.db.QueryRowContext(ctx, q).Scan(&id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spool) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Close checkpoints the WAL into the database file, truncating it, and
// closes the file. Further calls return ErrClosed; Close itself may be
// called more than once.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	// Another process may be reading: then the checkpoint is partial and
	// the last connection to close finishes it.
	for _, st := range s.stmts {
		st.Close()
	}
	// The checkpoint at close runs without fsync: every commit is already
	// in the WAL, which survives a crash of the process, and syncing here
	// would add milliseconds to every caro exit. Only a power cut in the
	// next seconds could cost the copy, and a spool found corrupt is moved
	// aside and recreated.
	s.db.Exec("PRAGMA synchronous = OFF")
	_, cerr := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close spool %s: %w", s.opts.Path, err)
	}
	if cerr != nil {
		return fmt.Errorf("close spool %s: checkpoint: %w", s.opts.Path, cerr)
	}
	return nil
}

// The statements of every Append.
const (
	insertSQL = "INSERT INTO events (event_type, payload, created_at, event_id, size, session_id, event_time) " +
		"VALUES (?, ?, ?, ?, ?, ?, ?)"
	// insertServerSQL ignores an event whose id is stored already.
	insertServerSQL = insertSQL + " ON CONFLICT (event_id) DO NOTHING"
	oldestSQL       = "SELECT id, created_at FROM events ORDER BY id LIMIT ?"
	newestSQL       = "SELECT created_at FROM events ORDER BY id DESC LIMIT 1"
	pageCountsSQL   = "SELECT * FROM pragma_page_count(), pragma_freelist_count()"
)

// eventTime is the time retention counts from: the event's own time, but
// never later than its arrival (a clock in the future must not extend it).
func eventTime(ts, now time.Time) time.Time {
	if ts.IsZero() || ts.After(now) {
		return now
	}
	return ts
}

// sessionOf returns the event's session id for its indexed column, or nil
// (SQL NULL) for an event without one (deletion.request).
func sessionOf(attrs []schema.Attr) any {
	for _, a := range attrs {
		if a.Key == schema.KeySessionID && a.Value.Type == schema.TypeString {
			return a.Value.Str
		}
	}
	return nil
}

// Append stores the events in one transaction, then, in the same
// transaction, deletes the events older than Retention and, if the file
// would exceed MaxBytes, the oldest transmitted events and then the oldest
// pending ones until it fits, and returns the freed pages to the file system
// (incremental vacuum). Deletions are added to the counters purged_age,
// evicted_transmitted_cap and dropped_cap. An event that event.Encode
// rejects fails the whole call, and nothing is written.
func (s *Spool) Append(ctx context.Context, evs []Event) (AppendResult, error) {
	return s.appendWith(ctx, evs, nil)
}

// appendWith is Append that also adds counters in the same transaction.
func (s *Spool) appendWith(ctx context.Context, evs []Event, counters map[string]int64) (AppendResult, error) {
	return s.appendEvents(ctx, evs, counters, false)
}

// appendEvents is appendWith; with staged, a client spool keeps each
// event's EventID and CreatedAt (set when the event was staged in the
// inbox) and stores an id it holds already only once, so that ingesting a
// staged file twice after a crash duplicates nothing.
func (s *Spool) appendEvents(ctx context.Context, evs []Event, counters map[string]int64, staged bool) (AppendResult, error) {
	var res AppendResult
	if err := s.check(); err != nil {
		return res, err
	}
	if len(evs) == 0 && len(counters) == 0 {
		return res, nil
	}
	payloads := make([][]byte, len(evs))
	for i := range evs {
		p := evs[i].payload
		if p == nil {
			var err error
			if p, err = event.Encode(evs[i].Name, evs[i].Time, evs[i].Attrs); err != nil {
				return res, fmt.Errorf("append to spool: %w", err)
			}
		}
		payloads[i] = p
	}
	now := s.opts.Now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res = AppendResult{}
		if s.opts.Server {
			if err := s.insertServer(ctx, tx, evs, payloads, now, &res); err != nil {
				return err
			}
		} else if err := s.clampFuture(ctx, tx, now); err != nil {
			return err
		} else if len(evs) > 0 {
			created := event.FormatStoreTime(now)
			stmt := tx.StmtContext(ctx, s.stmts[insertSQL])
			keep := tx.StmtContext(ctx, s.stmts[insertServerSQL])
			for i := range evs {
				if staged && evs[i].EventID != "" {
					at := created
					if c := evs[i].CreatedAt; !c.IsZero() && c.Before(now) {
						// Staged by a clock ahead of this one: retention
						// counts from now, never from a time to come.
						at = event.FormatStoreTime(c)
					}
					r, err := keep.ExecContext(ctx, evs[i].Name, payloads[i], at, evs[i].EventID, len(payloads[i]),
						sessionOf(evs[i].Attrs), event.FormatStoreTime(eventTime(evs[i].Time, now)))
					if err != nil {
						return err
					}
					if n, _ := r.RowsAffected(); n > 0 {
						res.Inserted++
					} else {
						res.Duplicates++
					}
					continue
				}
				id, err := event.NewRecordUID()
				if err != nil {
					return err
				}
				if _, err := stmt.ExecContext(ctx, evs[i].Name, payloads[i], created, id, len(payloads[i]),
					sessionOf(evs[i].Attrs), event.FormatStoreTime(eventTime(evs[i].Time, now))); err != nil {
					return err
				}
				res.Inserted++
			}
		}
		var err error
		if s.opts.Server {
			res.Purged, err = s.purgeServer(ctx, tx, now, false)
		} else {
			res.Purged, err = s.purgeExpired(ctx, tx, now)
		}
		if err != nil {
			return err
		}
		if s.opts.MaxBytes > 0 {
			if res.EvictedTransmitted, res.DroppedForCap, err = s.enforceCap(ctx, tx); err != nil {
				return err
			}
		}
		if res.Purged+res.EvictedTransmitted+res.DroppedForCap > 0 {
			if err := s.vacuum(ctx, tx); err != nil {
				return err
			}
		}
		purgedAge := int64(res.Purged)
		if s.opts.Server {
			purgedAge = 0 // purgeServer counts its own, as purged_retention
		}
		all := map[string]int64{
			CounterPurgedAge:          purgedAge,
			CounterEvictedTransmitted: int64(res.EvictedTransmitted),
			CounterDroppedCap:         int64(res.DroppedForCap),
		}
		if s.opts.Server {
			all[CounterDuplicate] = int64(res.Duplicates)
			all[CounterDeletedByRequest] = int64(res.DeletedByRequest)
			all[CounterRefusedDeleted] = int64(res.RefusedDeleted)
			all[CounterRefusedExpired] = int64(res.Expired)
		}
		for k, v := range counters {
			all[k] += v
		}
		return addCounters(ctx, tx, all)
	})
	if err != nil {
		return AppendResult{}, fmt.Errorf("append to spool %s: %w", s.opts.Path, err)
	}
	return res, nil
}

// write runs f in one BEGIN IMMEDIATE transaction.
func (s *Spool) write(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// clampFuture brings created_at back to now for the events stored while
// the clock was ahead (a clock set a year forward, then corrected): else
// they would be kept until that future time plus Retention, and, since
// purgeExpired stops at the first young row, so would every event stored
// after them. Rows are stored in time order, so those events are the
// newest when the clock comes back: one probe of the newest row finds
// them, before this append stores newer ones.
func (s *Spool) clampFuture(ctx context.Context, tx *sql.Tx, now time.Time) error {
	var newest string
	err := tx.StmtContext(ctx, s.stmts[newestSQL]).QueryRowContext(ctx).Scan(&newest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	at := event.FormatStoreTime(now)
	if newest <= at {
		return nil
	}
	_, err = tx.ExecContext(ctx, "UPDATE events SET created_at = ? WHERE created_at > ?", at, at)
	return err
}

// purgeExpired deletes the events created before now - Retention. Row ids
// follow creation order, so it walks from the oldest row and stops at the
// first one still young: a spool with nothing expired pays one index probe.
func (s *Spool) purgeExpired(ctx context.Context, tx *sql.Tx, now time.Time) (int, error) {
	cutoff := event.FormatStoreTime(now.Add(-s.opts.Retention))
	total := 0
	for {
		rows, err := tx.StmtContext(ctx, s.stmts[oldestSQL]).QueryContext(ctx, scanBatch)
		if err != nil {
			return total, err
		}
		var last int64
		n, young := 0, false
		for rows.Next() {
			var id int64
			var created string
			if err := rows.Scan(&id, &created); err != nil {
				rows.Close()
				return total, err
			}
			n++
			if created >= cutoff {
				young = true
				break
			}
			last = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, err
		}
		if last == 0 {
			return total, nil
		}
		r, err := tx.ExecContext(ctx, "DELETE FROM events WHERE id <= ? AND created_at < ?", last, cutoff)
		if err != nil {
			return total, err
		}
		d, _ := r.RowsAffected()
		total += int(d)
		if young || n < scanBatch {
			return total, nil
		}
	}
}

// pageCounts returns the pages of the database and how many of them are
// free.
func (s *Spool) pageCounts(ctx context.Context, tx *sql.Tx) (pages, free int64, err error) {
	err = tx.StmtContext(ctx, s.stmts[pageCountsSQL]).QueryRowContext(ctx).Scan(&pages, &free)
	return pages, free, err
}

// usedBytes is the size of the pages in use, as the file will be once the
// free pages are vacuumed and the WAL checkpointed.
func (s *Spool) usedBytes(ctx context.Context, tx *sql.Tx) (int64, error) {
	pages, free, err := s.pageCounts(ctx, tx)
	return (pages - free) * s.pageSize, err
}

// vacuum gives free pages back to the file system after deletions: all of
// them but one eviction step's worth, which the next appends reuse without
// moving pages around, and in any case those above the high-water mark.
// Moving pages costs WAL frames, so a full spool that evicts a little at a
// time does not rewrite its tail on every append.
func (s *Spool) vacuum(ctx context.Context, tx *sql.Tx) error {
	pages, free, err := s.pageCounts(ctx, tx)
	if err != nil {
		return err
	}
	keep := (s.high - s.low) / s.pageSize
	n := max(free-keep, pages-s.high/s.pageSize)
	if n <= 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, "PRAGMA incremental_vacuum("+strconv.FormatInt(min(n, free), 10)+")")
	return err
}

// enforceCap deletes the oldest events until the pages in use fit under the
// high-water mark, aiming at the low-water mark: transmitted events first
// (their data is already delivered), then pending ones. It measures after
// each step, so the per-row estimate only sets the step size.
func (s *Spool) enforceCap(ctx context.Context, tx *sql.Tx) (evicted, dropped int, err error) {
	for range maxEvictLoop {
		used, err := s.usedBytes(ctx, tx)
		if err != nil {
			return evicted, dropped, err
		}
		if used <= s.high {
			return evicted, dropped, nil
		}
		need := used - s.low
		n, freed, err := s.deleteOldest(ctx, tx, true, need)
		if err != nil {
			return evicted, dropped, err
		}
		evicted += n
		m := 0
		if freed < need {
			if m, _, err = s.deleteOldest(ctx, tx, false, need-freed); err != nil {
				return evicted, dropped, err
			}
			dropped += m
		}
		if n+m == 0 {
			return evicted, dropped, nil // nothing left to delete
		}
	}
	return evicted, dropped, nil
}

// deleteOldest deletes the oldest events of one class whose estimated
// footprint adds up to need bytes, and returns how many rows and estimated
// bytes it deleted.
func (s *Spool) deleteOldest(ctx context.Context, tx *sql.Tx, transmitted bool, need int64) (int, int64, error) {
	sel := "SELECT id, size FROM events WHERE transmitted_at IS NULL ORDER BY id LIMIT ?"
	if transmitted {
		sel = "SELECT id, size FROM events WHERE transmitted_at IS NOT NULL ORDER BY transmitted_at, id LIMIT ?"
	}
	var ids []int64
	var freed int64
	rows, err := tx.QueryContext(ctx, sel, need/rowOverhead+1) // enough rows even if all were empty
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() && freed < need {
		var id, size int64
		if err := rows.Scan(&id, &size); err != nil {
			rows.Close()
			return 0, 0, err
		}
		ids = append(ids, id)
		freed += size + rowOverhead
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	n, err := deleteIDs(ctx, tx, ids)
	return n, freed, err
}

func deleteIDs(ctx context.Context, tx *sql.Tx, ids []int64) (int, error) {
	total := 0
	err := inChunks(ids, func(in string, args []any) error {
		r, err := tx.ExecContext(ctx, "DELETE FROM events WHERE id IN ("+in+")", args...)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		total += int(n)
		return nil
	})
	return total, err
}

// inChunks calls f with at most idChunk ids at a time, as a list of
// placeholders and its arguments.
func inChunks(ids []int64, f func(in string, args []any) error) error {
	for len(ids) > 0 {
		n := min(len(ids), idChunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if err := f(strings.Repeat("?,", n-1)+"?", args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func addCounters(ctx context.Context, tx *sql.Tx, counters map[string]int64) error {
	for k, v := range counters {
		if v == 0 {
			continue
		}
		if k == "" {
			return errors.New("counter name is empty")
		}
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO counters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
			k, v); err != nil {
			return err
		}
	}
	return nil
}

// AddCounters adds each delta to its named counter, in one transaction.
func (s *Spool) AddCounters(ctx context.Context, deltas map[string]int64) error {
	if err := s.check(); err != nil {
		return err
	}
	if len(deltas) == 0 {
		return nil
	}
	if err := s.write(ctx, func(tx *sql.Tx) error { return addCounters(ctx, tx, deltas) }); err != nil {
		return fmt.Errorf("add counters to spool %s: %w", s.opts.Path, err)
	}
	return nil
}

const eventColumns = "id, event_id, event_type, payload, size, created_at, transmitted_at, export_id"

// Pending returns up to limit pending events, oldest first (limit <= 0: all).
// A row whose payload no longer decodes (see event.Decode) is skipped: it
// cannot be sent, and retention or Clear removes it.
func (s *Spool) Pending(ctx context.Context, limit int) ([]Event, error) {
	return s.List(ctx, ListOptions{Limit: limit})
}

// List returns events oldest first: the pending ones, or all of them with
// IncludeTransmitted, up to Limit (0: all). Undecodable rows are skipped as
// in Pending.
func (s *Spool) List(ctx context.Context, lo ListOptions) ([]Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	q := "SELECT " + eventColumns + " FROM events"
	if !lo.IncludeTransmitted {
		q += " WHERE transmitted_at IS NULL"
	}
	// No LIMIT in SQL: rows that do not decode are skipped, and Limit counts
	// the events returned. Rows are read lazily, so stopping early is cheap.
	q += " ORDER BY id"
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list spool %s: %w", s.opts.Path, err)
	}
	defer rows.Close()
	var out []Event
	for (lo.Limit <= 0 || len(out) < lo.Limit) && rows.Next() {
		var (
			e                  Event
			payload            []byte
			created            string
			transmitted, expID sql.NullString
		)
		if err := rows.Scan(&e.ID, &e.EventID, &e.Name, &payload, &e.Size, &created, &transmitted, &expID); err != nil {
			return nil, fmt.Errorf("list spool %s: %w", s.opts.Path, err)
		}
		name, ts, attrs, err := event.Decode(payload)
		if err != nil || name != e.Name {
			continue
		}
		e.Time, e.Attrs = ts, attrs
		if e.CreatedAt, err = event.ParseStoreTime(created); err != nil {
			continue
		}
		if transmitted.Valid {
			if e.TransmittedAt, err = event.ParseStoreTime(transmitted.String); err != nil {
				continue
			}
		}
		e.ExportID = expID.String
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list spool %s: %w", s.opts.Path, err)
	}
	return out, nil
}

// MarkTransmitted records that the events were sent at the given time (zero:
// Options.Now). An event already marked keeps its first time; unknown ids
// are ignored.
func (s *Spool) MarkTransmitted(ctx context.Context, ids []int64, at time.Time) error {
	if at.IsZero() {
		at = s.opts.Now()
	}
	return s.updateIDs(ctx, "mark transmitted in", ids,
		"UPDATE events SET transmitted_at = ? WHERE transmitted_at IS NULL AND id IN (%s)", event.FormatStoreTime(at))
}

// SetExportID records the air-gapped export that included the events.
func (s *Spool) SetExportID(ctx context.Context, ids []int64, exportID string) error {
	return s.updateIDs(ctx, "set export id in", ids, "UPDATE events SET export_id = ? WHERE id IN (%s)", exportID)
}

func (s *Spool) updateIDs(ctx context.Context, what string, ids []int64, stmt string, value string) error {
	if err := s.check(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		return inChunks(ids, func(in string, args []any) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(stmt, in), append([]any{value}, args...)...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("%s spool %s: %w", what, s.opts.Path, err)
	}
	return nil
}

// Delete deletes the events with the given ids, pending or not, returns how
// many existed, and gives the freed pages back to the file system.
func (s *Spool) Delete(ctx context.Context, ids []int64) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = deleteIDs(ctx, tx, ids); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "PRAGMA incremental_vacuum")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete from spool %s: %w", s.opts.Path, err)
	}
	return n, nil
}

// Clear deletes every pending event (caro telemetry clear), returns how
// many, and gives the freed pages back to the file system. Transmitted
// events and counters stay.
func (s *Spool) Clear(ctx context.Context) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "DELETE FROM events WHERE transmitted_at IS NULL")
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		_, err = tx.ExecContext(ctx, "PRAGMA incremental_vacuum")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("clear spool %s: %w", s.opts.Path, err)
	}
	return int(n), nil
}

// Stats returns the spool's counts and counters, read from one snapshot.
func (s *Spool) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	if err := s.check(); err != nil {
		return st, err
	}
	err := func() error {
		tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // a deferred, read-only BEGIN
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var oldest sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0),
			(SELECT created_at FROM events WHERE transmitted_at IS NULL ORDER BY id LIMIT 1)
			FROM events WHERE transmitted_at IS NULL`).Scan(&st.Pending, &st.PendingBytes, &oldest); err != nil {
			return err
		}
		if oldest.Valid {
			if st.OldestPending, err = event.ParseStoreTime(oldest.String); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&st.Total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT key, value FROM counters")
		if err != nil {
			return err
		}
		defer rows.Close()
		st.Counters = make(map[string]int64)
		for rows.Next() {
			var k string
			var v int64
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			st.Counters[k] = v
		}
		return rows.Err()
	}()
	if err != nil {
		return Stats{}, fmt.Errorf("stats of spool %s: %w", s.opts.Path, err)
	}
	st.FileBytes = fileBytes(s.opts.Path)
	return st, nil
}

// fileBytes is the size on disk of the database and its WAL.
func fileBytes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

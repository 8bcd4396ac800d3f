package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"caro.sh/telemetry/schema"
)

// Event is one stored Caro event.
type Event struct {
	// UID is the event's log.record.uid: the key that makes a second copy
	// of the event (a retried upload, an export sent twice, another
	// replica) a duplicate.
	UID string
	// Name is the event name (schema.EventSessionStart, ...).
	Name string
	// Time is the event's timestamp.
	Time time.Time
	// Attrs are the event's fields; on the way out in schema order.
	Attrs []schema.Attr
	// ReceivedAt is when the store took the event (set on the way out).
	ReceivedAt time.Time
	// ExportedAt is when an air-gapped export took it; zero while it has
	// not (set on the way out).
	ExportedAt time.Time
}

// Result counts what one Append did with its events.
type Result struct {
	// Stored events are new.
	Stored int
	// Duplicates were stored already (same uid).
	Duplicates int
	// RefusedDeleted belong to a session deleted by a deletion request up
	// to a time at or after theirs.
	RefusedDeleted int
	// Expired are older than their retention: stored, they would be
	// purged at once.
	Expired int
	// DeletedByRequest counts stored events that the batch's deletion
	// requests removed.
	DeletedByRequest int
}

// Options configure a Store.
type Options struct {
	// Path is the SQLite database file (created 0600, its folder 0700).
	// Exactly one of Path and DSN is set.
	Path string
	// DSN is a PostgreSQL connection string (postgres://...). Any number
	// of stores (collector replicas) may share one database.
	DSN string
	// MustExist refuses to create a store that is not there yet (readers
	// such as caro-insights).
	MustExist bool
	// Retention is how long events are kept, by event name, counted from
	// the event's time; a missing name gets the spec's default
	// (RetentionFor).
	Retention map[string]time.Duration
	// MaxBytes caps a SQLite file (0: no cap, retention bounds it): past
	// it, Maintain deletes the oldest events first.
	MaxBytes int64
	// MaxBatchEvents bounds one group commit (0: DefaultMaxBatchEvents).
	MaxBatchEvents int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// DefaultMaxBatchEvents bounds one group commit: large enough to share a
// commit between a few dozen concurrent requests, small enough that one
// transaction stays short.
const DefaultMaxBatchEvents = 20000

// RetentionFor returns the spec's server retention of an event type.
func RetentionFor(name string) time.Duration {
	if ev, ok := schema.Lookup(name); ok {
		return time.Duration(ev.RetentionDays) * 24 * time.Hour
	}
	return schema.RawRetentionDays * 24 * time.Hour
}

// ErrClosed is returned by calls on a closed Store.
var ErrClosed = errors.New("store closed")

// ErrGone is returned by Append when a SQLite store's file was removed or
// replaced while it was open (its folder deleted under a running
// collector): the commit went into a file no one will read again, so it is
// not acknowledged. Open the store again to create a new file at its path.
var ErrGone = errors.New("the store's file was removed or replaced while open")

// ErrNotFound is returned by Open with MustExist when there is no store.
var ErrNotFound = errors.New("no store")

// Store is the collector's store of Caro events: one typed column per
// schema field, deduplicated by uid, with deletion requests, retention and
// air-gapped exports. Its methods are safe for concurrent use.
//
// Appends share transactions (group commit): a writer goroutine takes
// every request waiting, commits their events together and only then
// answers each, so that a caller told "stored" can rely on it even if the
// process is killed the next moment, and concurrent requests pay for one
// commit instead of one each.
type Store struct {
	opts    Options
	b       backend
	queue   chan *request
	closing chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	commits atomic.Int64 // transactions committed, for tests of the sharing
}

// request is one Append waiting for its commit.
type request struct {
	evs  []Event
	rows []row
	res  Result
	done chan error
}

// Open opens (creating or migrating as needed) the store of opts.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if (opts.Path == "") == (opts.DSN == "") {
		return nil, errors.New("store: set exactly one of a SQLite path and a PostgreSQL DSN")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatchEvents <= 0 {
		opts.MaxBatchEvents = DefaultMaxBatchEvents
	}
	ret := make(map[string]time.Duration)
	for _, ev := range schema.Events() {
		ret[ev.Name] = RetentionFor(ev.Name)
	}
	for name, d := range opts.Retention {
		if d <= 0 {
			return nil, fmt.Errorf("store: retention of %s is %v, want more than zero", name, d)
		}
		ret[name] = d
	}
	opts.Retention = ret
	var (
		b   backend
		err error
	)
	if opts.DSN != "" {
		b, err = openPostgres(ctx, opts)
	} else {
		b, err = openSQLite(ctx, opts)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{opts: opts, b: b, queue: make(chan *request, 1024), closing: make(chan struct{})}
	for range b.writers() {
		s.wg.Add(1)
		go s.writer()
	}
	return s, nil
}

// Dialect is the store's SQL dialect, for readers that query it.
func (s *Store) Dialect() Dialect { return s.b.dialect() }

// DB is the store's database, for readers (caro-insights). Writes go
// through the Store.
func (s *Store) DB() *sql.DB { return s.b.db() }

// Migrated says what Open migrated ("" when nothing), for the log.
func (s *Store) Migrated() string {
	if m, ok := s.b.(interface{ migration() string }); ok {
		return m.migration()
	}
	return ""
}

// Where names the store for messages: the SQLite path, or the DSN without
// its password.
func (s *Store) Where() string { return s.b.where() }

// Append stores evs in one commit shared with the other Appends waiting,
// and returns once it is durable. The events must have passed redaction;
// an event without a UID is refused.
func (s *Store) Append(ctx context.Context, evs []Event) (Result, error) {
	if len(evs) == 0 {
		return Result{}, nil
	}
	r := &request{evs: evs, done: make(chan error, 1)}
	if err := s.prepare(r); err != nil {
		return Result{}, err
	}
	select {
	case <-s.closing:
		return Result{}, ErrClosed
	default:
	}
	select {
	case s.queue <- r:
	case <-s.closing:
		return Result{}, ErrClosed
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case err := <-r.done:
		return r.res, err
	case <-ctx.Done():
		// The commit may still happen: a retry is a duplicate, dropped
		// by uid.
		return Result{}, ctx.Err()
	}
}

// prepare turns the request's events into rows, refusing the expired.
func (s *Store) prepare(r *request) error {
	received := s.opts.Now()
	today := day(received)
	r.rows = make([]row, len(r.evs))
	for i := range r.evs {
		ev := &r.evs[i]
		if ev.UID == "" {
			return fmt.Errorf("store: event %d (%s) has no uid", i, ev.Name)
		}
		if _, ok := schema.Lookup(ev.Name); !ok {
			return fmt.Errorf("store: event %d: unknown event %q", i, ev.Name)
		}
		rw := &r.rows[i]
		rw.ev = ev
		rw.expires = expiresOn(ev.Time, s.opts.Retention[ev.Name])
		if !rw.expires.After(today) {
			rw.status = statusExpired
			r.res.Expired++
			continue
		}
		for _, a := range ev.Attrs {
			switch {
			case a.Key == schema.KeySessionID && a.Value.Type == schema.TypeString:
				rw.session = a.Value.Str
			case ev.Name == schema.EventDeletionRequest && a.Key == schema.KeySessionIDs:
				rw.deletes = a.Value.List
			}
		}
		rw.args = s.b.args(rw, received)
	}
	return nil
}

// expiresOn is the UTC day from which an event of time t, kept for
// retention, is dropped: the day after t+retention, so that an event is
// never dropped early and at most a day late (retention works by whole
// days, which PostgreSQL drops as partitions).
func expiresOn(t time.Time, retention time.Duration) time.Time {
	return day(t.Add(retention)).Add(24 * time.Hour)
}

// day is t's UTC day at midnight.
func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// writer commits what is queued, a batch at a time, until Close.
func (s *Store) writer() {
	defer s.wg.Done()
	for {
		var first *request
		select {
		case first = <-s.queue:
		case <-s.closing:
			// Close waits for Appends already queued: answer them.
			for {
				select {
				case r := <-s.queue:
					s.commit([]*request{r})
				default:
					return
				}
			}
		}
		batch, n := []*request{first}, len(first.rows)
	drain:
		for n < s.opts.MaxBatchEvents {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
				n += len(r.rows)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

// commit stores a batch of requests in one transaction and answers each.
func (s *Store) commit(reqs []*request) {
	b := &batch{now: s.opts.Now()}
	seen := make(map[string]bool)
	for _, r := range reqs {
		for i := range r.rows {
			rw := &r.rows[i]
			if rw.status != statusPending {
				continue
			}
			// Two copies in one batch (a retry racing its original):
			// the first is the one inserted.
			if seen[rw.ev.UID] {
				rw.status = statusDuplicate
				continue
			}
			seen[rw.ev.UID] = true
			b.rows = append(b.rows, rw)
		}
	}
	err := s.b.commit(context.Background(), b)
	s.commits.Add(1)
	if err != nil {
		err = fmt.Errorf("store %s: %w", s.Where(), err)
	}
	for _, r := range reqs {
		if err == nil {
			for i := range r.rows {
				switch r.rows[i].status {
				case statusStored:
					r.res.Stored++
				case statusDuplicate:
					r.res.Duplicates++
				case statusRefusedDeleted:
					r.res.RefusedDeleted++
				}
			}
			// Deletions are counted once, on the first request.
			if r == reqs[0] {
				r.res.DeletedByRequest = b.deleted
			}
		}
		r.done <- err
	}
}

// Maintain runs retention (and a SQLite file's size cap) once, and
// returns how many events it deleted. The collector calls it on a timer,
// never inside an Append.
func (s *Store) Maintain(ctx context.Context) (int64, error) {
	n, err := s.b.maintain(ctx, s.opts.Now(), s.longestRetention())
	if err != nil {
		return n, fmt.Errorf("maintain store %s: %w", s.Where(), err)
	}
	return n, nil
}

func (s *Store) longestRetention() time.Duration {
	var d time.Duration
	for _, r := range s.opts.Retention {
		d = max(d, r)
	}
	return d
}

// Pending returns up to limit events no air-gapped export has taken, in
// the order they were stored.
func (s *Store) Pending(ctx context.Context, limit int) ([]Event, error) {
	evs, err := s.b.pending(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("read store %s: %w", s.Where(), err)
	}
	return evs, nil
}

// MarkExported records that the export file exportID took the events.
func (s *Store) MarkExported(ctx context.Context, uids []string, exportID string, at time.Time) error {
	if err := s.b.markExported(ctx, uids, exportID, at); err != nil {
		return fmt.Errorf("mark exported in store %s: %w", s.Where(), err)
	}
	return nil
}

// CountByType returns how many events of each type are stored.
func (s *Store) CountByType(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64)
	rows, err := s.DB().QueryContext(ctx, "SELECT event_type, count(*) FROM events GROUP BY event_type")
	if err != nil {
		return nil, fmt.Errorf("count store %s: %w", s.Where(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("count store %s: %w", s.Where(), err)
		}
		out[name] = n
	}
	return out, rows.Err()
}

// Close answers the Appends already queued, then closes the database.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closing)
		s.wg.Wait()
		err = s.b.close()
	})
	return err
}

// status is what became of one row.
type status uint8

const (
	statusPending status = iota
	statusStored
	statusDuplicate
	statusRefusedDeleted
	statusExpired
)

// row is one event on its way into the table.
type row struct {
	ev      *Event
	session string    // its session_id, "" for none
	deletes []string  // a deletion request's session ids
	expires time.Time // the UTC day retention drops it
	status  status
	// args are the row's insert arguments, built by the caller's
	// goroutine (backend.args) so that the one writer only executes.
	args []any
}

// batch is what one transaction stores.
type batch struct {
	rows    []*row
	now     time.Time
	deleted int
}

// deletions returns the batch's deletion requests as session id -> the
// latest time up to which its events go.
func (b *batch) deletions() map[string]time.Time {
	var out map[string]time.Time
	for _, r := range b.rows {
		for _, id := range r.deletes {
			if out == nil {
				out = make(map[string]time.Time)
			}
			// A request deletes up to when it was made, and never the
			// future: a clock ahead on the device cannot pre-delete.
			before := r.ev.Time
			if before.After(b.now) {
				before = b.now
			}
			if t, ok := out[id]; !ok || before.After(t) {
				out[id] = before
			}
		}
	}
	return out
}

// sessions returns the distinct session ids of the batch's rows.
func (b *batch) sessions() []string {
	seen := make(map[string]bool)
	var out []string
	for _, r := range b.rows {
		if r.session != "" && !seen[r.session] {
			seen[r.session] = true
			out = append(out, r.session)
		}
	}
	return out
}

// refuseDeleted marks the rows that a tombstone (session id -> deleted up
// to) covers.
func (b *batch) refuseDeleted(tombstones map[string]time.Time) {
	if len(tombstones) == 0 {
		return
	}
	for _, r := range b.rows {
		if t, ok := tombstones[r.session]; ok && r.session != "" && !r.ev.Time.After(t) {
			r.status = statusRefusedDeleted
		}
	}
}

// backend is a database that holds the table.
type backend interface {
	// commit applies the batch's deletion requests, then inserts its rows
	// that no tombstone covers, setting each row's status, in one
	// transaction.
	commit(ctx context.Context, b *batch) error
	maintain(ctx context.Context, now time.Time, longest time.Duration) (int64, error)
	pending(ctx context.Context, limit int) ([]Event, error)
	markExported(ctx context.Context, uids []string, exportID string, at time.Time) error
	// args builds a row's insert arguments, received at received.
	args(r *row, received time.Time) []any
	writers() int
	dialect() Dialect
	db() *sql.DB
	where() string
	close() error
}

// scanner reads rows of selectColumns() into Events.
type scanner struct {
	d      Dialect
	dest   []any
	uid    string
	name   string
	times  [3]any
	values []any
}

func newScanner(d Dialect) *scanner {
	sc := &scanner{d: d}
	sc.times = [3]any{d.newTime(), d.newTime(), d.newTime()}
	sc.dest = append(sc.dest, &sc.uid, &sc.name, sc.times[0], sc.times[1], sc.times[2])
	for _, c := range fields {
		var v any
		switch c.Type {
		case schema.TypeString, schema.TypeStringList:
			v = new(sql.NullString)
		case schema.TypeInt:
			v = new(sql.NullInt64)
		case schema.TypeBool:
			v = new(sql.NullBool)
		case schema.TypeFloat:
			v = new(sql.NullFloat64)
		}
		sc.values = append(sc.values, v)
		sc.dest = append(sc.dest, v)
	}
	return sc
}

func (sc *scanner) scan(rows *sql.Rows) (Event, error) {
	if err := rows.Scan(sc.dest...); err != nil {
		return Event{}, err
	}
	ev := Event{UID: sc.uid, Name: sc.name}
	var err error
	if ev.Time, err = sc.d.readTime(sc.times[0]); err != nil {
		return Event{}, err
	}
	if ev.ReceivedAt, err = sc.d.readTime(sc.times[1]); err != nil {
		return Event{}, err
	}
	if ev.ExportedAt, err = sc.d.readTime(sc.times[2]); err != nil {
		return Event{}, err
	}
	def, ok := schema.Lookup(ev.Name)
	if !ok {
		return ev, nil // a type this build does not know: no fields to give
	}
	for i := range def.Fields {
		f := &def.Fields[i]
		j, ok := fieldIndex[f.Key]
		if !ok {
			continue
		}
		switch v := sc.values[j].(type) {
		case *sql.NullString:
			if !v.Valid {
				continue
			}
			if f.Type == schema.TypeStringList {
				var list []string
				if v.String != "" {
					list = strings.Split(v.String, listSep)
				}
				ev.Attrs = append(ev.Attrs, schema.Attr{Key: f.Key, Value: schema.StringList(list)})
			} else {
				ev.Attrs = append(ev.Attrs, schema.Attr{Key: f.Key, Value: schema.String(v.String)})
			}
		case *sql.NullInt64:
			if v.Valid {
				ev.Attrs = append(ev.Attrs, schema.Attr{Key: f.Key, Value: schema.Int(v.Int64)})
			}
		case *sql.NullBool:
			if v.Valid {
				ev.Attrs = append(ev.Attrs, schema.Attr{Key: f.Key, Value: schema.Bool(v.Bool)})
			}
		case *sql.NullFloat64:
			if v.Valid {
				ev.Attrs = append(ev.Attrs, schema.Attr{Key: f.Key, Value: schema.Float(v.Float64)})
			}
		}
	}
	return ev, nil
}

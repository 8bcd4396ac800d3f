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

	"caro.sh/telemetry/event"
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

// Result counts what became of a request's events.
type Result struct {
	// Accepted events are durable: in the journal (SQLite) or committed
	// (PostgreSQL). What became of them in the table is told by the fields
	// below, which Accept leaves zero and Append fills.
	Accepted int
	// Stored events are new.
	Stored int
	// Duplicates were stored already (same uid, type and time: a copy).
	Duplicates int
	// RefusedDeleted belong to a session deleted by a deletion request up
	// to a time at or after theirs.
	RefusedDeleted int
	// Expired are older than their retention: stored, they would be
	// purged at once. They are refused before the journal.
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
	// OnApplied, when set, is told what became of each accepted request's
	// events once they are in the table (Accepted and Expired are zero:
	// Accept returned those), from the store's own goroutine: a collector
	// counts its metrics with it. It must not block.
	OnApplied func(Result)

	// holdApply, in tests, keeps the applier from starting an apply until
	// it is closed, so that events stay in the journal only.
	holdApply chan struct{}
}

// DefaultMaxBatchEvents bounds one group commit. Under load a SQLite
// store commits what arrived during its last commit, and into a store of
// a million events whose times arrive in no order, nearly every event of
// a commit lands on an index page of its own, which the commit writes
// whole: the bigger the commit, the more events share each page.
// Measured (BenchmarkAppend -benchtime 8000x, 1.58 million events into
// a new store): 47,200 events/s with commits of up to 20,000 events,
// 66,000 with 40,000, 72,200 with 60,000, 71,300 with 100,000. Its
// memory is bounded by maxPendingEvents (backend.hold keeps a waiting
// event in about 550 bytes).
const DefaultMaxBatchEvents = 50000

// maxPendingEvents bounds the events a SQLite store holds accepted but not
// yet in the table (in memory, besides the journal): past it, Accept waits
// for the applier, so that a load the disk cannot keep up with slows its
// clients instead of growing the collector's memory.
const maxPendingEvents = 2 * DefaultMaxBatchEvents

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
// schema field, deduplicated by uid (with the event's type and time), with
// deletion requests, retention and air-gapped exports. Its methods are safe for concurrent use.
//
// Writes share work (group commit). PostgreSQL: a writer goroutine takes
// every request waiting, commits their events together and only then
// answers each. SQLite: a writer goroutine appends every request waiting
// to the journal in one write and answers each (the events now survive
// the process being killed), and an applier goroutine commits whatever
// the journal holds into the table in one transaction (journal.go says
// why).
type Store struct {
	opts    Options
	b       backend
	queue   chan *request
	closing chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	commits atomic.Int64 // transactions committed, for tests of the sharing

	// The journal (SQLite only; nil for PostgreSQL), and what the writer
	// and the applier share, under mu.
	j         *journal
	recovered string
	mu        sync.Mutex
	room      *sync.Cond // signalled when applied events leave pending
	pending   []*request // journaled, not yet applied, in journal order
	pendingN  int        // their events, and those of the apply under way
	queued    int        // the events of pending alone
	urgent    int        // callers waiting for the table (Flush, Append)
	failure   error      // the last apply's error, until one succeeds
	written   uint64     // requests journaled
	applied   uint64     // requests applied (in order)
	progress  chan struct{}
	wake      chan struct{}
	applyStop chan struct{}
	applyDone chan struct{}
}

// request is one Accept or Append waiting for its events.
type request struct {
	evs     []Event
	rows    []row
	line    []byte // the journal lines of its rows to insert
	res     Result
	seq     uint64     // its place in the journal
	segment uint64     // the journal segment that holds it
	at      time.Time  // when it was journaled
	done    chan error // durable: journaled, or committed
	// applied is closed once the events are in the table (or will not
	// be: err says why).
	applied chan struct{}
	err     error
}

// Open opens (creating or migrating as needed) the store of opts. A
// SQLite store opened for writing (not MustExist) replays the journal a
// killed process left, and refuses a second writer process.
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
	if opts.Path != "" && !opts.MustExist {
		if err := s.startJournal(ctx); err != nil {
			b.close()
			return nil, fmt.Errorf("open store %s: %w", b.where(), err)
		}
		s.wg.Add(1)
		go s.writer(s.journalBatch)
		return s, nil
	}
	for range b.writers() {
		s.wg.Add(1)
		go s.writer(s.commitBatch)
	}
	return s, nil
}

// startJournal takes the writer lock, replays what a killed process left
// in the journal, and starts a new segment and the applier.
func (s *Store) startJournal(ctx context.Context) error {
	j, err := openJournal(s.b.where())
	if err != nil {
		return err
	}
	var events, torn int
	for _, seq := range j.old {
		n, t, err := s.replay(ctx, j.path, seq)
		if err != nil {
			j.close(false)
			return fmt.Errorf("replay the journal: %w", err)
		}
		events, torn = events+n, torn+t
		if err := j.removeThrough(seq); err != nil {
			j.close(false)
			return err
		}
	}
	if len(j.old) > 0 {
		s.recovered = fmt.Sprintf("replayed %d events from %d journal segments a stopped process left", events, len(j.old))
		if torn > 0 {
			s.recovered += fmt.Sprintf(" (%d unreadable lines skipped: writes that were cut short, never acknowledged)", torn)
		}
	}
	if err := j.start(); err != nil {
		j.close(false)
		return err
	}
	s.j = j
	s.room = sync.NewCond(&s.mu)
	s.progress = make(chan struct{})
	s.wake = make(chan struct{}, 1)
	s.applyStop = make(chan struct{})
	s.applyDone = make(chan struct{})
	go s.applier()
	return nil
}

// replay commits the events of one journal segment, received when the
// journal says, and returns how many it read and how many lines it could
// not.
func (s *Store) replay(ctx context.Context, path string, seq uint64) (int, int, error) {
	rep, err := readSegment(path, seq)
	if err != nil {
		return 0, 0, err
	}
	for start := 0; start < len(rep.evs); start += s.opts.MaxBatchEvents {
		end := min(start+s.opts.MaxBatchEvents, len(rep.evs))
		var reqs []*request
		for i := start; i < end; i++ {
			r := &request{evs: rep.evs[i : i+1]}
			if err := s.prepareAt(r, rep.received[i], false); err != nil {
				return 0, 0, err
			}
			reqs = append(reqs, r)
		}
		if err := s.apply(ctx, reqs); err != nil {
			return 0, 0, err
		}
	}
	return len(rep.evs), rep.torn, nil
}

// Recovered says what Open replayed from the journal ("" when nothing),
// for the log.
func (s *Store) Recovered() string { return s.recovered }

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

// Accept makes evs durable and returns: once they are in the journal
// (SQLite) or committed (PostgreSQL), sharing the write with the other
// requests waiting. An accepted event survives the process being killed;
// it reaches the table a moment later, and Options.OnApplied is told what
// became of it. The events must have passed redaction; an event without a
// UID is refused.
func (s *Store) Accept(ctx context.Context, evs []Event) (Result, error) {
	r, err := s.submit(ctx, evs)
	if err != nil {
		return Result{}, err
	}
	return Result{Accepted: r.res.Accepted, Expired: r.res.Expired}, nil
}

// Append is Accept that also waits until the events are in the table, and
// says what became of them.
func (s *Store) Append(ctx context.Context, evs []Event) (Result, error) {
	r, err := s.submit(ctx, evs)
	if err != nil {
		return Result{}, err
	}
	if s.j != nil {
		defer s.urge()()
	}
	select {
	case <-r.applied:
		return r.res, r.err
	case <-ctx.Done():
		// The events are durable and will be applied.
		return Result{}, ctx.Err()
	}
}

// submit queues a request and waits until it is durable.
func (s *Store) submit(ctx context.Context, evs []Event) (*request, error) {
	r := &request{evs: evs, done: make(chan error, 1), applied: make(chan struct{})}
	if len(evs) == 0 {
		close(r.applied)
		return r, nil
	}
	if err := s.prepareAt(r, s.opts.Now(), s.j != nil); err != nil {
		return nil, err
	}
	select {
	case <-s.closing:
		return nil, ErrClosed
	default:
	}
	select {
	case s.queue <- r:
	case <-s.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case err := <-r.done:
		if err != nil {
			return nil, err
		}
		return r, nil
	case <-ctx.Done():
		// The write may still happen: a retry is a duplicate, dropped by
		// uid.
		return nil, ctx.Err()
	}
}

// urge has the applier apply what is pending now, not after applyGather,
// until the returned func is called: a caller waits for the table.
func (s *Store) urge() (done func()) {
	s.mu.Lock()
	s.urgent++
	s.mu.Unlock()
	s.poke()
	return func() { s.mu.Lock(); s.urgent--; s.mu.Unlock() }
}

// poke wakes the applier, without waiting.
func (s *Store) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Flush waits until every event accepted before the call is in the table.
func (s *Store) Flush(ctx context.Context) error {
	if s.j == nil {
		return nil // PostgreSQL commits before it accepts
	}
	defer s.urge()()
	s.mu.Lock()
	target := s.written
	for s.applied < target {
		if s.failure != nil {
			err := s.failure
			s.mu.Unlock()
			return err
		}
		ch := s.progress
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return nil
}

// WaitApplied waits, up to timeout, until the journal of the SQLite store
// at path holds nothing its table does not (Unapplied is 0), and returns
// what it still holds then: a running collector applies within a second;
// a stopped one's journal waits for its next start.
func WaitApplied(ctx context.Context, path string, timeout time.Duration) (int64, error) {
	deadline := time.Now().Add(timeout)
	for {
		n, err := Unapplied(path)
		if err != nil || n == 0 || !time.Now().Before(deadline) {
			return n, err
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
}

// prepareAt turns the request's events into rows received at received,
// refusing the expired, and (for the journal) their lines.
func (s *Store) prepareAt(r *request, at time.Time, journal bool) error {
	today := day(at)
	// Once for the request, not per event.
	rec := received{at: at, arg: s.b.receivedArg(at)}
	if journal {
		rec.text = event.FormatStoreTime(at)
	}
	r.rows = make([]row, len(r.evs))
	var enc []byte   // one event's encoding, reused
	var arena []byte // the rows' held arguments (backend.hold)
	if journal {
		r.line = make([]byte, 0, len(r.evs)*journalLineGuess)
	}
	for i := range r.evs {
		ev := &r.evs[i]
		if ev.UID == "" {
			return fmt.Errorf("store: event %d (%s) has no uid", i, ev.Name)
		}
		if _, ok := schema.Lookup(ev.Name); !ok {
			return fmt.Errorf("store: event %d: unknown event %q", i, ev.Name)
		}
		// The schema's precision, which the journal keeps: an event
		// replayed from it is stored exactly as one applied at once.
		ev.Time = ev.Time.Truncate(time.Millisecond)
		rw := &r.rows[i]
		rw.ev = *ev
		rw.expires = expiresOn(ev.Time, s.opts.Retention[ev.Name])
		if !rw.expires.After(today) {
			rw.status = statusExpired
			r.res.Expired++
			continue
		}
		r.res.Accepted++
		for _, a := range ev.Attrs {
			switch {
			case a.Key == schema.KeySessionID && a.Value.Type == schema.TypeString:
				rw.session = a.Value.Str
			case ev.Name == schema.EventDeletionRequest && a.Key == schema.KeySessionIDs:
				rw.deletes = a.Value.List
			}
		}
		rw.args = s.b.args(rw, rec)
		var err error
		if arena, err = s.b.hold(rw, arena, len(r.evs)-i); err != nil {
			return fmt.Errorf("store: event %d (%s): %w", i, ev.Name, err)
		}
		// Its fields are in its arguments now: a SQLite store holds tens
		// of thousands of rows between their journal and their commit.
		rw.ev.Attrs = nil
		if journal {
			if enc, err = event.AppendEncode(enc[:0], ev.Name, ev.Time, ev.Attrs); err != nil {
				return fmt.Errorf("store: event %d (%s): %w", i, ev.Name, err)
			}
			r.line = event.AppendLine(r.line, ev.UID, rec.text, enc)
		}
	}
	r.evs = nil // the rows hold what is left to do
	return nil
}

// heldArgsGuess is about the size of an event's insert arguments as a
// SQLite store holds them (sqliteconn.AppendArgs): the load generator's
// sessions, every field, average 210 bytes.
const heldArgsGuess = 224

// journalLineGuess is about the size of an event's journal line with
// every field (the load generator's average is near 400 bytes): a
// request's lines grow into one buffer without copying it over and over.
const journalLineGuess = 512

// received is when the store took a request's events, in the forms its
// rows need.
type received struct {
	at   time.Time
	arg  any    // the insert argument (backend.receivedArg)
	text string // the journal's (event.FormatStoreTime), when journaled
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

// take waits for a request and returns it with every other one waiting,
// up to MaxBatchEvents; ok is false once Close is called and the queue is
// empty.
func (s *Store) take() ([]*request, bool) {
	var first *request
	select {
	case first = <-s.queue:
	case <-s.closing:
		// Close waits for the requests already queued: answer them.
		select {
		case first = <-s.queue:
		default:
			return nil, false
		}
	}
	batch, n := []*request{first}, len(first.rows)
	for n < s.opts.MaxBatchEvents {
		select {
		case r := <-s.queue:
			batch = append(batch, r)
			n += len(r.rows)
		default:
			return batch, true
		}
	}
	return batch, true
}

// writer makes what is queued durable, a batch of requests at a time,
// with durable (commitBatch or journalBatch), and answers each, until
// Close.
func (s *Store) writer(durable func([]*request) error) {
	defer s.wg.Done()
	for {
		batch, ok := s.take()
		if !ok {
			return
		}
		err := durable(batch)
		for _, r := range batch {
			r.done <- err
		}
	}
}

// commitBatch commits a batch and tells what became of it (PostgreSQL:
// durable is committed).
func (s *Store) commitBatch(batch []*request) error {
	err := s.apply(context.Background(), batch)
	s.answer(batch, err)
	return err
}

// journalBatch writes a batch to the journal and hands it to the applier.
func (s *Store) journalBatch(batch []*request) error {
	var buf []byte
	n := 0
	for _, r := range batch {
		buf = append(buf, r.line...)
		n += r.res.Accepted
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Room first: a disk slower than the load slows its clients.
	for s.pendingN > 0 && s.pendingN+n > maxPendingEvents && s.failure == nil {
		s.room.Wait()
	}
	if s.failure != nil {
		// The table refuses commits (disk full, file removed): accept
		// nothing more until an apply succeeds, so that the clients keep
		// the events and retry.
		return s.failure
	}
	if len(buf) > 0 {
		if err := s.j.write(buf); err != nil {
			if errors.Is(err, ErrGone) {
				s.failure = err // for good: Open again
			}
			return err
		}
	}
	now := time.Now()
	for _, r := range batch {
		s.written++
		r.seq, r.segment, r.at = s.written, s.j.seq, now
		r.line = nil // written: memory for the next requests
	}
	s.pending = append(s.pending, batch...)
	s.pendingN += n
	s.queued += n
	s.poke()
	return nil
}

// applyRetry is how long the applier waits after a failed apply before it
// tries again: what failed (a full disk, a locked file) takes a while to
// go away.
const applyRetry = 500 * time.Millisecond

// applier commits what the journal holds into the table, everything
// waiting in one transaction, until Close has the journal writer stopped
// and the journal applied.
func (s *Store) applier() {
	defer close(s.applyDone)
	if s.opts.holdApply != nil {
		select {
		case <-s.opts.holdApply:
		case <-s.applyStop:
			return
		}
	}
	for {
		stopping := false
		select {
		case <-s.wake:
		case <-s.applyStop:
			stopping = true
		}
		for {
			if !stopping {
				if wait := s.gatherWait(); wait > 0 {
					select {
					case <-time.After(wait):
					case <-s.wake:
					case <-s.applyStop:
						stopping = true
					}
					continue
				}
			}
			done, gone := s.applyPending()
			if done || gone {
				break
			}
			if stopping {
				return // left in the journal, for the next Open
			}
			select {
			case <-time.After(applyRetry):
			case <-s.applyStop:
				stopping = true
			}
		}
		if stopping {
			return
		}
	}
}

// applyGather is how long the applier lets accepted events gather before
// it commits them, unless MaxBatchEvents of them are waiting or a caller
// waits for the table (Flush, Append). A commit writes every index page
// its rows touched, and uids and times arrive in no order, so that a
// commit of a few hundred events writes a page or two per event; one of
// thousands shares each page between many. Readers in other processes
// see an event this much later at most; nothing waits for it but them.
const applyGather = 500 * time.Millisecond

// gatherWait is how long the applier should still let events gather (0:
// apply now).
func (s *Store) gatherWait() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 || s.queued >= s.opts.MaxBatchEvents || s.urgent > 0 || s.failure != nil {
		return 0
	}
	return max(0, applyGather-time.Since(s.pending[0].at))
}

// applyPending applies everything pending, rotating the journal so that
// the segments it applied can go. done says nothing is left; gone that
// the store's file is gone for good.
func (s *Store) applyPending() (done, gone bool) {
	for {
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.mu.Unlock()
			return true, false
		}
		// A chunk at a time: each commit frees room for the journal
		// writer, so that clients wait for a part of the backlog, never
		// for all of it.
		k, n := 0, 0
		for k < len(s.pending) && (k == 0 || n+s.pending[k].res.Accepted <= s.opts.MaxBatchEvents) {
			n += s.pending[k].res.Accepted
			k++
		}
		reqs := s.pending[:k:k]
		s.pending = s.pending[k:]
		s.queued -= n
		// The journal goes on in a new segment, so that the segments
		// before the first request still pending hold applied requests
		// only. If it cannot, the segment stays (replayed after a crash,
		// its events are duplicates).
		if s.j.size > 0 {
			_ = s.j.rotate()
		}
		through := s.j.seq - 1
		if len(s.pending) > 0 {
			through = s.pending[0].segment - 1
		}
		s.mu.Unlock()
		err := s.apply(context.Background(), reqs)
		if err == nil {
			// A segment that cannot be removed now goes with the next
			// one; replayed before that, its events are duplicates.
			_ = s.j.removeThrough(through)
		}
		s.mu.Lock()
		if err != nil {
			s.failure = err
			if errors.Is(err, ErrGone) {
				// Its journal went with it: nothing to retry, for these
				// requests nor for those still pending.
				reqs = append(reqs, s.pending...)
				s.pending, s.queued, s.pendingN = nil, 0, 0
				s.room.Broadcast()
				s.mu.Unlock()
				s.answer(reqs, err)
				return false, true
			}
			s.pending = append(reqs, s.pending...)
			s.queued += n
			s.room.Broadcast()
			s.mu.Unlock()
			return false, false
		}
		s.failure = nil
		s.pendingN -= n
		s.applied = reqs[len(reqs)-1].seq
		close(s.progress)
		s.progress = make(chan struct{})
		s.room.Broadcast()
		s.mu.Unlock()
		s.answer(reqs, nil)
	}
}

// answer tells the requests' waiters (and OnApplied) what became of them.
func (s *Store) answer(reqs []*request, err error) {
	for _, r := range reqs {
		r.err = err
		if err == nil && s.opts.OnApplied != nil {
			res := r.res
			res.Accepted, res.Expired = 0, 0
			s.opts.OnApplied(res)
		}
		close(r.applied)
	}
}

// apply stores a batch of requests in one transaction and fills in each
// one's Result.
func (s *Store) apply(ctx context.Context, reqs []*request) error {
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
	err := s.b.commit(ctx, b)
	s.commits.Add(1)
	if err != nil {
		// Pending again, for the retry.
		for _, rw := range b.rows {
			rw.status = statusPending
		}
		return fmt.Errorf("store %s: %w", s.Where(), err)
	}
	for _, r := range reqs {
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
	return nil
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
	if err := s.Flush(ctx); err != nil {
		return nil, fmt.Errorf("read store %s: %w", s.Where(), err)
	}
	rows, err := s.DB().QueryContext(ctx, "SELECT "+selectColumns()+" FROM events WHERE exported_at IS NULL ORDER BY "+
		s.b.pendingOrder()+" LIMIT "+s.Dialect().Param(1), limit)
	if err != nil {
		return nil, fmt.Errorf("read store %s: %w", s.Where(), err)
	}
	defer rows.Close()
	evs, err := scanAll(s.Dialect(), rows)
	if err != nil {
		return nil, fmt.Errorf("read store %s: %w", s.Where(), err)
	}
	return evs, nil
}

// MarkExported records that the export file exportID took the events, as
// Pending returned them: an event is found by its type, time and uid, the
// store's key.
func (s *Store) MarkExported(ctx context.Context, evs []Event, exportID string, at time.Time) error {
	if err := s.b.markExported(ctx, evs, exportID, at); err != nil {
		return fmt.Errorf("mark exported in store %s: %w", s.Where(), err)
	}
	return nil
}

// CountByType returns how many events of each type are stored.
func (s *Store) CountByType(ctx context.Context) (map[string]int64, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, fmt.Errorf("count store %s: %w", s.Where(), err)
	}
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

// Close answers the requests already queued, puts what the journal holds
// into the table, then closes the database. What it cannot apply stays in
// the journal for the next Open.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closing)
		s.wg.Wait()
		if s.j != nil {
			close(s.applyStop)
			<-s.applyDone
			s.mu.Lock()
			empty := len(s.pending) == 0
			s.mu.Unlock()
			err = s.j.close(empty)
		}
		err = errors.Join(err, s.b.close())
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
	ev      Event     // without its Attrs once prepared: args hold them
	session string    // its session_id, "" for none
	deletes []string  // a deletion request's session ids
	expires time.Time // the UTC day retention drops it
	status  status
	// args are the row's insert arguments, built by the caller's
	// goroutine (backend.args) so that the one writer only executes;
	// packed, a SQLite store's, encoded (backend.hold).
	args   []any
	packed []byte
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
	// pendingOrder is the ORDER BY of events in their order of arrival.
	pendingOrder() string
	markExported(ctx context.Context, evs []Event, exportID string, at time.Time) error
	// args builds a row's insert arguments, received at rec.
	args(r *row, rec received) []any
	// hold keeps a row's arguments until its commit, in r.args or where
	// it commits them from: in arena if it likes (returned, grown; left
	// is how many rows of the request are still to come, this one too).
	hold(r *row, arena []byte, left int) ([]byte, error)
	// receivedArg is a receive time as an insert argument.
	receivedArg(t time.Time) any
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

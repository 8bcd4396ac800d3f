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
	"time"

	"caro.sh/telemetry/internal/sqlitefile"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
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
	for _, q := range []string{insertSQL, insertStagedSQL, oldestSQL, newestSQL, pageCountsSQL} {
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
	if err := sqlitefile.UseWAL(ctx, s.db); err != nil {
		return err
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

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/sqliteconn"
	"caro.sh/telemetry/internal/sqlitefile"
)

// sqliteStore keeps the table in one SQLite file, in WAL mode, written by
// one connection: SQLite has one writer at a time, so one writer goroutine
// committing big batches is its fastest shape.
type sqliteStore struct {
	path      string
	maxBytes  int64
	dbh       *sql.DB
	file      os.FileInfo // the file opened, to notice its removal
	migrated  string      // what setUp migrated, for the log
	retention map[string]time.Duration
	ckpt      *checkpointer // nil for a reader
	// w is the writer's own connection, for commit, opened by the first
	// (a reader never needs it). wmu keeps its calls one at a time, and
	// the writes of the database/sql connection (maintain, markExported)
	// apart from them; inserts holds a prepared insert per event type.
	w       *sqliteconn.Conn
	wmu     sync.Mutex
	inserts map[string]*sqliteconn.Stmt
	closed  bool
}

// sqliteVersion is the user_version of a store made by this package. The
// client spool's files (user_version 1 and 2, one JSON payload column)
// are version 1 of the collector's store too, and migrate on open, as do
// the typed stores of version 100 (uid unique on its own).
const (
	sqliteVersion      = 101
	sqliteVersionTyped = 100
)

func openSQLite(ctx context.Context, o Options) (backend, error) {
	path, err := filepath.Abs(o.Path)
	if err != nil {
		return nil, fmt.Errorf("store path %s: %w", o.Path, err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if o.MustExist {
			return nil, fmt.Errorf("%w at %s", ErrNotFound, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store folder: %w", err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create store %s: %w", path, err)
		}
		f.Close()
	}
	q := url.Values{}
	q.Add("_txlock", "immediate")
	q.Add("_pragma", "busy_timeout(10000)")
	// NORMAL in WAL mode: a commit survives the process being killed (the
	// WAL is in the kernel's cache); only a power cut may lose the last
	// commits, as for the client spool.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(OFF)")
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
	if o.MustExist {
		// A reader's: the indexes' upper pages stay while it scans.
		q.Add("_pragma", "cache_size(-65536)")
	} else {
		// The writer's page cache holds the index's pages that its
		// commits touch: events arrive in no order of (type, time, uid),
		// so a commit touches pages all over an index that grows with
		// the store. With 64 MiB, a commit into a store of 1.6 million
		// events spilled and re-read pages (BenchmarkAppend: 42k -> 49k
		// events/s with 256 MiB). SQLite allocates it as pages are used.
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
		// The checkpointer copies the WAL into the file on its own
		// connection (checkpointer); the writer checkpoints only when it
		// falls far behind.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", backstopCheckpointPages))
	}
	wdsn := (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(sqliteConns(o))
	s := &sqliteStore{path: path, maxBytes: o.MaxBytes, dbh: db, retention: o.Retention}
	if err := s.setUp(ctx, o); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if s.file, err = os.Stat(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if !o.MustExist {
		ck, err := sql.Open("sqlite", dsn)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		ck.SetMaxOpenConns(1)
		// The collector's writer opens its connection now, on the file
		// it checked (a reader that appends opens it at its first commit).
		if err := s.openWriter(); err != nil {
			ck.Close()
			db.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		s.ckpt = &checkpointer{db: ck, wake: make(chan struct{}, 1), done: make(chan struct{})}
		go s.ckpt.run()
	}
	return s, nil
}

// openWriter opens the connection that commits events (s.w), with the
// writer's settings (the database/sql connection's DSN gives them to its
// own connections). A file removed or replaced since Open is ErrGone.
func (s *sqliteStore) openWriter() error {
	if fi, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) || err == nil && !os.SameFile(fi, s.file) {
		return ErrGone
	}
	w, err := sqliteconn.Open(s.path)
	if err != nil {
		return err
	}
	for _, p := range []string{"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = OFF",
		fmt.Sprintf("PRAGMA cache_size = %d", -writerCacheKiB),
		fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", backstopCheckpointPages)} {
		if _, err := w.Exec(p); err != nil {
			w.Close()
			return err
		}
	}
	s.w, s.inserts = w, map[string]*sqliteconn.Stmt{}
	return nil
}

// writerCacheKiB is the writer connection's page cache, in KiB.
const writerCacheKiB = 256 << 10

// backstopCheckpointPages is the WAL size (in pages: 256 MiB) at which the
// writer checkpoints too, after its commit: the checkpointer alone, always
// a commit behind a busy writer, might never see the WAL copied whole and
// let it start again from its beginning. A commit of MaxBatchEvents events
// into a large store writes tens of megabytes of pages: a lower backstop
// (32 MiB) had the writer, the store's one serial path, checkpoint after
// nearly every commit (15% of its time in BenchmarkAppend), which the
// checkpointer does on the other core.
const backstopCheckpointPages = 65536

// checkpointer copies committed WAL frames into the database file on its
// own connection, after each commit, while the writer goes on: the copy
// is a third of a commit's cost, and the writer is the store's one
// serial path. A PASSIVE checkpoint never blocks the writer or readers.
type checkpointer struct {
	db   *sql.DB
	wake chan struct{}
	done chan struct{}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for range c.wake {
		// SQLITE_BUSY (a reader or the writer in the way) is no error:
		// the next commit wakes it again.
		_, _ = c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// poke asks for a checkpoint, without waiting.
func (c *checkpointer) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) close() error {
	close(c.wake)
	<-c.done
	return c.db.Close()
}

// sqliteConns is how many connections a store opens: one for the
// collector, whose single writer is SQLite's fastest shape; a few for a
// reader (MustExist, caro-insights), whose queries WAL lets run side by
// side.
func sqliteConns(o Options) int {
	if o.MustExist {
		return 4
	}
	return 1
}

// setUp brings the file to this package's table: a new file gets it, a
// client spool file (version 1) is migrated, and a table missing a column
// of a newer schema gets it added.
func (s *sqliteStore) setUp(ctx context.Context, o Options) error {
	if err := sqlitefile.UseWAL(ctx, s.dbh); err != nil {
		return err
	}
	var version int
	if err := s.dbh.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	var tables int
	if err := s.dbh.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'").Scan(&tables); err != nil {
		return err
	}
	if version > sqliteVersion {
		return fmt.Errorf("the store was written by a newer version (%d, this one knows up to %d): upgrade otelcol-caro", version, sqliteVersion)
	}
	tx, err := s.dbh.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if tables > 0 && version < sqliteVersionTyped {
		if err := migrateV1(ctx, tx, s, o); err != nil {
			return fmt.Errorf("migrate a version %d store: %w", version, err)
		}
	} else if tables > 0 && version < sqliteVersion {
		if err := migrateUIDKey(ctx, tx, s); err != nil {
			return fmt.Errorf("migrate a version %d store: %w", version, err)
		}
	} else if err := s.create(ctx, tx); err != nil {
		return err
	}
	if err := addMissingColumns(ctx, tx, sqliteDialect{}, "SELECT name FROM pragma_table_info('events')"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", sqliteVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) create(ctx context.Context, tx *sql.Tx) error {
	return execEach(ctx, tx,
		// A rowid table: rows append in arrival order, whatever their
		// uids, so a commit writes the few pages at the table's end. One
		// index only, the metrics' (type, time), which ends in the uid and
		// is unique: it deduplicates too, as PostgreSQL's (uid,
		// expires_on) key does (a copy of an event has its type and time).
		// Each index costs every insert a B-tree descent and a page written
		// per commit, and a second one keyed by uid alone made the store's
		// serial path a third slower. Deletion requests, rare, scan the
		// table instead of keeping a session index that random session ids
		// would spread over every page (it halved the store's throughput).
		sqliteTableSQL,
		sqliteKeySQL,
		`CREATE TABLE IF NOT EXISTS deleted_sessions (
			session_id TEXT PRIMARY KEY,
			before TEXT NOT NULL, -- the session's events up to this time are deleted
			deleted_at TEXT NOT NULL
		) WITHOUT ROWID`)
}

// sqliteTableSQL creates the events table (create, migrations).
var sqliteTableSQL = createTableSQL(sqliteDialect{}, "TEXT", "TEXT", "uid TEXT NOT NULL", "", "")

// sqliteKeySQL creates the events table's one index, its key.
const sqliteKeySQL = "CREATE UNIQUE INDEX IF NOT EXISTS idx_events_type_time ON events (event_type, event_time, uid)"

// createTableSQL is the events table of dialect d, with its time and day
// column types, its key column, a table constraint and a suffix
// (partitioning).
func createTableSQL(d Dialect, timeType, dayType, key, constraint, suffix string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS events (\n\t")
	b.WriteString(key)
	fmt.Fprintf(&b, ",\n\tevent_type TEXT NOT NULL,\n\tevent_time %s NOT NULL,\n\treceived_at %s NOT NULL,\n\texpires_on %s NOT NULL,\n\texported_at %s,\n\texport_id TEXT",
		timeType, timeType, dayType, timeType)
	for _, c := range fields {
		fmt.Fprintf(&b, ",\n\t%s %s", c.Name, sqlType(c.Type, d))
	}
	if constraint != "" {
		b.WriteString(",\n\t" + constraint)
	}
	b.WriteString("\n)" + suffix)
	return b.String()
}

// addMissingColumns adds the field columns that a store made by an older
// schema lacks (they read as NULL for its events).
func addMissingColumns(ctx context.Context, tx *sql.Tx, d Dialect, listSQL string) error {
	rows, err := tx.QueryContext(ctx, listSQL)
	if err != nil {
		return err
	}
	have, err := stringSet(rows)
	rows.Close()
	if err != nil {
		return err
	}
	for _, c := range fields {
		if !have[c.Name] {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE events ADD COLUMN "+c.Name+" "+sqlType(c.Type, d)); err != nil {
				return fmt.Errorf("add column %s: %w", c.Name, err)
			}
		}
	}
	return nil
}

func (s *sqliteStore) receivedArg(t time.Time) any { return event.FormatStoreTime(t) }
func (s *sqliteStore) migration() string           { return s.migrated }
func (s *sqliteStore) writers() int                { return 1 }
func (s *sqliteStore) dialect() Dialect            { return sqliteDialect{} }
func (s *sqliteStore) db() *sql.DB                 { return s.dbh }
func (s *sqliteStore) where() string               { return s.path }
func (s *sqliteStore) close() error {
	var err error
	if s.ckpt != nil {
		err = s.ckpt.close()
	}
	s.wmu.Lock()
	s.closed = true
	if s.w != nil {
		for _, st := range s.inserts {
			err = errors.Join(err, st.Close())
		}
		err = errors.Join(err, s.w.Close())
		s.w, s.inserts = nil, nil
	}
	s.wmu.Unlock()
	return errors.Join(err, s.dbh.Close())
}

// args are the fixed columns, then the event's own fields
// (eventInsertColumns).
func (s *sqliteStore) args(r *row, rec received) []any {
	args := make([]any, fixedColumns+len(eventColumns[r.ev.Name]))
	args[0], args[1], args[2] = r.ev.UID, r.ev.Name, event.FormatStoreTime(r.ev.Time)
	args[3], args[4] = rec.arg, sqliteDialect{}.dayArg(r.expires)
	eventFieldArgs(args[fixedColumns:], r.ev.Name, r.ev.Attrs)
	return args
}

// hold encodes r.args for its insert (sqliteconn.AppendArgs) into arena,
// a new one (for the rows left, heldArgsGuess each, and arenaRoom more)
// once it is nearly full: the store holds up to maxPendingEvents rows
// between their journal and their commit, and encoded, a row's arguments
// take 210 bytes on average (the load generator's sessions, every field).
// With a slice of boxed values and the event's attributes kept, a waiting
// event took 1,700 bytes; now it takes 550.
func (s *sqliteStore) hold(r *row, arena []byte, left int) ([]byte, error) {
	if cap(arena)-len(arena) < arenaRoom {
		arena = make([]byte, 0, left*heldArgsGuess+arenaRoom)
	}
	start := len(arena)
	arena, err := sqliteconn.AppendArgs(arena, r.args...)
	if err != nil {
		return arena, err
	}
	r.packed, r.args = arena[start:len(arena):len(arena)], nil
	return arena, nil
}

// arenaRoom is the room in its arena below which hold starts a new one:
// more than a row with every field takes (a row that still outgrows it
// copies the arena, which only wastes the copy).
const arenaRoom = 4 << 10

// commit writes a batch in one transaction on the writer's own
// connection (package sqliteconn): the store's one serial path, which
// through database/sql and the driver spent a sixth of its time binding
// arguments (a C copy of each text) and locking the connection's mutex
// around each call into SQLite.
func (s *sqliteStore) commit(ctx context.Context, b *batch) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.w == nil {
		if err := s.openWriter(); err != nil {
			return err
		}
	}
	w := s.w
	if _, err := w.Exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_, _ = w.Exec("ROLLBACK") // none left after a failed COMMIT
		}
	}()
	now := event.FormatStoreTime(b.now)
	for id, before := range b.deletions() {
		at := event.FormatStoreTime(before)
		if _, err := w.Exec(`INSERT INTO deleted_sessions (session_id, before, deleted_at) VALUES (?1, ?2, ?3)
			ON CONFLICT (session_id) DO UPDATE SET before = max(before, excluded.before), deleted_at = excluded.deleted_at`,
			id, at, now); err != nil {
			return fmt.Errorf("record deletion: %w", err)
		}
		n, err := w.Exec("DELETE FROM events WHERE session_id = ?1 AND event_time <= ?2", id, at)
		if err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		b.deleted += int(n)
	}
	tombstones, err := s.tombstones(ctx, b.sessions())
	if err != nil {
		return err
	}
	b.refuseDeleted(tombstones)
	for _, r := range b.rows {
		if r.status != statusPending {
			continue
		}
		// One statement per event type, naming only its columns.
		stmt := s.inserts[r.ev.Name]
		if stmt == nil {
			cols := eventInsertColumns(r.ev.Name)
			stmt, err = w.Prepare("INSERT INTO events (" + strings.Join(cols, ", ") + ") VALUES (?" +
				strings.Repeat(", ?", len(cols)-1) + ") ON CONFLICT (event_type, event_time, uid) DO NOTHING")
			if err != nil {
				return err
			}
			s.inserts[r.ev.Name] = stmt
		}
		n, err := stmt.ExecArgs(r.packed)
		if err != nil {
			return fmt.Errorf("insert %s: %w", r.ev.Name, err)
		}
		if n == 1 {
			r.status = statusStored
		} else {
			r.status = statusDuplicate
		}
	}
	if _, err := w.Exec("COMMIT"); err != nil {
		return err
	}
	done = true
	if s.ckpt != nil {
		s.ckpt.poke()
	}
	// An open file keeps working after its folder is deleted, and SQLite
	// commits into it without an error: checked after the commit, so that
	// nothing committed into a removed file is acknowledged.
	if fi, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) || err == nil && !os.SameFile(fi, s.file) {
		return ErrGone
	}
	return nil
}

// tombstones returns, for the ids that a deletion request covers, the time
// up to which their events are deleted. It reads on the writer's
// connection, in commit's transaction.
func (s *sqliteStore) tombstones(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.w.Query(ctx, "SELECT session_id, before FROM deleted_sessions WHERE session_id IN (?"+
			strings.Repeat(", ?", len(chunk)-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("read deletions: %w", err)
		}
		for rows.Next() {
			id, _ := rows.Text(0)
			before, _ := rows.Text(1)
			t, err := event.ParseStoreTime(string(before))
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("deletion time %q: %w", before, err)
			}
			out[string(id)] = t
		}
		err = errors.Join(rows.Err(), rows.Close())
		if err != nil {
			return nil, fmt.Errorf("read deletions: %w", err)
		}
	}
	return out, nil
}

func (s *sqliteStore) maintain(ctx context.Context, now time.Time, longest time.Duration) (int64, error) {
	// One writer at a time, as when commits shared this connection: a
	// long purge holds the commits back (the journal keeps accepting),
	// rather than have them give up after the busy timeout.
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// By type and time, through the metrics' index: an index on
	// expires_on would cost every insert for a delete that runs once a
	// minute.
	var n int64
	for name, keep := range s.retention {
		res, err := s.dbh.ExecContext(ctx, "DELETE FROM events WHERE event_type = ? AND event_time < ? AND expires_on <= ?",
			name, event.FormatStoreTime(now.Add(-keep-24*time.Hour)), sqliteDialect{}.dayArg(now))
		if err != nil {
			return n, err
		}
		d, _ := res.RowsAffected()
		n += d
	}
	// A tombstone outlives every event it could refuse, then goes.
	if _, err := s.dbh.ExecContext(ctx, "DELETE FROM deleted_sessions WHERE before < ?",
		event.FormatStoreTime(now.Add(-longest-24*time.Hour))); err != nil {
		return n, err
	}
	capped, err := s.cap(ctx)
	n += capped
	if err != nil {
		return n, err
	}
	if n > 0 {
		if _, err := s.dbh.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
			return n, err
		}
	}
	return n, nil
}

// cap deletes the oldest events while the file is over maxBytes, a tenth
// of the cap at a time.
func (s *sqliteStore) cap(ctx context.Context) (int64, error) {
	if s.maxBytes <= 0 {
		return 0, nil
	}
	var deleted int64
	for range 20 {
		var pages, free, size int64
		if err := s.dbh.QueryRowContext(ctx,
			"SELECT * FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()").Scan(&pages, &free, &size); err != nil {
			return deleted, err
		}
		if (pages-free)*size <= s.maxBytes {
			return deleted, nil
		}
		var count int64
		if err := s.dbh.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&count); err != nil || count == 0 {
			return deleted, err
		}
		res, err := s.dbh.ExecContext(ctx,
			"DELETE FROM events WHERE rowid IN (SELECT rowid FROM events ORDER BY rowid LIMIT ?)", max(count/10, 1))
		if err != nil {
			return deleted, err
		}
		n, _ := res.RowsAffected()
		deleted += n
		if _, err := s.dbh.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// pendingOrder is the order of arrival: rows are appended as they come.
func (s *sqliteStore) pendingOrder() string { return "rowid" }

func scanAll(d Dialect, rows *sql.Rows) ([]Event, error) {
	sc := newScanner(d)
	var out []Event
	for rows.Next() {
		ev, err := sc.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

func (s *sqliteStore) markExported(ctx context.Context, evs []Event, exportID string, at time.Time) error {
	s.wmu.Lock() // one writer at a time (maintain)
	defer s.wmu.Unlock()
	tx, err := s.dbh.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, markExportedSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	ts := event.FormatStoreTime(at)
	for i := range evs {
		if _, err := stmt.ExecContext(ctx, ts, exportID, evs[i].Name, event.FormatStoreTime(evs[i].Time), evs[i].UID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// markExportedSQL marks one event by its key, the unique index's columns.
const markExportedSQL = "UPDATE events SET exported_at = ?, export_id = ? WHERE event_type = ? AND event_time = ? AND uid = ?"

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgStore keeps the table in PostgreSQL, shared by every replica that
// opens the same database. The table is partitioned by expires_on, one
// partition a day: retention drops whole partitions, the cheapest delete
// there is, and each event type's own retention is in its expiry day.
//
// Nothing a replica keeps in memory is needed by another: the partitions
// it knows exist are a cache, and deletion requests are serialised with
// inserts by an advisory lock in the database (inserts share it, a
// deletion takes it alone), so that a deletion received by one replica
// cannot miss an event that another is inserting at the same moment.
type pgStore struct {
	pool  *pgxpool.Pool
	sqldb *sql.DB
	name  string

	// Partitions are made when a batch first needs them (a batch of
	// current events needs two or three days).
	mu    sync.Mutex
	parts map[string]bool // partitions known to exist, by name
}

// Advisory lock keys (arbitrary, fixed): schema changes, and inserts
// against deletions.
const (
	lockSchema   = 0x6361726f01 // "caro" 1
	lockDeletion = 0x6361726f02
)

const pgPartitionPrefix = "events_p"

func openPostgres(ctx context.Context, o Options) (backend, error) {
	cfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("store DSN: %w", err)
	}
	name := fmt.Sprintf("postgres://%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	cfg.MaxConns = max(cfg.MaxConns, 4)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	s := &pgStore{pool: pool, sqldb: stdlib.OpenDBFromPool(pool), name: name, parts: map[string]bool{}}
	if err := s.setUp(ctx, o); err != nil {
		s.close()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	return s, nil
}

// underSchemaLock runs fn in a transaction that holds the schema lock and
// commits it if fn succeeds, so that replicas changing the schema at once
// take turns instead of failing each other.
func (s *pgStore) underSchemaLock(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockSchema); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (s *pgStore) setUp(ctx context.Context, o Options) error {
	if err := s.underSchemaLock(ctx, func(tx pgx.Tx) error { return createTables(ctx, tx, o) }); err != nil {
		return err
	}
	// Columns a newer schema added: through database/sql, shared with
	// SQLite.
	stx, err := s.sqldb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer stx.Rollback()
	if _, err := stx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", lockSchema); err != nil {
		return err
	}
	if err := addMissingColumns(ctx, stx, postgresDialect{},
		"SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'events'"); err != nil {
		return err
	}
	return stx.Commit()
}

// createTables creates the tables and indexes that are missing, or fails
// with ErrNotFound if there is no events table and o.MustExist.
func createTables(ctx context.Context, tx pgx.Tx, o Options) error {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('events') IS NOT NULL").Scan(&exists); err != nil {
		return err
	}
	if !exists && o.MustExist {
		return fmt.Errorf("%w: the database has no events table", ErrNotFound)
	}
	for _, q := range []string{
		createTableSQL(postgresDialect{}, "TIMESTAMPTZ", "DATE", "uid TEXT NOT NULL",
			"PRIMARY KEY (uid, expires_on)", " PARTITION BY RANGE (expires_on)"),
		"CREATE INDEX IF NOT EXISTS events_type_time ON events (event_type, event_time)",
		"CREATE INDEX IF NOT EXISTS events_session ON events (session_id)",
		`CREATE TABLE IF NOT EXISTS deleted_sessions (
			session_id TEXT PRIMARY KEY,
			before TIMESTAMPTZ NOT NULL, -- the session's events up to this time are deleted
			deleted_at TIMESTAMPTZ NOT NULL
		)`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("%w: %s", err, q)
		}
	}
	return nil
}

// partitionName is the partition of the expiry day d.
func partitionName(d time.Time) string { return pgPartitionPrefix + d.UTC().Format("20060102") }

// ensure creates the missing partitions of days, each in its own short
// transaction under the schema lock, so that replicas creating the same
// day at once never fail each other.
func (s *pgStore) ensure(ctx context.Context, days []time.Time) error {
	s.mu.Lock()
	var missing []time.Time
	for _, d := range days {
		if !s.parts[partitionName(d)] {
			missing = append(missing, d)
		}
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	err := s.underSchemaLock(ctx, func(tx pgx.Tx) error {
		for _, d := range missing {
			name := partitionName(d)
			q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s PARTITION OF events FOR VALUES FROM ('%s') TO ('%s')",
				name, d.Format(time.DateOnly), d.Add(24*time.Hour).Format(time.DateOnly))
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("create partition %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	for _, d := range missing {
		s.parts[partitionName(d)] = true
	}
	s.mu.Unlock()
	return nil
}

func (s *pgStore) writers() int     { return 2 }
func (s *pgStore) dialect() Dialect { return postgresDialect{} }
func (s *pgStore) db() *sql.DB      { return s.sqldb }
func (s *pgStore) where() string    { return s.name }
func (s *pgStore) close() error {
	err := s.sqldb.Close()
	s.pool.Close()
	return err
}

func (postgresDialect) dayArg(t time.Time) any { return day(t) }

// args are every column of insertColumns: COPY takes one shape.
func (s *pgStore) receivedArg(t time.Time) any { return t.UTC() }

// hold keeps r.args: a PostgreSQL store commits a request's rows once the
// writer is free, with the requests waiting then, and holds no backlog.
func (s *pgStore) hold(r *row, arena []byte, left int) ([]byte, error) { return arena, nil }

func (s *pgStore) args(r *row, rec received) []any {
	args := make([]any, fixedColumns+len(fields))
	args[0], args[1], args[2] = r.ev.UID, r.ev.Name, r.ev.Time.UTC()
	args[3], args[4] = rec.arg, day(r.expires)
	fieldArgs(args[fixedColumns:], r.ev.Attrs)
	return args
}

func (s *pgStore) commit(ctx context.Context, b *batch) error {
	var days []time.Time
	seen := map[time.Time]bool{}
	for _, r := range b.rows {
		if !seen[r.expires] {
			seen[r.expires] = true
			days = append(days, r.expires)
		}
	}
	if err := s.ensure(ctx, days); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	dels := b.deletions()
	lock := "SELECT pg_advisory_xact_lock_shared($1)"
	if len(dels) > 0 {
		lock = "SELECT pg_advisory_xact_lock($1)"
	}
	if _, err := tx.Exec(ctx, lock, lockDeletion); err != nil {
		return err
	}
	for id, before := range dels {
		if _, err := tx.Exec(ctx, `INSERT INTO deleted_sessions (session_id, before, deleted_at) VALUES ($1, $2, $3)
			ON CONFLICT (session_id) DO UPDATE SET before = GREATEST(deleted_sessions.before, excluded.before),
				deleted_at = excluded.deleted_at`, id, before.UTC(), b.now.UTC()); err != nil {
			return fmt.Errorf("record deletion: %w", err)
		}
		tag, err := tx.Exec(ctx, "DELETE FROM events WHERE session_id = $1 AND event_time <= $2", id, before.UTC())
		if err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		b.deleted += int(tag.RowsAffected())
	}
	if ids := b.sessions(); len(ids) > 0 {
		tomb := map[string]time.Time{}
		rows, err := tx.Query(ctx, "SELECT session_id, before FROM deleted_sessions WHERE session_id = ANY($1)", ids)
		if err != nil {
			return fmt.Errorf("read deletions: %w", err)
		}
		for rows.Next() {
			var id string
			var before time.Time
			if err := rows.Scan(&id, &before); err != nil {
				rows.Close()
				return err
			}
			tomb[id] = before
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		b.refuseDeleted(tomb)
	}
	var in [][]any
	for _, r := range b.rows {
		if r.status != statusPending {
			continue
		}
		in = append(in, r.args)
	}
	if len(in) > 0 {
		if _, err := tx.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS events_in (LIKE events) ON COMMIT DELETE ROWS"); err != nil {
			return err
		}
		cols := insertColumns()
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events_in"}, cols, pgx.CopyFromRows(in)); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		list := strings.Join(cols, ", ")
		rows, err := tx.Query(ctx, "INSERT INTO events ("+list+") SELECT "+list+
			" FROM events_in ON CONFLICT DO NOTHING RETURNING uid")
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		stored, err := stringSet(rows)
		rows.Close()
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		for _, r := range b.rows {
			if r.status != statusPending {
				continue
			}
			if stored[r.ev.UID] {
				r.status = statusStored
			} else {
				r.status = statusDuplicate
			}
		}
	}
	return tx.Commit(ctx)
}

func (s *pgStore) maintain(ctx context.Context, now time.Time, longest time.Duration) (int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'events'::regclass`)
	if err != nil {
		return 0, err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sort.Strings(names)
	today := partitionName(now)
	var deleted int64
	for _, name := range names {
		// Names sort as days; a partition whose day is today or before
		// holds only expired events.
		if !strings.HasPrefix(name, pgPartitionPrefix) || name > today {
			continue
		}
		var n int64
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{name}.Sanitize()).Scan(&n); err != nil {
			if isUndefinedTable(err) {
				continue // another replica dropped it
			}
			return deleted, err
		}
		if _, err := s.pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
			return deleted, err
		}
		s.mu.Lock()
		delete(s.parts, name)
		s.mu.Unlock()
		deleted += n
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM deleted_sessions WHERE before < $1",
		now.Add(-longest-24*time.Hour).UTC()); err != nil {
		return deleted, err
	}
	return deleted, nil
}

func isUndefinedTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}

// pendingOrder is the order of arrival: received_at, then uid among
// events received together.
func (s *pgStore) pendingOrder() string { return "received_at, uid" }

func (s *pgStore) markExported(ctx context.Context, evs []Event, exportID string, at time.Time) error {
	uids, times := make([]string, len(evs)), make([]time.Time, len(evs))
	for i := range evs {
		uids[i], times[i] = evs[i].UID, evs[i].Time.UTC()
	}
	_, err := s.pool.Exec(ctx, `UPDATE events e SET exported_at = $1, export_id = $2
		FROM unnest($3::text[], $4::timestamptz[]) AS k(uid, event_time)
		WHERE e.uid = k.uid AND e.event_time = k.event_time`,
		at.UTC(), exportID, uids, times)
	return err
}

package sqlitespool

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] takes the database from schema version i to i+1; the
// version is PRAGMA user_version. A later release appends a step and never
// edits a shipped one.
var migrations = []func(ctx context.Context, tx *sql.Tx) error{
	migrate1,
	migrate2,
}

// SchemaVersion is the user_version of a database this package created or
// migrated: len(migrations), which a test checks.
const SchemaVersion = 2

// migrate1 creates the spec's events table and pending index, plus:
// event_id, a random id downstream uses to drop duplicates; size, the
// payload's length, so that `show` and the cap need not read payloads; a
// partial index on transmitted events, so that the cap finds them without a
// scan; and the counters table. AUTOINCREMENT keeps ids from being reused
// after Clear, so that an uploader holding ids from before can never mark a
// newer event as sent.
func migrate1(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`CREATE TABLE events (
			id INTEGER PRIMARY KEY AUTOINCREMENT,
			event_type TEXT NOT NULL,
			payload TEXT NOT NULL, -- JSON
			created_at TEXT NOT NULL,
			transmitted_at TEXT,
			export_id TEXT,
			event_id TEXT NOT NULL UNIQUE,
			size INTEGER NOT NULL
		)`,
		`CREATE INDEX idx_pending ON events(transmitted_at) WHERE transmitted_at IS NULL`,
		`CREATE INDEX idx_transmitted ON events(transmitted_at) WHERE transmitted_at IS NOT NULL`,
		`CREATE TABLE counters (
			key TEXT PRIMARY KEY,
			value INTEGER NOT NULL
		) WITHOUT ROWID`,
	)
}

// migrate2 added what the collector's store needed when it was this
// package in a server mode (it is package store now), to every spool so
// that client and server shared one schema: session_id, the payload's
// session id, indexed for deletion requests; event_time, the time
// retention counted from (the event's timestamp, never later than its
// arrival), indexed with the event type for per-type retention; and
// deleted_sessions, the sessions a deletion request erased. Existing rows
// get both columns from their payload. The client neither writes nor reads
// any of them; the step stays as shipped, so that every file reaches the
// same version 2 and a file of an older build opens unchanged.
func migrate2(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`ALTER TABLE events ADD COLUMN session_id TEXT`,
		`ALTER TABLE events ADD COLUMN event_time TEXT NOT NULL DEFAULT ''`,
		// The payload's timestamp has milliseconds (TimestampLayout); the
		// column has nanoseconds (timeLayout), so that both sort as text.
		// A payload that is not JSON (it would not decode either) keeps
		// NULL and created_at.
		`UPDATE events SET
			session_id = CASE WHEN json_valid(payload) THEN json_extract(payload, '$.session_id') END,
			event_time = coalesce(min(created_at, CASE WHEN json_valid(payload) THEN
				substr(json_extract(payload, '$.timestamp'), 1, 23) || '000000Z' END), created_at)`,
		`CREATE INDEX idx_session ON events(session_id) WHERE session_id IS NOT NULL`,
		`CREATE INDEX idx_type_time ON events(event_type, event_time)`,
		`CREATE TABLE deleted_sessions (
			session_id TEXT PRIMARY KEY,
			before TEXT NOT NULL, -- events of the session up to this time are deleted
			deleted_at TEXT NOT NULL
		) WITHOUT ROWID`,
	)
}

// execAll runs the statements of a migration step in order.
func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// migrate brings the database to SchemaVersion in one write transaction, so
// that concurrent openers see either the old schema or the whole new one.
func migrate(ctx context.Context, db *sql.DB) error {
	// The common case, an up-to-date file, takes no write lock.
	v, err := userVersion(ctx, db)
	if err != nil || v == SchemaVersion {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if v, err = userVersion(ctx, tx); err != nil || v == SchemaVersion {
		return err // another process migrated it meanwhile
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: version %d, this build knows %d", ErrSchemaTooNew, v, SchemaVersion)
	}
	for i := v; i < SchemaVersion; i++ {
		if err := migrations[i](ctx, tx); err != nil {
			return fmt.Errorf("migrate spool schema to version %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no parameters; the value is our own int.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func userVersion(ctx context.Context, q queryRower) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

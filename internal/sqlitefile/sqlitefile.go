// Package sqlitefile sets up a SQLite file the way both of the project's
// SQLite stores need it: the client spool (exporter/sqlitespool) and the
// collector's store (store). One place, because the order matters and a
// copy of it once got the order wrong.
package sqlitefile

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// UseWAL puts the file of db in WAL mode. A new (empty) file gets
// auto_vacuum = INCREMENTAL first: it only takes effect before the first
// page is written, and the switch to WAL writes it; without it, a file
// never gives back the pages that deletions free.
func UseWAL(ctx context.Context, db *sql.DB) error {
	var pages int64
	if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return fmt.Errorf("page count: %w", err)
	}
	if pages == 0 {
		if _, err := db.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
			return fmt.Errorf("auto_vacuum: %w", err)
		}
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("journal mode: %w", err)
	}
	if strings.EqualFold(mode, "wal") {
		return nil
	}
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %s, want wal", mode)
	}
	return nil
}

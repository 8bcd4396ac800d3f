package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"caro.sh/telemetry/event"
)

// migrateV1 rewrites a store of the first layout (the client spool's
// table in server mode: one JSON payload per event) into typed columns,
// in the caller's transaction, so that a failure leaves the file as it
// was. Every event whose payload decodes is kept with its uid, times and
// export mark; the deletion tombstones keep their table, which has not
// changed. The old table's counters are not carried over: the collector
// reports its counts as metrics now.
func migrateV1(ctx context.Context, tx *sql.Tx, s *sqliteStore, opts Options) error {
	if err := execEach(ctx, tx, "ALTER TABLE events RENAME TO events_v1", "DROP INDEX IF EXISTS idx_session",
		"DROP INDEX IF EXISTS idx_type_time", "DROP INDEX IF EXISTS idx_pending",
		"DROP INDEX IF EXISTS idx_transmitted"); err != nil {
		return err
	}
	if err := s.create(ctx, tx); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx,
		"SELECT event_id, payload, created_at, transmitted_at, export_id FROM events_v1 ORDER BY id")
	if err != nil {
		return err
	}
	type old struct {
		uid, created        string
		transmitted, export sql.NullString
		ev                  Event
	}
	var evs []old
	undecodable := 0
	for rows.Next() {
		var o old
		var payload []byte
		if err := rows.Scan(&o.uid, &payload, &o.created, &o.transmitted, &o.export); err != nil {
			rows.Close()
			return err
		}
		name, ts, attrs, err := event.Decode(payload)
		if err != nil {
			undecodable++ // never readable by the old store either
			continue
		}
		o.ev = Event{UID: o.uid, Name: name, Time: ts, Attrs: attrs}
		evs = append(evs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	upd, err := tx.PrepareContext(ctx, markExportedSQL)
	if err != nil {
		return err
	}
	defer upd.Close()
	for i := range evs {
		o := &evs[i]
		r := row{ev: o.ev, expires: expiresOn(o.ev.Time, opts.Retention[o.ev.Name])}
		args := s.args(&r, received{arg: o.created})
		if _, err := tx.ExecContext(ctx, "INSERT INTO events ("+strings.Join(eventInsertColumns(o.ev.Name), ", ")+
			") VALUES (?"+strings.Repeat(", ?", len(args)-1)+")", args...); err != nil {
			return fmt.Errorf("copy event %s: %w", o.uid, err)
		}
		if o.transmitted.Valid || o.export.Valid {
			if _, err := upd.ExecContext(ctx, o.transmitted, o.export, o.ev.Name, args[2], o.uid); err != nil {
				return fmt.Errorf("copy export mark of %s: %w", o.uid, err)
			}
		}
	}
	if err := execEach(ctx, tx, "DROP TABLE events_v1", "DROP TABLE IF EXISTS counters"); err != nil {
		return err
	}
	s.migrated = fmt.Sprintf("migrated %d events to typed columns (%d undecodable rows left out)", len(evs), undecodable)
	return nil
}

// migrateUIDKey rebuilds a typed store of version 100, whose uid column
// was unique on its own (an index that cost every insert a third of the
// serial path), into today's table, in the caller's transaction: every
// row keeps its rowid (the order of arrival that Pending reads) and every
// column its value. Its uids were unique, so none collides on the new key.
func migrateUIDKey(ctx context.Context, tx *sql.Tx, s *sqliteStore) error {
	// The index is built after the copy, from sorted keys, not row by
	// row in arrival order (a store of a million events: 7.8 s, not 8.6).
	if err := execEach(ctx, tx, "ALTER TABLE events RENAME TO events_v100",
		"DROP INDEX IF EXISTS idx_events_type_time", sqliteTableSQL); err != nil {
		return err
	}
	// The columns both tables have: an older schema's table may lack the
	// newest fields (added after, as NULL).
	rows, err := tx.QueryContext(ctx, "SELECT name FROM pragma_table_info('events_v100') "+
		"WHERE name IN (SELECT name FROM pragma_table_info('events')) ORDER BY cid")
	if err != nil {
		return err
	}
	cols := []string{"rowid"}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	list := strings.Join(cols, ", ")
	res, err := tx.ExecContext(ctx, "INSERT INTO events ("+list+") SELECT "+list+" FROM events_v100 ORDER BY rowid")
	if err != nil {
		return fmt.Errorf("copy events: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := execEach(ctx, tx, sqliteKeySQL, "DROP TABLE events_v100"); err != nil {
		return err
	}
	s.migrated = fmt.Sprintf("migrated %d events to the (type, time, uid) key", n)
	return nil
}

// execEach runs statements in order in tx; an error names the one that
// failed.
func execEach(ctx context.Context, tx *sql.Tx, qs ...string) error {
	for _, q := range qs {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%w: %s", err, q)
		}
	}
	return nil
}

package sqlitespool

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"caro.sh/telemetry/event"
)

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

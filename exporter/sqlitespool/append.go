package sqlitespool

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"caro.sh/telemetry/event"
)

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
}

// The statements of every Append. The session_id and event_time columns,
// which the collector's store of older builds filled, are left to their
// defaults: nothing in the client reads them.
const (
	insertSQL = "INSERT INTO events (event_type, payload, created_at, event_id, size) VALUES (?, ?, ?, ?, ?)"
	// insertStagedSQL ignores a staged event whose id is stored already.
	insertStagedSQL = insertSQL + " ON CONFLICT (event_id) DO NOTHING"
	oldestSQL       = "SELECT id, created_at FROM events ORDER BY id LIMIT ?"
	newestSQL       = "SELECT created_at FROM events ORDER BY id DESC LIMIT 1"
	pageCountsSQL   = "SELECT * FROM pragma_page_count(), pragma_freelist_count()"
)

// Append stores the events in one transaction, then, in the same
// transaction, deletes the events older than Retention and, if the file
// would exceed MaxBytes, the oldest transmitted events and then the oldest
// pending ones until it fits, and returns the freed pages to the file system
// (incremental vacuum). Deletions are added to the counters purged_age,
// evicted_transmitted_cap and dropped_cap. An event that event.Encode
// rejects fails the whole call, and nothing is written.
func (s *Spool) Append(ctx context.Context, evs []Event) (AppendResult, error) {
	return s.appendEvents(ctx, evs, nil, false)
}

// appendEvents is Append that also adds counters in the same transaction.
// With staged, it keeps each event's EventID and CreatedAt (set when the
// event was staged in the inbox) and stores an id it holds already only
// once, so that ingesting a staged file twice after a crash duplicates
// nothing.
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
		if err := s.clampFuture(ctx, tx, now); err != nil {
			return err
		}
		var err error
		if res.Inserted, err = s.insert(ctx, tx, evs, payloads, now, staged); err != nil {
			return err
		}
		if res.Purged, err = s.purgeExpired(ctx, tx, now); err != nil {
			return err
		}
		if res.EvictedTransmitted, res.DroppedForCap, err = s.enforceCap(ctx, tx); err != nil {
			return err
		}
		if res.Purged+res.EvictedTransmitted+res.DroppedForCap > 0 {
			if err := s.vacuum(ctx, tx); err != nil {
				return err
			}
		}
		all := map[string]int64{
			CounterPurgedAge:          int64(res.Purged),
			CounterEvictedTransmitted: int64(res.EvictedTransmitted),
			CounterDroppedCap:         int64(res.DroppedForCap),
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

// insert writes the events and returns how many it stored: all of them,
// but for staged events whose id is stored already.
func (s *Spool) insert(ctx context.Context, tx *sql.Tx, evs []Event, payloads [][]byte, now time.Time, staged bool) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	created := event.FormatStoreTime(now)
	fresh := tx.StmtContext(ctx, s.stmts[insertSQL])
	keep := tx.StmtContext(ctx, s.stmts[insertStagedSQL])
	n := 0
	for i := range evs {
		if staged && evs[i].EventID != "" {
			at := created
			if c := evs[i].CreatedAt; !c.IsZero() && c.Before(now) {
				// Staged by a clock ahead of this one: retention counts
				// from now, never from a time to come.
				at = event.FormatStoreTime(c)
			}
			r, err := keep.ExecContext(ctx, evs[i].Name, payloads[i], at, evs[i].EventID, len(payloads[i]))
			if err != nil {
				return n, err
			}
			if k, _ := r.RowsAffected(); k > 0 {
				n++
			}
			continue
		}
		id, err := event.NewRecordUID()
		if err != nil {
			return n, err
		}
		if _, err := fresh.ExecContext(ctx, evs[i].Name, payloads[i], created, id, len(payloads[i])); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
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

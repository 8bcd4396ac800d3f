package sqlitespool

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
)

// Server mode: the collector's store. The same file format and the same
// Append as the client's queue, with three differences:
//
//   - Deduplication. The caller's EventID (the client's log.record.uid) is
//     kept, and an event whose id is stored already is ignored, so a batch
//     delivered twice is stored once (AppendResult.Duplicates).
//   - Retention per event type, from the event's own time (event_time: its
//     timestamp, never later than its arrival), as the spec's Data
//     Retention table says: session events 30 days, raw events 90, error
//     events 180 (ServerRetention; Options.RetentionByEvent overrides). An
//     event that arrives already past its retention is not stored
//     (AppendResult.Expired).
//   - Deletion requests. A deletion.request event deletes, in the same
//     transaction, every stored event of its session ids up to the
//     request's time, and records the sessions in deleted_sessions so that
//     an older event of theirs arriving later (a retried batch, an old
//     export file) is refused (AppendResult.RefusedDeleted). The request
//     itself is stored like any event: a site collector's export carries
//     it on to the central store.

// DefaultPurgeInterval is the least time between two retention purges run
// by Append in Server mode: a purge probes one index per event type, which
// is cheap but not free at thousands of appends a second.
const DefaultPurgeInterval = time.Minute

// Counters of Server mode.
const (
	// CounterDuplicate counts events ignored because their id was stored.
	CounterDuplicate = "duplicate"
	// CounterDeletedByRequest counts stored events deleted by deletion
	// requests.
	CounterDeletedByRequest = "deleted_request"
	// CounterRefusedDeleted counts events refused because a deletion
	// request covers them.
	CounterRefusedDeleted = "refused_deleted_session"
	// CounterPurgedRetention counts events deleted by the per-type server
	// retention.
	CounterPurgedRetention = "purged_retention"
	// CounterRefusedExpired counts events refused because they arrived
	// older than their retention.
	CounterRefusedExpired = "refused_expired"
)

// ServerRetention returns the server retention of every event type of the
// schema (schema.Event.RetentionDays).
func ServerRetention() map[string]time.Duration {
	out := make(map[string]time.Duration)
	for _, e := range schema.Events() {
		out[e.Name] = time.Duration(e.RetentionDays) * 24 * time.Hour
	}
	return out
}

// tombstoneSQL finds whether a deletion request covers an event.
const tombstoneSQL = "SELECT count(*) FROM deleted_sessions WHERE session_id = ? AND before >= ?"

func (o *Options) normalizeServer() error {
	ret := ServerRetention()
	for name, d := range o.RetentionByEvent {
		if d <= 0 {
			return fmt.Errorf("spool retention of %s is %v, want more than zero", name, d)
		}
		ret[name] = d
	}
	o.RetentionByEvent = ret
	if o.PurgeInterval == 0 {
		o.PurgeInterval = DefaultPurgeInterval
	}
	if o.PurgeInterval < 0 {
		return fmt.Errorf("spool purge interval %v is negative", o.PurgeInterval)
	}
	return nil
}

// insertServer applies the batch's deletion requests, then inserts the
// events that neither a request covers nor an earlier copy holds.
func (s *Spool) insertServer(ctx context.Context, tx *sql.Tx, evs []Event, payloads [][]byte,
	now time.Time, res *AppendResult) error {
	created := event.FormatStoreTime(now)
	tombstones := false
	for i := range evs {
		if evs[i].Name != schema.EventDeletionRequest {
			continue
		}
		n, err := s.applyDeletion(ctx, tx, &evs[i], now)
		if err != nil {
			return err
		}
		res.DeletedByRequest += n
	}
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM deleted_sessions)").Scan(&tombstones); err != nil {
		return err
	}
	ins := tx.StmtContext(ctx, s.stmts[insertServerSQL])
	check := tx.StmtContext(ctx, s.stmts[tombstoneSQL])
	for i := range evs {
		ev := &evs[i]
		sess := sessionOf(ev.Attrs)
		et := eventTime(ev.Time, now)
		if d, ok := s.opts.RetentionByEvent[ev.Name]; ok && et.Before(now.Add(-d)) {
			res.Expired++ // already past its retention: never stored
			continue
		}
		at := event.FormatStoreTime(et)
		if tombstones && sess != nil {
			var n int
			if err := check.QueryRowContext(ctx, sess, at).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				res.RefusedDeleted++
				continue
			}
		}
		id := ev.EventID
		if id == "" {
			var err error
			if id, err = event.NewRecordUID(); err != nil {
				return err
			}
		}
		r, err := ins.ExecContext(ctx, ev.Name, payloads[i], created, id, len(payloads[i]), sess, at)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res.Duplicates++
			continue
		}
		res.Inserted++
	}
	return nil
}

// applyDeletion deletes the events of a deletion request's sessions up to
// its time and records the sessions, keeping the latest time per session.
func (s *Spool) applyDeletion(ctx context.Context, tx *sql.Tx, ev *Event, now time.Time) (int, error) {
	var ids []string
	for _, a := range ev.Attrs {
		if a.Key == schema.KeySessionIDs && a.Value.Type == schema.TypeStringList {
			ids = a.Value.List
		}
	}
	before := event.FormatStoreTime(eventTime(ev.Time, now))
	total := 0
	for _, id := range ids {
		r, err := tx.ExecContext(ctx, "DELETE FROM events WHERE session_id = ? AND event_time <= ?", id, before)
		if err != nil {
			return total, err
		}
		n, _ := r.RowsAffected()
		total += int(n)
		if _, err := tx.ExecContext(ctx, `INSERT INTO deleted_sessions (session_id, before, deleted_at) VALUES (?, ?, ?)
			ON CONFLICT (session_id) DO UPDATE SET before = max(before, excluded.before), deleted_at = excluded.deleted_at`,
			id, before, event.FormatStoreTime(now)); err != nil {
			return total, err
		}
	}
	return total, nil
}

// purgeServer deletes, per event type, the events older than its
// retention, and the deletion records older than the longest retention
// (no event they cover can be stored any more). Unless forced it runs at
// most once per PurgeInterval. Each type is one probe of idx_type_time;
// types this build does not know are never stored by it (event.Encode
// refuses them) and are left alone.
func (s *Spool) purgeServer(ctx context.Context, tx *sql.Tx, now time.Time, force bool) (int, error) {
	s.purgeMu.Lock()
	due := force || s.lastPurge.IsZero() || now.Sub(s.lastPurge) >= s.opts.PurgeInterval || now.Before(s.lastPurge)
	s.purgeMu.Unlock()
	if !due {
		return 0, nil
	}
	total := 0
	longest := s.opts.Retention
	for name, d := range s.opts.RetentionByEvent {
		longest = max(longest, d)
		r, err := tx.ExecContext(ctx, "DELETE FROM events WHERE event_type = ? AND event_time < ?",
			name, event.FormatStoreTime(now.Add(-d)))
		if err != nil {
			return total, err
		}
		n, _ := r.RowsAffected()
		total += int(n)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM deleted_sessions WHERE before < ?",
		event.FormatStoreTime(now.Add(-longest))); err != nil {
		return total, err
	}
	if total > 0 {
		if err := addCounters(ctx, tx, map[string]int64{CounterPurgedRetention: int64(total)}); err != nil {
			return total, err
		}
	}
	s.purgeMu.Lock()
	s.lastPurge = now
	s.purgeMu.Unlock()
	return total, nil
}

// Purge runs the retention purge now and returns how many events it
// deleted: in Server mode per event type (ServerRetention), else by
// Retention from arrival as Append does.
func (s *Spool) Purge(ctx context.Context) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	now := s.opts.Now()
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if s.opts.Server {
			n, err = s.purgeServer(ctx, tx, now, true)
		} else {
			n, err = s.purgeExpired(ctx, tx, now)
			if err == nil && n > 0 {
				err = addCounters(ctx, tx, map[string]int64{CounterPurgedAge: int64(n)})
			}
		}
		if err == nil && n > 0 {
			_, err = tx.ExecContext(ctx, "PRAGMA incremental_vacuum")
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge spool %s: %w", s.opts.Path, err)
	}
	return n, nil
}

// CountByEvent returns how many events of each type are stored, pending
// and transmitted alike.
func (s *Spool) CountByEvent(ctx context.Context) (map[string]int, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT event_type, count(*) FROM events GROUP BY event_type")
	if err != nil {
		return nil, fmt.Errorf("count spool %s: %w", s.opts.Path, err)
	}
	defer rows.Close()
	out := make(map[string]int)
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("count spool %s: %w", s.opts.Path, err)
		}
		out[name] = n
	}
	return out, rows.Err()
}

package sqlitespool

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"caro.sh/telemetry/event"
)

// MarkTransmitted records that the events were sent at the given time (zero:
// Options.Now). An event already marked keeps its first time; unknown ids
// are ignored.
func (s *Spool) MarkTransmitted(ctx context.Context, ids []int64, at time.Time) error {
	if at.IsZero() {
		at = s.opts.Now()
	}
	return s.updateIDs(ctx, "mark transmitted in", ids,
		"UPDATE events SET transmitted_at = ? WHERE transmitted_at IS NULL AND id IN (%s)", event.FormatStoreTime(at))
}

// SetExportID records the air-gapped export that included the events.
func (s *Spool) SetExportID(ctx context.Context, ids []int64, exportID string) error {
	return s.updateIDs(ctx, "set export id in", ids, "UPDATE events SET export_id = ? WHERE id IN (%s)", exportID)
}

func (s *Spool) updateIDs(ctx context.Context, what string, ids []int64, stmt string, value string) error {
	if err := s.check(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		return inChunks(ids, func(in string, args []any) error {
			_, err := tx.ExecContext(ctx, fmt.Sprintf(stmt, in), append([]any{value}, args...)...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("%s spool %s: %w", what, s.opts.Path, err)
	}
	return nil
}

// Delete deletes the events with the given ids, pending or not, returns how
// many existed, and gives the freed pages back to the file system.
func (s *Spool) Delete(ctx context.Context, ids []int64) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = deleteIDs(ctx, tx, ids); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "PRAGMA incremental_vacuum")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete from spool %s: %w", s.opts.Path, err)
	}
	return n, nil
}

// Clear deletes every pending event (caro telemetry clear), returns how
// many, and gives the freed pages back to the file system. Transmitted
// events and counters stay.
func (s *Spool) Clear(ctx context.Context) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "DELETE FROM events WHERE transmitted_at IS NULL")
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		_, err = tx.ExecContext(ctx, "PRAGMA incremental_vacuum")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("clear spool %s: %w", s.opts.Path, err)
	}
	return int(n), nil
}

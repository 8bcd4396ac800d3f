package insights

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// DataSpan returns the first and last UTC days that hold data, raw events
// or days rolled up into daily_metrics; ok is false for a store with
// neither. Like firstEventDay it asks each event type for its oldest and
// newest event, which the (event_type, event_time) index answers at once.
func DataSpan(ctx context.Context, s *store.Store) (first, last time.Time, ok bool, err error) {
	d := s.Dialect()
	var lo, hi string
	keep := func(day sql.NullString) {
		if !day.Valid || day.String == "" {
			return
		}
		if lo == "" || day.String < lo {
			lo = day.String
		}
		if day.String > hi {
			hi = day.String
		}
	}
	for _, agg := range []string{"min", "max"} {
		// The aggregate alone in its SELECT, as SQLite's index shortcut wants it.
		q := "SELECT " + d.Day("m.t") + " FROM (SELECT " + agg + "(" + store.ColEventTime + ") AS t FROM events WHERE " +
			store.ColEventType + " = " + d.Param(1) + ") AS m"
		for _, ev := range schema.Events() {
			var day sql.NullString
			if err := s.DB().QueryRowContext(ctx, q, ev.Name).Scan(&day); err != nil {
				return first, last, false, fmt.Errorf("find the days with data: %w", err)
			}
			keep(day)
		}
	}
	var exists bool
	if err := s.DB().QueryRowContext(ctx, tableExistsSQL(d, "daily_metrics")).Scan(&exists); err != nil {
		return first, last, false, fmt.Errorf("look for daily_metrics: %w", err)
	}
	if exists {
		var a, b sql.NullString
		if err := s.DB().QueryRowContext(ctx, "SELECT min(day), max(day) FROM daily_metrics").Scan(&a, &b); err != nil {
			return first, last, false, fmt.Errorf("find the rolled-up days: %w", err)
		}
		keep(a)
		keep(b)
	}
	if lo == "" {
		return first, last, false, nil
	}
	if first, err = time.Parse(time.DateOnly, lo); err != nil {
		return first, last, false, fmt.Errorf("first day %q: %w", lo, err)
	}
	if last, err = time.Parse(time.DateOnly, hi); err != nil {
		return first, last, false, fmt.Errorf("last day %q: %w", hi, err)
	}
	return first, last, true, nil
}

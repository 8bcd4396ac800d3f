package insights

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// createDailySQL creates the aggregates table, in the same words for both
// databases (SQLite reads DOUBLE PRECISION as REAL). A distribution has
// one row per distinct value, hence value in the key; the key is UNIQUE,
// not PRIMARY, because value is NULL for a ratio without a denominator.
const createDailySQL = `CREATE TABLE IF NOT EXISTS daily_metrics (
	day TEXT NOT NULL,       -- UTC day, YYYY-MM-DD
	metric TEXT NOT NULL,    -- Def.Name, "<dist>.dist" or "_rolled_up"
	segment TEXT NOT NULL,   -- "all" or "<dimension>=<value>"
	value DOUBLE PRECISION,  -- num/den; the observed value of a distribution; NULL when den is 0
	numerator BIGINT NOT NULL,
	denominator BIGINT NOT NULL,
	UNIQUE (day, metric, segment, value)
)`

const markerMetric = "_rolled_up"

// aggregates are the days of a window that daily_metrics holds.
type aggregates struct {
	rows []Row
	// rolled are the days of the window that Rollup wrote (a marker each).
	rolled map[string]bool
	// settled is the last day Rollup wrote, in or before the window (zero
	// when none): every day up to it is read from daily_metrics, since a
	// day before it without a marker had no events when Rollup passed it.
	settled time.Time
}

// aggregateRows reads the aggregates of [from, to). A store without the
// table has none.
func aggregateRows(ctx context.Context, s *store.Store, from, to time.Time) (aggregates, error) {
	db, d := s.DB(), s.Dialect()
	agg := aggregates{rolled: map[string]bool{}}
	var exists bool
	if err := db.QueryRowContext(ctx, tableExistsSQL(d, "daily_metrics")).Scan(&exists); err != nil {
		return agg, fmt.Errorf("look for daily_metrics: %w", err)
	}
	if !exists {
		return agg, nil
	}
	last, err := lastRolledUp(ctx, s)
	if err != nil {
		return agg, err
	}
	agg.settled = last
	rs, err := db.QueryContext(ctx, render(
		"SELECT day, metric, segment, value, numerator, denominator FROM daily_metrics WHERE day >= {1} AND day < {2}", nil, d),
		from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return agg, fmt.Errorf("read daily_metrics: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var r Row
		var v sql.NullFloat64
		if err := rs.Scan(&r.Day, &r.Metric, &r.Segment, &v, &r.Numerator, &r.Denominator); err != nil {
			return agg, fmt.Errorf("read daily_metrics: %w", err)
		}
		if r.Metric == markerMetric {
			agg.rolled[r.Day] = true
			continue
		}
		r.Value = math.NaN()
		if v.Valid {
			r.Value = v.Float64
		}
		agg.rows = append(agg.rows, r)
	}
	if err := rs.Err(); err != nil {
		return agg, fmt.Errorf("read daily_metrics: %w", err)
	}
	return agg, nil
}

// lastRolledUp is the last day that Rollup wrote, zero when none. The
// table must exist.
func lastRolledUp(ctx context.Context, s *store.Store) (time.Time, error) {
	var last sql.NullString
	if err := s.DB().QueryRowContext(ctx, render("SELECT max(day) FROM daily_metrics WHERE metric = {1}", nil, s.Dialect()),
		markerMetric).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("find rolled-up days: %w", err)
	}
	if !last.Valid {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, last.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse rolled-up day %q: %w", last.String, err)
	}
	return t, nil
}

// RollupResult tells what Rollup did.
type RollupResult struct {
	Days []string // the days rolled up by this call
	Rows int      // rows written
}

// Rollup writes into daily_metrics the rows of every complete UTC day
// (before now's day) that has raw events and is not rolled up yet, each day
// with its marker, in one transaction. It never rewrites a rolled-up day,
// so running it again writes nothing.
func Rollup(ctx context.Context, s *store.Store, now time.Time) (RollupResult, error) {
	var res RollupResult
	db, d := s.DB(), s.Dialect()
	if _, err := db.ExecContext(ctx, createDailySQL); err != nil {
		return res, fmt.Errorf("create daily_metrics: %w", err)
	}
	first, err := firstEventDay(ctx, s)
	if err != nil {
		return res, err
	}
	if first == "" {
		return res, nil
	}
	from, err := time.Parse(time.DateOnly, first)
	if err != nil {
		return res, fmt.Errorf("parse event day %q: %w", first, err)
	}
	// Incremental: only the days after the last rolled-up one. A day
	// before it that has no marker had no events when it was rolled over,
	// and late events are not counted (see the package doc).
	last, err := lastRolledUp(ctx, s)
	if err != nil {
		return res, err
	}
	if next := last.AddDate(0, 0, 1); !last.IsZero() && next.After(from) {
		from = next
	}
	to := Day(now)
	if !to.After(from) {
		return res, nil
	}
	facts, err := rawFacts(ctx, s, from, to)
	if err != nil {
		return res, err
	}
	byDay := map[string][]fact{}
	for _, f := range facts {
		byDay[f.Day] = append(byDay[f.Day], f)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("roll up: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, render(`INSERT INTO daily_metrics
		(day, metric, segment, value, numerator, denominator) VALUES ({1}, {2}, {3}, {4}, {5}, {6})`, nil, d))
	if err != nil {
		return res, fmt.Errorf("roll up: %w", err)
	}
	defer ins.Close()
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		fs, ok := byDay[day]
		if !ok {
			continue
		}
		rows := append(dayRows(day, fs), Row{Day: day, Metric: markerMetric, Segment: SegmentAll, Value: 1})
		for _, r := range rows {
			var v any = r.Value
			if math.IsNaN(r.Value) {
				v = nil
			}
			if _, err := ins.ExecContext(ctx, r.Day, r.Metric, r.Segment, v, r.Numerator, r.Denominator); err != nil {
				return res, fmt.Errorf("roll up %s: %w", day, err)
			}
		}
		res.Days = append(res.Days, day)
		res.Rows += len(rows)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("roll up: %w", err)
	}
	return res, nil
}

// firstEventDay is the UTC day (YYYY-MM-DD) of the oldest stored event, ""
// when there is none. It asks each event type for its oldest, which the
// store's (event_type, event_time) index answers at once, where the oldest
// of all would read the whole table.
func firstEventDay(ctx context.Context, s *store.Store) (string, error) {
	d := s.Dialect()
	// The min() alone in its SELECT, as SQLite's index shortcut wants it.
	q := "SELECT " + d.Day("m.t") + " FROM (SELECT min(" + store.ColEventTime + ") AS t FROM events WHERE " +
		store.ColEventType + " = " + d.Param(1) + ") AS m"
	first := ""
	for _, ev := range schema.Events() {
		var day sql.NullString
		if err := s.DB().QueryRowContext(ctx, q, ev.Name).Scan(&day); err != nil {
			return "", fmt.Errorf("find the first event day: %w", err)
		}
		if day.Valid && (first == "" || day.String < first) {
			first = day.String
		}
	}
	return first, nil
}

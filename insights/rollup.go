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

// aggregateRows reads the rows of the rolled-up days of [from, to) and
// which days they are. A store without the table has none.
func aggregateRows(ctx context.Context, s *store.Store, from, to time.Time) ([]Row, map[string]bool, error) {
	db, d := s.DB(), s.Dialect()
	var exists bool
	if err := db.QueryRowContext(ctx, tableExistsSQL(d, "daily_metrics")).Scan(&exists); err != nil {
		return nil, nil, fmt.Errorf("look for daily_metrics: %w", err)
	}
	rolled := map[string]bool{}
	if !exists {
		return nil, rolled, nil
	}
	rs, err := db.QueryContext(ctx, render(
		"SELECT day, metric, segment, value, numerator, denominator FROM daily_metrics WHERE day >= {1} AND day < {2}", nil, d),
		from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, nil, fmt.Errorf("read daily_metrics: %w", err)
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		var r Row
		var v sql.NullFloat64
		if err := rs.Scan(&r.Day, &r.Metric, &r.Segment, &v, &r.Numerator, &r.Denominator); err != nil {
			return nil, nil, fmt.Errorf("read daily_metrics: %w", err)
		}
		if r.Metric == markerMetric {
			rolled[r.Day] = true
			continue
		}
		r.Value = math.NaN()
		if v.Valid {
			r.Value = v.Float64
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, nil, fmt.Errorf("read daily_metrics: %w", err)
	}
	return out, rolled, nil
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
	var lastRolled sql.NullString
	if err := db.QueryRowContext(ctx, render("SELECT max(day) FROM daily_metrics WHERE metric = {1}", nil, d),
		markerMetric).Scan(&lastRolled); err != nil {
		return res, fmt.Errorf("find rolled-up days: %w", err)
	}
	if lastRolled.Valid {
		d, err := time.Parse(time.DateOnly, lastRolled.String)
		if err != nil {
			return res, fmt.Errorf("parse rolled-up day %q: %w", lastRolled.String, err)
		}
		if next := d.AddDate(0, 0, 1); next.After(from) {
			from = next
		}
	}
	to := Day(now)
	if !to.After(from) {
		return res, nil
	}
	_, rolled, err := aggregateRows(ctx, s, from, to)
	if err != nil {
		return res, err
	}
	facts, err := rawFacts(ctx, s, from, to)
	if err != nil {
		return res, err
	}
	byDay := map[string][]fact{}
	for _, f := range facts {
		if !rolled[f.Day] {
			byDay[f.Day] = append(byDay[f.Day], f)
		}
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

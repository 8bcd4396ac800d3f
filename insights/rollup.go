package insights

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// createDailySQL creates the aggregates table. A distribution has one row
// per distinct value, hence value in the key.
const createDailySQL = `CREATE TABLE IF NOT EXISTS daily_metrics (
	day TEXT NOT NULL,       -- UTC day, YYYY-MM-DD
	metric TEXT NOT NULL,    -- Def.Name, "<dist>.dist" or "_rolled_up"
	segment TEXT NOT NULL,   -- "all" or "<dimension>=<value>"
	value REAL,              -- num/den; the observed value of a distribution; NULL when den is 0
	numerator INTEGER NOT NULL,
	denominator INTEGER NOT NULL,
	PRIMARY KEY (day, metric, segment, value)
)`

const markerMetric = "_rolled_up"

// aggregateRows reads the rows of the rolled-up days of [from, to) and
// which days they are. A store without the table has none.
func aggregateRows(ctx context.Context, db *sql.DB, from, to time.Time) ([]Row, map[string]bool, error) {
	var n int
	err := db.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'daily_metrics'").Scan(&n)
	if err != nil {
		return nil, nil, fmt.Errorf("look for daily_metrics: %w", err)
	}
	rolled := map[string]bool{}
	if n == 0 {
		return nil, rolled, nil
	}
	rs, err := db.QueryContext(ctx,
		"SELECT day, metric, segment, value, numerator, denominator FROM daily_metrics WHERE day >= ? AND day < ?",
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
// with its marker, in one transaction. db must be writable. It never
// rewrites a rolled-up day, so running it again writes nothing.
func Rollup(ctx context.Context, db *sql.DB, now time.Time) (RollupResult, error) {
	var res RollupResult
	if _, err := db.ExecContext(ctx, createDailySQL); err != nil {
		return res, fmt.Errorf("create daily_metrics: %w", err)
	}
	var first, last sql.NullString
	if err := db.QueryRowContext(ctx,
		"SELECT min(event_time), max(event_time) FROM events WHERE event_time != ''").Scan(&first, &last); err != nil {
		return res, fmt.Errorf("find event days: %w", err)
	}
	if !first.Valid {
		return res, nil
	}
	from, err := time.Parse(time.DateOnly, first.String[:10])
	if err != nil {
		return res, fmt.Errorf("parse event day %q: %w", first.String, err)
	}
	// Incremental: only the days after the last rolled-up one. A day
	// before it that has no marker had no events when it was rolled over,
	// and late events are not counted (see the package doc).
	var lastRolled sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT max(day) FROM daily_metrics WHERE metric = ?",
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
	_, rolled, err := aggregateRows(ctx, db, from, to)
	if err != nil {
		return res, err
	}
	facts, err := rawFacts(ctx, db, from, to)
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
	ins, err := tx.PrepareContext(ctx, `INSERT INTO daily_metrics
		(day, metric, segment, value, numerator, denominator) VALUES (?, ?, ?, ?, ?, ?)`)
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

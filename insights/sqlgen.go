package insights

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"caro.sh/telemetry/store"
)

// SeriesQuery says where a series query (SeriesSQL, SharesSQL) takes its
// window, segment and buckets from: SQL expressions, such as a Grafana
// dashboard's macros and variables, or literals.
type SeriesQuery struct {
	// From and To are timestamptz expressions. The window is the UTC days
	// from From's through the day of the instant just before To: for two
	// midnights, [From, To) as Compute takes it.
	From, To string
	// Segment is a text expression: "" or "all" for the whole
	// population, else a dimension (backend, platform, run, ...), of
	// which Value is the value. The dimensions computed in Go (model
	// size, feature) have no figures here.
	Segment, Value string
	// Bucket is a text expression: 'week' sums the days of each ISO week
	// (from Monday; the first is cut at the window's start), anything
	// else gives one point per day.
	Bucket string
}

// SeriesSQL returns the PostgreSQL that computes the metric name of one
// segment for each bucket of the window, with the figures Compute gives
// for the bucket's days: the same facts (the facts SQL itself, on the days
// not rolled up) and daily_metrics rows (on the days rolled up), summed
// and divided as combine does, percentiles by nearest rank. Its columns:
// time (the bucket's first day, timestamptz), value (double precision,
// NULL without data), target_min and target_max (the bounds of the
// segment's target, NULL where it has none). The store must have the
// daily_metrics table (caro-insights rollup creates it, even with
// nothing to roll up).
func SeriesSQL(name string, q SeriesQuery) (string, error) {
	d, ok := DefOf(name)
	if !ok {
		return "", fmt.Errorf("no metric %q", name)
	}
	var b strings.Builder
	b.WriteString(seriesPrelude(q, false))
	key := "CASE WHEN w.dim = 'all' THEN 'all' ELSE w.dim || '=' || w.val END"
	// A dimension that the metric is not broken down by has no figures.
	allowed := "(w.dim = 'all' OR w.dim IN (" + segmentsIn(d.Segments) + "))"
	match := "(w.dim = 'all' OR f.sv = w.val)"
	if d.Kind == KindPercentile {
		fmt.Fprintf(&b, `,
m_obs AS (
	SELECT f.day, CAST(f.v AS double precision) AS v, f.n FROM m_seg f, m_win w
	WHERE f.name = %[1]s AND %[2]s AND %[3]s
	UNION ALL
	SELECT m.day, m.value, m.numerator FROM daily_metrics m, m_win w
	WHERE m.metric = %[4]s AND m.segment = %[5]s AND %[3]s AND m.day IN (SELECT day FROM m_rolled)
),
m_values AS (
	SELECT d.b, o.v, sum(o.n) AS n FROM m_days d JOIN m_obs o ON o.day = d.day GROUP BY d.b, o.v
),
m_ranks AS (
	SELECT b, v, sum(n) OVER (PARTITION BY b ORDER BY v) AS cum, sum(n) OVER (PARTITION BY b) AS total FROM m_values
)
SELECT d.b AT TIME ZONE 'UTC' AS time,
	(SELECT min(r.v) FROM m_ranks r WHERE r.b = d.b
		AND CAST(r.cum AS double precision) >= greatest(ceil(CAST(%[6]s AS double precision) * CAST(r.total AS double precision)), 1)) AS value,
	%[7]s AS target_min, %[8]s AS target_max
FROM (SELECT DISTINCT b FROM m_days) d, m_win w
ORDER BY 1
`, quote(d.Dist), match, allowed, quote(d.Dist+distSuffix), key, strconv.FormatFloat(d.P, 'g', -1, 64),
			targetSQL(d, key, func(t Target) float64 { return t.Min }), targetSQL(d, key, func(t Target) float64 { return t.Max }))
		return b.String(), nil
	}
	// denUnsegmented, per dimension: the denominator is the whole
	// population's.
	var unseg []Segment
	for _, s := range d.Segments {
		if d.denUnsegmented(s) {
			unseg = append(unseg, s)
		}
	}
	denUnseg := "(w.dim <> 'all' AND w.dim IN (" + segmentsIn(unseg) + "))"
	num, den := namesIn(d.Num), namesIn(d.Den)
	// A segment has a row on a day (dayRows) when a fact that keys it
	// carries its value: the numerator's, and the denominator's unless
	// that is the whole population's.
	has := fmt.Sprintf("f.name IN (%s) OR (NOT %s AND f.name IN (%s))", num, denUnseg, den)
	if d.Kind == KindDaily {
		// The whole population's daily mean has a row on every day with
		// facts (its denominator, 1, is never 0).
		has = "w.dim = 'all' OR f.name IN (" + num + ")"
	}
	value := fmt.Sprintf("CAST(sum(x.num) AS double precision) / nullif(CAST(sum(CASE WHEN %s THEN x.den_all ELSE x.den_seg END) AS double precision), 0)", denUnseg)
	if d.Kind == KindDaily {
		value = "CAST(sum(x.num) AS double precision) / CAST(count(DISTINCT d.day) AS double precision)"
	}
	fmt.Fprintf(&b, `,
m_raw AS (
	SELECT f.day,
		sum(CASE WHEN f.name IN (%[1]s) AND %[3]s THEN f.n ELSE 0 END) AS num,
		sum(CASE WHEN f.name IN (%[2]s) AND %[3]s THEN f.n ELSE 0 END) AS den_seg,
		sum(CASE WHEN f.name IN (%[2]s) THEN f.n ELSE 0 END) AS den_all,
		max(CASE WHEN (%[4]s) AND %[3]s THEN 1 ELSE 0 END) AS has
	FROM m_seg f, m_win w GROUP BY f.day
),
m_agg AS (
	SELECT m.day,
		sum(CASE WHEN m.segment = %[5]s THEN m.numerator ELSE 0 END) AS num,
		sum(CASE WHEN m.segment = %[5]s THEN m.denominator ELSE 0 END) AS den_seg,
		sum(CASE WHEN m.segment = 'all' THEN m.denominator ELSE 0 END) AS den_all,
		max(CASE WHEN m.segment = %[5]s THEN 1 ELSE 0 END) AS has
	FROM daily_metrics m, m_win w
	WHERE m.metric = %[6]s AND m.day IN (SELECT day FROM m_rolled)
	GROUP BY m.day
),
m_rows AS (SELECT * FROM m_raw UNION ALL SELECT * FROM m_agg)
SELECT d.b AT TIME ZONE 'UTC' AS time,
	CASE WHEN coalesce(max(x.has), 0) = 0 OR NOT %[7]s THEN NULL ELSE %[8]s END AS value,
	%[9]s AS target_min, %[10]s AS target_max
FROM m_days d LEFT JOIN m_rows x ON x.day = d.day, m_win w
GROUP BY d.b, w.dim, w.val
ORDER BY 1
`, num, den, match, has, key, quote(d.Name), allowed, value,
		targetSQL(d, key, func(t Target) float64 { return t.Min }), targetSQL(d, key, func(t Target) float64 { return t.Max }))
	return b.String(), nil
}

// SharesSQL returns the PostgreSQL of the platform distribution
// (platform_share) by the values of the query's segment dimension (the
// platform for the whole population), for each bucket: columns time,
// metric (the segment's value) and value (its share of sessions), the
// figures Compute gives for the bucket's days.
func SharesSQL(q SeriesQuery) string {
	d, _ := DefOf("platform_share")
	return seriesPrelude(q, true) + fmt.Sprintf(`,
m_num AS (
	SELECT f.day, f.sv AS label, f.n AS num FROM m_seg f WHERE f.name IN (%[1]s) AND f.sv IS NOT NULL AND f.sv <> ''
	UNION ALL
	SELECT m.day, substr(m.segment, length(w.dim) + 2), m.numerator FROM daily_metrics m, m_win w
	WHERE m.metric = %[2]s AND split_part(m.segment, '=', 1) = w.dim AND m.day IN (SELECT day FROM m_rolled)
),
m_den AS (
	SELECT f.day, f.n AS den FROM m_facts f WHERE f.name IN (%[3]s)
	UNION ALL
	SELECT m.day, m.denominator FROM daily_metrics m
	WHERE m.metric = %[2]s AND m.segment = 'all' AND m.day IN (SELECT day FROM m_rolled)
),
m_bnum AS (SELECT d.b, n.label, sum(n.num) AS num FROM m_days d JOIN m_num n ON n.day = d.day GROUP BY 1, 2),
m_bden AS (SELECT d.b, sum(e.den) AS den FROM m_days d JOIN m_den e ON e.day = d.day GROUP BY 1)
SELECT n.b AT TIME ZONE 'UTC' AS time, n.label AS metric,
	CAST(n.num AS double precision) / nullif(CAST(e.den AS double precision), 0) AS value
FROM m_bnum n JOIN m_bden e ON e.b = n.b
ORDER BY 1, 2
`, namesIn(d.Num), quote(d.Name), namesIn(d.Den))
}

// seriesPrelude is what every series query starts with: the window and
// the query's parameters (m_win), its days and their buckets (m_days),
// the days rolled up (m_rolled), the facts of the other days (m_facts,
// read by the facts SQL itself, with what rawFacts makes of NULLs) and
// each fact's value on the query's dimension (m_seg.sv). For shares, the
// whole population's dimension is the platform.
func seriesPrelude(q SeriesQuery, shares bool) string {
	all := "'all'"
	if shares {
		all = quote(string(SegmentPlatform))
	}
	var cases strings.Builder
	for _, s := range sortedSegments() {
		fmt.Fprintf(&cases, " WHEN %s THEN %s", quote(string(s)), segmentSQL[s])
	}
	facts := paramPattern.ReplaceAllStringFunc(factsSQL(store.PostgresDialect()), func(p string) string {
		return map[string]string{"$1": "(SELECT t0 FROM m_win)", "$2": "(SELECT t1 FROM m_win)"}[p]
	})
	return fmt.Sprintf(`WITH m_win AS MATERIALIZED (
	SELECT w.t0, w.t1, to_char(w.t0 AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d0, to_char(w.t1 AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d1,
		CASE WHEN w.dim IN ('', 'all') THEN %[6]s ELSE w.dim END AS dim, w.val, w.bucket
	FROM (SELECT date_trunc('day', CAST(%[1]s AS timestamptz), 'UTC') AS t0,
		date_trunc('day', CAST(%[2]s AS timestamptz) - interval '1 microsecond', 'UTC') + interval '24 hours' AS t1,
		coalesce(CAST(%[3]s AS text), '') AS dim, coalesce(CAST(%[4]s AS text), '') AS val,
		coalesce(CAST(%[5]s AS text), 'day') AS bucket) w
),
m_days AS MATERIALIZED (
	SELECT to_char(d, 'YYYY-MM-DD') AS day,
		CASE WHEN w.bucket = 'week' THEN greatest(date_trunc('week', d), w.t0 AT TIME ZONE 'UTC') ELSE d END AS b
	FROM m_win w, generate_series(w.t0 AT TIME ZONE 'UTC', w.t1 AT TIME ZONE 'UTC' - interval '1 day', interval '1 day') AS d
),
m_rolled AS MATERIALIZED (
	SELECT DISTINCT m.day FROM daily_metrics m, m_win w WHERE m.metric = %[7]s AND m.day >= w.d0 AND m.day < w.d1
),
m_facts AS MATERIALIZED (
	SELECT f.day, f.name, coalesce(nullif(f.backend, ''), 'unknown') AS backend,
		coalesce(nullif(split_part(f.os_run, '|', 1), ''), 'unknown') AS os,
		coalesce(nullif(split_part(f.arch_shell, '|', 1), ''), 'unknown') AS arch,
		coalesce(nullif(split_part(f.arch_shell, '|', 2), ''), 'unknown') AS shell,
		coalesce(nullif(split_part(f.os_run, '|', 2), ''), 'unknown') AS run, coalesce(f.extra, '') AS extra,
		CAST(f.v AS bigint) AS v, CAST(f.n AS bigint) AS n
	FROM (%[8]s) AS f(day, name, backend, os_run, arch_shell, extra, v, n)
	WHERE f.day NOT IN (SELECT day FROM m_rolled)
),
m_seg AS MATERIALIZED (
	SELECT f.*, CASE w.dim%[9]s END AS sv FROM m_facts f, m_win w
)`, q.From, q.To, orNull(q.Segment), orNull(q.Value), orNull(q.Bucket), all, quote(markerMetric),
		strings.TrimSpace(facts), cases.String())
}

// paramPattern matches the facts SQL's parameters in PostgreSQL.
var paramPattern = regexp.MustCompile(`\$[0-9]+`)

// segmentSQL is segValue in SQL: a fact's value on a dimension, over the
// columns of m_facts (f). The model size (schema.ModelSizeClass of the
// model's name) and the features (split from one text) are computed in
// Go, not here: a query by them has no figures. The common segments must
// have theirs (TestCommonSegmentsHaveTheirSQL).
var segmentSQL = func() map[Segment]string {
	m := map[Segment]string{
		SegmentBackend:   "f.backend",
		SegmentPlatform:  "f.os",
		SegmentArch:      "f.arch",
		SegmentShell:     "f.shell",
		SegmentOSBackend: "f.os || '/' || f.backend",
		SegmentRun:       "f.run",
	}
	for _, s := range []Segment{SegmentRisk, SegmentCategory} {
		p := string(s) + "="
		m[s] = fmt.Sprintf("CASE WHEN substr(f.extra, 1, %d) = %s THEN substr(f.extra, %d) END", len(p), quote(p), len(p)+1)
	}
	return m
}()

func sortedSegments() []Segment {
	out := make([]Segment, 0, len(segmentSQL))
	for s := range segmentSQL {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// targetSQL is one bound of the metric's target for the segment key, in
// the metric's own unit (a ratio, milliseconds); NULL without one.
func targetSQL(d Def, key string, bound func(Target) float64) string {
	lit := func(t Target) string {
		if t.Growth || bound(t) == 0 {
			return "CAST(NULL AS double precision)"
		}
		return "CAST(" + strconv.FormatFloat(bound(t), 'g', -1, 64) + " AS double precision)"
	}
	if len(d.TargetFor) == 0 {
		return lit(d.Target)
	}
	keys := make([]string, 0, len(d.TargetFor))
	for k := range d.TargetFor {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("CASE " + key)
	for _, k := range keys {
		b.WriteString(" WHEN " + quote(k) + " THEN " + lit(d.TargetFor[k]))
	}
	b.WriteString(" ELSE " + lit(d.Target) + " END")
	return b.String()
}

// namesIn is a list of fact names for IN (...): never empty (no fact is
// named "").
func namesIn(names []string) string {
	if len(names) == 0 {
		return "''"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}

func segmentsIn(segs []Segment) string {
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i] = string(s)
	}
	return namesIn(names)
}

func orNull(expr string) string {
	if expr == "" {
		return "NULL"
	}
	return expr
}

// quote writes s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

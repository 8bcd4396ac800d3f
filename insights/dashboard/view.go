package dashboard

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"caro.sh/telemetry/insights"
)

// View is what the page draws: the figures of one week and one segment
// filter, with the weeks before it.
type View struct {
	Week     string            `json:"week"`
	From     string            `json:"from"`
	To       string            `json:"to"` // inclusive
	Weeks    []string          `json:"weeks"`
	Segment  string            `json:"segment"` // "" or a dimension
	Value    string            `json:"value"`
	Key      string            `json:"key"` // "all" or "backend=ollama"
	Filters  []Filter          `json:"filters"`
	Refresh  int               `json:"refresh_seconds"`
	Headline Figure            `json:"headline"`
	Charts   []Chart           `json:"charts"`
	Signals  []insights.Signal `json:"signals"`
}

// Filter is one segment dimension and the values it has in the weeks
// shown.
type Filter struct {
	Segment string   `json:"segment"`
	Title   string   `json:"title"`
	Values  []string `json:"values"`
}

// Chart is one metric's trend (or two, for inference latency).
type Chart struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Definition string   `json:"definition"`
	Type       string   `json:"type"`    // "line", or "bar" for a distribution
	Unit       string   `json:"unit"`    // "%", "s" or "users"
	YTitle     string   `json:"y_title"` // with its unit
	Labels     []string `json:"labels"`  // the weeks
	Series     []Series `json:"series"`
	Targets    []Line   `json:"targets"`
	Current    []Figure `json:"current"` // the selected week, one per series
}

// Series is one line (or bar set) of a chart, in the chart's unit; nil
// values have no data.
type Series struct {
	Label        string     `json:"label"`
	Values       []*float64 `json:"values"`
	Numerators   []int64    `json:"numerators"`
	Denominators []int64    `json:"denominators"`
}

// Line is a target drawn across a chart.
type Line struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// Figure is a metric of the selected week, as the review prints it.
type Figure struct {
	Label       string          `json:"label"`
	Value       string          `json:"value"` // "81.2%", "1.4s", "n/a"
	Target      string          `json:"target"`
	Status      insights.Status `json:"status"`
	Numerator   int64           `json:"numerator"`
	Denominator int64           `json:"denominator"`
	Trend       string          `json:"trend"` // against the week before
}

// unit scales a metric's value for a chart.
type unit struct {
	name  string
	scale func(float64) float64
}

var (
	percent = unit{"%", func(v float64) float64 { return v * 100 }}
	seconds = unit{"s", func(v float64) float64 { return v / 1000 }}
	perDay  = unit{"users", func(v float64) float64 { return v }}
)

// chartSpec is one chart of the page.
type chartSpec struct {
	id, title string
	metrics   []string // one series each
	unit      unit
	yTitle    string
	shares    bool // one series per value of a dimension
}

// charts are the headline's chart and the ten supporting metrics.
var charts = []chartSpec{
	{id: "csr", metrics: []string{"csr"}, unit: percent, yTitle: "commands run unmodified (%)"},
	{id: "ttfc_p50", metrics: []string{"ttfc_p50"}, unit: seconds, yTitle: "time to first command (s)"},
	{id: "safety_block_rate", metrics: []string{"safety_block_rate"}, unit: percent, yTitle: "commands blocked (%)"},
	{id: "false_positive_rate", metrics: []string{"false_positive_rate"}, unit: percent, yTitle: "blocks overridden (%)"},
	{id: "retry_rate", metrics: []string{"retry_rate"}, unit: percent, yTitle: "sessions with a retry (%)"},
	{id: "backend_success_rate", metrics: []string{"backend_success_rate"}, unit: percent, yTitle: "generations that succeeded (%)"},
	{id: "inference", title: "Inference Latency (P50, P95)", metrics: []string{"inference_p50", "inference_p95"}, unit: seconds,
		yTitle: "inference time (s)"},
	{id: "session_completion_rate", metrics: []string{"session_completion_rate"}, unit: percent, yTitle: "sessions that ran a command (%)"},
	{id: "dau", metrics: []string{"dau"}, unit: perDay, yTitle: "daily active users (mean per day)"},
	{id: "error_rate", metrics: []string{"error_rate"}, unit: percent, yTitle: "errors per session (%)"},
	{id: "platform_share", metrics: []string{"platform_share"}, unit: percent, yTitle: "share of sessions (%)", shares: true},
}

// view builds the page's view of a week ("" the last) and a filter.
func (d *Server) view(ctx context.Context, week, segment, value string) (View, error) {
	span, err := d.weeks(ctx)
	if err != nil {
		return View{}, err
	}
	sel, err := span.parse(week)
	if err != nil {
		return View{}, err
	}
	seg, err := parseSegment(segment, segments)
	if err != nil {
		return View{}, err
	}
	if seg == insights.SegmentNone && value != "" {
		return View{}, badRequest("value %q without a segment: give its segment too", value)
	}
	now := d.opts.Now()
	// The trend: up to Weeks weeks ending with the selected one, from the
	// first week with data; and the week before the selected one, for
	// the status of a growth target.
	start := sel.AddDate(0, 0, -7*(d.opts.Weeks-1))
	if start.Before(span.first) {
		start = span.first
	}
	var mondays []time.Time
	for m := start; !m.After(sel); m = m.AddDate(0, 0, 7) {
		mondays = append(mondays, m)
	}
	reps := make([]map[insights.Segment]insights.Report, len(mondays))
	for i, m := range mondays {
		if reps[i], err = d.reports(ctx, m, weekEnd(m, now)); err != nil {
			return View{}, err
		}
	}
	prevMonday := sel.AddDate(0, 0, -7)
	prev, err := d.reports(ctx, prevMonday, prevMonday.AddDate(0, 0, 7))
	if err != nil {
		return View{}, err
	}

	v := View{Week: isoWeek(sel), From: sel.Format(time.DateOnly), Weeks: span.list(), Segment: string(seg),
		Value: value, Key: insights.SegmentAll, Refresh: int(d.opts.Refresh / time.Second)}
	v.To = weekEnd(sel, now).AddDate(0, 0, -1).Format(time.DateOnly)
	for _, s := range segments {
		f := Filter{Segment: string(s), Title: segmentTitle(s)}
		seen := map[string]bool{}
		for _, r := range reps {
			for _, m := range r[s].Metrics {
				dim, val, ok := strings.Cut(m.Segment, "=")
				if ok && insights.Segment(dim) == s && !seen[val] {
					seen[val] = true
					f.Values = append(f.Values, val)
				}
			}
		}
		sort.Strings(f.Values)
		v.Filters = append(v.Filters, f)
		if s == seg {
			if !seen[value] {
				return View{}, badRequest("value %q of segment %s: want one of %s (the values of %s to %s)", value, s,
					strings.Join(f.Values, ", "), isoWeek(mondays[0]), v.Week)
			}
			v.Key = string(s) + "=" + value
		}
	}

	labels := make([]string, len(mondays))
	for i, m := range mondays {
		labels[i] = isoWeek(m)
	}
	cur, last := reps[len(reps)-1][seg], prev[seg]
	for _, spec := range charts {
		c := Chart{ID: spec.id, Title: spec.title, Type: "line", Unit: spec.unit.name, YTitle: spec.yTitle, Labels: labels,
			Series: []Series{}, Targets: []Line{}, Current: []Figure{}}
		if spec.shares {
			c = sharesChart(spec, c, reps, seg, cur)
		} else {
			for _, name := range spec.metrics {
				def, _ := insights.DefOf(name)
				if c.Title == "" {
					c.Title = def.Title
				}
				if c.Definition != "" {
					c.Definition += "; "
				}
				c.Definition += def.Definition
				if seg != insights.SegmentNone && !slices.Contains(def.Segments, seg) {
					c.Definition += " (not broken down by " + strings.ToLower(segmentTitle(seg)) + ": no figures)"
				}
				s := Series{Label: def.Title}
				if len(spec.metrics) == 1 {
					s.Label = seriesLabel(v.Key, def.Title)
				}
				for _, r := range reps {
					rep := r[seg]
					m, _ := rep.Get(name, v.Key)
					s.Values = append(s.Values, scaled(spec.unit, m))
					s.Numerators = append(s.Numerators, m.Numerator)
					s.Denominators = append(s.Denominators, m.Denominator)
				}
				c.Series = append(c.Series, s)
				c.Current = append(c.Current, figure(def, v.Key, cur, last))
				c.Targets = append(c.Targets, targetLines(def.TargetOf(v.Key), spec.unit, len(spec.metrics) > 1, def.Title)...)
			}
		}
		v.Charts = append(v.Charts, c)
	}
	csr, _ := insights.DefOf("csr")
	v.Headline = figure(csr, v.Key, cur, last)

	review, err := insights.WeeklyAt(ctx, d.store, v.Week, reviewClock(sel, now))
	if err != nil {
		return View{}, err
	}
	v.Signals = review.Signals
	if v.Signals == nil {
		v.Signals = []insights.Signal{}
	}
	return v, nil
}

// reviewClock is the clock WeeklyAt takes for the week of monday: now,
// unless the week is still to come (a store with events from the future),
// which is reviewed whole.
func reviewClock(monday, now time.Time) time.Time {
	if insights.Day(now).Before(monday) {
		return time.Time{}
	}
	return now
}

// sharesChart is the platform distribution: one bar series per value of
// the filter's dimension (the platform without a filter).
func sharesChart(spec chartSpec, c Chart, reps []map[insights.Segment]insights.Report, seg insights.Segment,
	cur insights.Report) Chart {
	def, _ := insights.DefOf("platform_share")
	// By the filter's dimension, or the platform when the distribution
	// is not broken down by it.
	dim := seg
	if !slices.Contains(def.Segments, dim) {
		dim = insights.SegmentPlatform
	}
	c.Type = "bar"
	c.Title = def.Title + " by " + strings.ToLower(segmentTitle(dim))
	c.Definition = def.Definition
	var vals []string
	seen := map[string]bool{}
	for _, r := range reps {
		rep := r[seg]
		for _, m := range rep.Segments(def.Name, dim) {
			if !seen[m.Segment] {
				seen[m.Segment] = true
				vals = append(vals, m.Segment)
			}
		}
	}
	sort.Strings(vals)
	for _, key := range vals {
		_, label, _ := strings.Cut(key, "=")
		s := Series{Label: label}
		for _, r := range reps {
			rep := r[seg]
			m, _ := rep.Get(def.Name, key)
			s.Values = append(s.Values, scaled(spec.unit, m))
			s.Numerators = append(s.Numerators, m.Numerator)
			s.Denominators = append(s.Denominators, m.Denominator)
		}
		c.Series = append(c.Series, s)
		m, _ := cur.Get(def.Name, key)
		c.Current = append(c.Current, Figure{Label: label, Value: insights.Format(def, m), Numerator: m.Numerator,
			Denominator: m.Denominator})
	}
	return c
}

// seriesLabel names a chart's one series after the filter.
func seriesLabel(key, title string) string {
	if key == insights.SegmentAll {
		return title + " (all users)"
	}
	return title + " (" + key + ")"
}

// scaled is a metric's value in the chart's unit, nil without data.
func scaled(u unit, m insights.Metric) *float64 {
	if !m.OK || math.IsNaN(m.Value) {
		return nil
	}
	v := u.scale(m.Value)
	return &v
}

// figure is one metric of the selected week, rated against its target.
func figure(def insights.Def, key string, cur, last insights.Report) Figure {
	m, _ := cur.Get(def.Name, key)
	p, _ := last.Get(def.Name, key)
	for _, x := range []*insights.Metric{&m, &p} {
		if !x.OK {
			x.Value = math.NaN() // Get of a segment without figures
		}
	}
	t := def.TargetOf(key)
	f := Figure{Label: def.Title, Value: insights.Format(def, m), Target: t.Text,
		Status: insights.StatusOf(t, m.Value, p.Value), Numerator: m.Numerator, Denominator: m.Denominator}
	if m.OK && p.OK && !math.IsNaN(m.Value) && !math.IsNaN(p.Value) {
		f.Trend = trendText(def, m.Value-p.Value)
	}
	return f
}

// trendText writes a change against last week in the metric's terms.
func trendText(def insights.Def, delta float64) string {
	sign := "+"
	if delta < 0 {
		sign = "-"
		delta = -delta
	}
	switch def.Kind {
	case insights.KindPercentile:
		return sign + insights.Format(def, insights.Metric{Value: delta, OK: true}) + " from last week"
	case insights.KindDaily:
		return sign + insights.Format(def, insights.Metric{Value: delta, OK: true}) + " from last week"
	}
	return sign + strings.TrimSuffix(insights.Format(def, insights.Metric{Value: delta, OK: true}), "%") + " points from last week"
}

// targetLines are the bounds of a target, in the chart's unit (none for
// a growth target).
func targetLines(t insights.Target, u unit, named bool, title string) []Line {
	if t.Growth {
		return nil
	}
	label := "target " + t.Text
	if named {
		label = title + " " + label
	}
	var out []Line
	switch {
	case t.Min != 0 && t.Max != 0:
		out = append(out, Line{label + " (low)", u.scale(t.Min)}, Line{label + " (high)", u.scale(t.Max)})
	case t.Min != 0:
		out = append(out, Line{label, u.scale(t.Min)})
	case t.Max != 0:
		out = append(out, Line{label, u.scale(t.Max)})
	}
	return out
}

package insights

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"caro.sh/telemetry/store"
	"golang.org/x/sync/errgroup"
)

// Metric is one figure of a Report.
type Metric struct {
	Name        string  `json:"metric"`
	Segment     string  `json:"segment"`
	Value       float64 `json:"-"`
	OK          bool    `json:"-"` // false: no data (zero denominator, no observation)
	Numerator   int64   `json:"numerator"`
	Denominator int64   `json:"denominator"`
	Target      string  `json:"target,omitempty"`
}

// Report holds the metrics of a window.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"` // exclusive
	Days int       `json:"days"`
	// RolledUpDays are the days read from daily_metrics rather than raw
	// events.
	RolledUpDays int      `json:"rolled_up_days"`
	Metrics      []Metric `json:"metrics"`
}

// Get returns the metric of a name and segment key ("all", "backend=ollama").
func (r *Report) Get(name, segment string) (Metric, bool) {
	for _, m := range r.Metrics {
		if m.Name == name && m.Segment == segment {
			return m, true
		}
	}
	return Metric{Name: name, Segment: segment}, false
}

// Segments returns the metrics of a name whose segment is of dimension seg,
// in segment order.
func (r *Report) Segments(name string, seg Segment) []Metric {
	var out []Metric
	for _, m := range r.Metrics {
		if m.Name == name && strings.HasPrefix(m.Segment, string(seg)+"=") {
			out = append(out, m)
		}
	}
	return out
}

// Day truncates t to its UTC day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Compute computes every metric over the UTC days [from, to): the whole
// population, the by segments and each metric's inherent segments. Days
// rolled up into daily_metrics are read from there, the others from raw
// events.
func Compute(ctx context.Context, s *store.Store, from, to time.Time, by Segment) (Report, error) {
	reps, err := computeWindows(ctx, s, []window{{from, to}}, by)
	if err != nil {
		return Report{}, err
	}
	return reps[0], nil
}

// computeWindows is Compute of several windows, whose raw events are read
// together (scanWindows): a walk of the table reads them in one pass.
func computeWindows(ctx context.Context, s *store.Store, ws []window, by Segment) ([]Report, error) {
	rows, reps, err := windowRows(ctx, s, ws)
	if err != nil {
		return nil, err
	}
	for i := range reps {
		reps[i].Metrics = combine(rows[i], reps[i].Days, by)
	}
	return reps, nil
}

// windowRows returns the daily rows of each window [from, to).
func windowRows(ctx context.Context, s *store.Store, ws []window) ([][]Row, []Report, error) {
	rows := make([][]Row, len(ws))
	reps := make([]Report, len(ws))
	var raw []window
	var rawOf []int
	for i, w := range ws {
		from, to := Day(w.from), Day(w.to)
		if !to.After(from) {
			return nil, nil, fmt.Errorf("empty window %s to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		reps[i] = Report{From: from, To: to, Days: int(to.Sub(from).Hours() / 24)}
		agg, err := aggregateRows(ctx, s, from, to)
		if err != nil {
			return nil, nil, err
		}
		reps[i].RolledUpDays = len(agg.rolled)
		rows[i] = agg.rows
		// Raw events only for the days after the last rolled-up one: a
		// review of weeks that Rollup has written reads no raw event.
		rawFrom := from
		if !agg.settled.IsZero() && !agg.settled.Before(rawFrom) {
			rawFrom = agg.settled.AddDate(0, 0, 1)
		}
		if rawFrom.Before(to) {
			raw = append(raw, window{rawFrom, to})
			rawOf = append(rawOf, i)
		}
	}
	if len(raw) == 0 {
		return rows, reps, nil
	}
	facts, err := scanWindows(ctx, s, raw)
	if err != nil {
		return nil, nil, err
	}
	for j, fs := range facts {
		i := rawOf[j]
		rows[i] = append(rows[i], factRows(fs)...)
	}
	return rows, reps, nil
}

// factRows turns a window's facts into its daily rows, in the order of
// the days. The days are independent, and turned on every CPU at once:
// a week of ten million events has a million facts (a distribution has
// one per distinct value), and one CPU took a second over them.
func factRows(fs []fact) []Row {
	byDay := map[string][]fact{}
	for _, f := range fs {
		byDay[f.Day] = append(byDay[f.Day], f)
	}
	days := slices.Sorted(maps.Keys(byDay))
	out := make([][]Row, len(days))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k, day := range days {
		g.Go(func() error {
			out[k] = dayRows(day, byDay[day])
			return nil
		})
	}
	_ = g.Wait() // dayRows returns no error
	return slices.Concat(out...)
}

// combine sums the daily rows into the window's metrics.
func combine(rows []Row, days int, by Segment) []Metric {
	type acc struct{ num, den int64 }
	ratios := map[[2]string]*acc{}
	dists := map[[2]string]map[float64]int64{}
	for _, r := range rows {
		k := [2]string{r.Metric, r.Segment}
		if dist, ok := strings.CutSuffix(r.Metric, distSuffix); ok {
			k[0] = dist
			if dists[k] == nil {
				dists[k] = map[float64]int64{}
			}
			dists[k][r.Value] += r.Numerator
			continue
		}
		a := ratios[k]
		if a == nil {
			a = &acc{}
			ratios[k] = a
		}
		a.num += r.Numerator
		a.den += r.Denominator
	}
	var out []Metric
	for _, d := range Defs {
		want := func(seg string) bool {
			if seg == SegmentAll {
				return true
			}
			dim, _, _ := strings.Cut(seg, "=")
			if by != SegmentNone && Segment(dim) == by {
				return true
			}
			for _, s := range d.Inherent {
				if Segment(dim) == s {
					return true
				}
			}
			return false
		}
		var ms []Metric
		if d.Kind == KindPercentile {
			for k, m := range dists {
				if k[0] == d.Dist && want(k[1]) {
					v, n, ok := percentile(m, d.P)
					ms = append(ms, Metric{Name: d.Name, Segment: k[1], Value: v, OK: ok, Denominator: n})
				}
			}
		} else {
			for k, a := range ratios {
				if k[0] != d.Name || !want(k[1]) {
					continue
				}
				m := Metric{Name: d.Name, Segment: k[1], Numerator: a.num, Denominator: a.den}
				dim, _, _ := strings.Cut(k[1], "=")
				if d.denUnsegmented(Segment(dim)) && k[1] != SegmentAll {
					m.Denominator = 0
					if all := ratios[[2]string{d.Name, SegmentAll}]; all != nil {
						m.Denominator = all.den
					}
				}
				if d.Kind == KindDaily {
					m.Denominator = int64(days)
				}
				m.Value = ratio(m.Numerator, m.Denominator)
				m.OK = m.Denominator > 0
				if d.NoTotal && k[1] == SegmentAll {
					m.Numerator, m.OK = 0, false
				}
				ms = append(ms, m)
			}
		}
		sort.Slice(ms, func(i, j int) bool {
			if (ms[i].Segment == SegmentAll) != (ms[j].Segment == SegmentAll) {
				return ms[i].Segment == SegmentAll
			}
			return ms[i].Segment < ms[j].Segment
		})
		if len(ms) == 0 || ms[0].Segment != SegmentAll {
			ms = append([]Metric{{Name: d.Name, Segment: SegmentAll, Value: math.NaN()}}, ms...)
		}
		for i := range ms {
			ms[i].Target = d.TargetOf(ms[i].Segment).Text
			if !ms[i].OK {
				ms[i].Value = math.NaN()
			}
		}
		out = append(out, ms...)
	}
	return out
}

// TargetOf is the target of a segment of the metric.
func (d Def) TargetOf(segment string) Target {
	if t, ok := d.TargetFor[segment]; ok {
		return t
	}
	return d.Target
}

// percentile is the nearest-rank percentile p of a distribution of value
// counts, and the number of observations.
func percentile(counts map[float64]int64, p float64) (float64, int64, bool) {
	vals := make([]float64, 0, len(counts))
	var n int64
	for v, c := range counts {
		vals = append(vals, v)
		n += c
	}
	if n == 0 {
		return math.NaN(), 0, false
	}
	sort.Float64s(vals)
	rank := int64(math.Ceil(p * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for _, v := range vals {
		seen += counts[v]
		if seen >= rank {
			return v, n, true
		}
	}
	return vals[len(vals)-1], n, true
}

// Status is a metric's standing against its target.
type Status string

// Statuses.
const (
	StatusGreen Status = "green"
	StatusAmber Status = "amber"
	StatusRed   Status = "red"
	StatusNone  Status = "" // no target or no data
)

// amberSlack is how far over its limit the bad share may be for amber.
const amberSlack = 0.10

// StatusOf rates value against t; prev is the previous window's value (for
// a growth target).
func StatusOf(t Target, value, prev float64) Status {
	if math.IsNaN(value) {
		return StatusNone
	}
	if t.Growth {
		switch {
		case math.IsNaN(prev):
			return StatusNone
		case value > prev:
			return StatusGreen
		case value == prev:
			return StatusAmber
		}
		return StatusRed
	}
	if t.Min == 0 && t.Max == 0 {
		return StatusNone
	}
	if (t.Min == 0 || value >= t.Min) && (t.Max == 0 || value <= t.Max) {
		return StatusGreen
	}
	amber := true
	if t.Max != 0 && value > t.Max*(1+amberSlack) {
		amber = false
	}
	if t.Min != 0 {
		if t.Rate && t.Max == 0 {
			if 1-value > (1-t.Min)*(1+amberSlack) {
				amber = false
			}
		} else if value < t.Min*(1-amberSlack) {
			amber = false
		}
	}
	if amber {
		return StatusAmber
	}
	return StatusRed
}

// MarshalJSON writes the value as a number, or null without data.
func (m Metric) MarshalJSON() ([]byte, error) {
	type plain Metric
	var v *float64
	if m.OK && !math.IsNaN(m.Value) {
		v = &m.Value
	}
	return json.Marshal(struct {
		plain
		Value *float64 `json:"value"`
	}{plain(m), v})
}

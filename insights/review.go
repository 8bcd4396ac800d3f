package insights

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"caro.sh/telemetry/store"
)

// ParseISOWeek returns the Monday (UTC) of an ISO week written "2026-W47".
func ParseISOWeek(s string) (time.Time, error) {
	y, w, ok := strings.Cut(s, "-W")
	year, err1 := strconv.Atoi(y)
	week, err2 := strconv.Atoi(w)
	if !ok || err1 != nil || err2 != nil || week < 1 || week > 53 {
		return time.Time{}, fmt.Errorf("week %q: want YYYY-Www, e.g. 2026-W47", s)
	}
	// January 4th is always in week 1.
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+(week-1)*7)
	if gy, gw := monday.ISOWeek(); gy != year || gw != week {
		return time.Time{}, fmt.Errorf("week %q: %d has no week %d", s, year, week)
	}
	return monday, nil
}

// Signal is a decision-framework signal that fired.
type Signal struct {
	Name     string `json:"signal"`   // the framework's row, e.g. "Safety too aggressive"
	Detail   string `json:"detail"`   // the figure that fired it
	Decision string `json:"decision"` // the framework's decision
}

// KeyRow is a row of the key-metrics table.
type KeyRow struct {
	Metric   string `json:"metric"`
	ThisWeek string `json:"this_week"`
	LastWeek string `json:"last_week"`
	Target   string `json:"target"`
	Status   Status `json:"status"`
}

// Share is one line of a distribution.
type Share struct {
	Label string  `json:"label"`
	Value float64 `json:"share"`
	N     int64   `json:"count"` // sessions; for CSR by platform, commands generated
}

// Review is the Weekly Beta Review of one ISO week.
type Review struct {
	Week       string   `json:"week"`
	From       string   `json:"from"`
	To         string   `json:"to"` // inclusive, the Sunday
	CSR        *float64 `json:"csr"`
	CSRLast    *float64 `json:"csr_last_week"`
	CSRTrend   *float64 `json:"csr_trend_points"`
	CSRStatus  Status   `json:"csr_status"`
	CSRByOS    []Share  `json:"csr_by_platform"`
	KeyMetrics []KeyRow `json:"key_metrics"`
	Platforms  []Share  `json:"platform_distribution"`
	Backends   []Share  `json:"backend_distribution"`
	Signals    []Signal `json:"signals"`
	ThisWeek   Report   `json:"this_week_report"`
	LastWeek   Report   `json:"last_week_report"`
}

// P95JumpThreshold is the week-over-week rise of a backend's inference P95
// that signals a performance regression.
const P95JumpThreshold = 0.25

// Weekly builds the review of a whole ISO week ("2026-W47").
func Weekly(ctx context.Context, s *store.Store, week string) (Review, error) {
	return WeeklyAt(ctx, s, week, time.Time{})
}

// WeeklyAt is Weekly as of now: a week still in progress is reviewed over
// its days through today (UTC), so that per-day means such as DAU are not
// diluted by days still to come; last week stays whole. A zero now reviews
// the whole week.
func WeeklyAt(ctx context.Context, s *store.Store, week string, now time.Time) (Review, error) {
	monday, err := ParseISOWeek(week)
	if err != nil {
		return Review{}, err
	}
	end := monday.AddDate(0, 0, 7)
	if !now.IsZero() {
		if today := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1); today.Before(end) {
			end = today
		}
		if !end.After(monday) {
			return Review{}, fmt.Errorf("week %s has not started yet", week)
		}
	}
	// Both weeks at once: a walk of a SQLite store reads them in one pass.
	reps, err := computeWindows(ctx, s, []window{{monday, end}, {monday.AddDate(0, 0, -7), monday}}, SegmentPlatform)
	if err != nil {
		return Review{}, fmt.Errorf("week %s and the week before: %w", week, err)
	}
	r := buildReview(week, monday, reps[0], reps[1])
	r.To = end.AddDate(0, 0, -1).Format(time.DateOnly)
	return r, nil
}

func ptr(m Metric) *float64 {
	if !m.OK || math.IsNaN(m.Value) {
		return nil
	}
	v := m.Value
	return &v
}

func buildReview(week string, monday time.Time, cur, prev Report) Review {
	r := Review{Week: week, From: monday.Format(time.DateOnly), To: monday.AddDate(0, 0, 6).Format(time.DateOnly),
		ThisWeek: cur, LastWeek: prev}
	csr, _ := cur.Get("csr", SegmentAll)
	csrLast, _ := prev.Get("csr", SegmentAll)
	r.CSR, r.CSRLast = ptr(csr), ptr(csrLast)
	if r.CSR != nil && r.CSRLast != nil {
		t := (*r.CSR - *r.CSRLast) * 100
		r.CSRTrend = &t
	}
	csrDef, _ := DefOf("csr")
	r.CSRStatus = StatusOf(csrDef.Target, csr.Value, math.NaN())
	for _, m := range cur.Segments("csr", SegmentPlatform) {
		if !m.OK {
			continue
		}
		r.CSRByOS = append(r.CSRByOS, Share{Label: segLabel(m.Segment), Value: m.Value, N: m.Denominator})
	}
	for _, k := range []struct{ name, title string }{
		{"csr", "CSR"}, {"dau", "DAU"}, {"ttfc_p50", "TTFC (P50)"}, {"inference_p95", "Inference P95"},
		{"safety_block_rate", "Safety Block Rate"}, {"false_positive_rate", "False Positive Rate"},
		{"error_rate", "Error Rate"}, {"retry_rate", "Retry Rate"},
		{"backend_success_rate", "Backend Success Rate"}, {"session_completion_rate", "Session Completion Rate"},
	} {
		d, _ := DefOf(k.name)
		a, _ := cur.Get(k.name, SegmentAll)
		b, _ := prev.Get(k.name, SegmentAll)
		r.KeyMetrics = append(r.KeyMetrics, KeyRow{Metric: k.title, ThisWeek: Format(d, a), LastWeek: Format(d, b),
			Target: d.Target.Text, Status: StatusOf(d.Target, a.Value, b.Value)})
	}
	for _, m := range cur.Segments("platform_share", SegmentOSBackend) {
		r.Platforms = append(r.Platforms, Share{Label: segLabel(m.Segment), Value: m.Value, N: m.Numerator})
	}
	for _, m := range cur.Segments("platform_share", SegmentBackend) {
		r.Backends = append(r.Backends, Share{Label: segLabel(m.Segment), Value: m.Value, N: m.Numerator})
	}
	r.Signals = signals(cur, prev)
	return r
}

func segLabel(seg string) string {
	_, v, _ := strings.Cut(seg, "=")
	return v
}

// signals are the decision-framework rows that the figures fire.
func signals(cur, prev Report) []Signal {
	var out []Signal
	pct := func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }
	if m, _ := cur.Get("csr", SegmentAll); m.OK && m.Value < 0.80 {
		rr, _ := cur.Get("retry_rate", SegmentAll)
		out = append(out, Signal{"Model accuracy issues", "CSR " + pct(m.Value) + " < 80% (retry rate " +
			Format(Def{Kind: KindRatio}, rr) + ")", "Improve prompts or switch model"})
	}
	block, _ := cur.Get("safety_block_rate", SegmentAll)
	if block.OK && block.Value > 0.05 {
		out = append(out, Signal{"Safety too aggressive", "block rate " + pct(block.Value) + " > 5%", "Tune pattern sensitivity"})
	}
	if m, _ := cur.Get("false_positive_rate", SegmentAll); m.OK && m.Value > 0.10 {
		out = append(out, Signal{"Safety too aggressive", "false positive rate " + pct(m.Value) + " > 10%", "Tune pattern sensitivity"})
	}
	if block.OK && block.Value < 0.01 {
		out = append(out, Signal{"Safety too permissive", "block rate " + pct(block.Value) + " < 1%", "Add more patterns"})
	}
	for _, seg := range []Segment{SegmentBackend, SegmentPlatform, SegmentModelSize} {
		for _, m := range cur.Segments("inference_p95", seg) {
			p, ok := prev.Get("inference_p95", m.Segment)
			if ok && p.OK && m.OK && p.Value > 0 && m.Value > p.Value*(1+P95JumpThreshold) {
				out = append(out, Signal{"Performance regression", fmt.Sprintf("%s inference P95 %s, was %s (+%.0f%%)",
					p95Label(seg, m.Segment), secs(m.Value), secs(p.Value), (m.Value/p.Value-1)*100), "Profile and optimize"})
			}
		}
	}
	for _, m := range cur.Segments("backend_success_rate", SegmentBackend) {
		if m.OK && m.Value < 0.99 {
			out = append(out, Signal{"Backend issues", fmt.Sprintf("%s success %s < 99%% (%d of %d)",
				segLabel(m.Segment), pct(m.Value), m.Numerator, m.Denominator), "Fix integration or docs"})
		}
	}
	for _, m := range cur.Segments("error_rate", SegmentPlatform) {
		if m.OK && m.Value > 0.01 {
			out = append(out, Signal{"Platform underserved", fmt.Sprintf("%s error rate %s > 1%% (%d errors, %d sessions)",
				segLabel(m.Segment), pct(m.Value), m.Numerator, m.Denominator), "Prioritize platform fixes"})
		}
	}
	out = append(out, unusedFeatures(cur)...)
	return out
}

// p95Label names a segment of the inference P95 in a signal: the backend
// alone (as before), else the dimension too ("platform linux", "model size
// 4-10b").
func p95Label(seg Segment, key string) string {
	switch seg {
	case SegmentBackend:
		return segLabel(key)
	case SegmentModelSize:
		return "model size " + segLabel(key)
	}
	return string(seg) + " " + segLabel(key)
}

// unusedFeatures are the "Feature unused" signals: each feature of
// Features used by under FeatureUnusedShare of the window's sessions, a
// feature no run used included, once the window has
// FeatureUnusedMinSessions sessions.
func unusedFeatures(cur Report) []Signal {
	all, _ := cur.Get("feature_usage", SegmentAll)
	sessions := all.Denominator
	if sessions < FeatureUnusedMinSessions {
		return nil
	}
	var out []Signal
	for _, f := range Features() {
		m, _ := cur.Get("feature_usage", segKey(SegmentFeature, f))
		if share := float64(m.Numerator) / float64(sessions); share < FeatureUnusedShare {
			out = append(out, Signal{"Feature unused", fmt.Sprintf("%s used by %s of sessions (%d of %d) < 1%%",
				f, strconv.FormatFloat(share*100, 'f', 1, 64)+"%", m.Numerator, sessions), "Consider deprecation"})
		}
	}
	return out
}

func secs(ms float64) string { return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s" }

// Format renders a metric's value for people: a percentage, seconds, or a
// count; "n/a" without data.
func Format(d Def, m Metric) string {
	if !m.OK || math.IsNaN(m.Value) {
		return "n/a"
	}
	switch d.Kind {
	case KindPercentile:
		return secs(m.Value)
	case KindDaily:
		return strconv.FormatFloat(m.Value, 'f', 1, 64)
	}
	return strconv.FormatFloat(m.Value*100, 'f', 1, 64) + "%"
}

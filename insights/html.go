package insights

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"caro.sh/telemetry/store"
)

// DayPoint is one day of the HTML report's trend charts.
type DayPoint struct {
	Day string
	CSR float64 // NaN without generated commands
	DAU int64
}

// LatencyBucket counts the generations of a backend whose inference time
// falls in [From, To) ms.
type LatencyBucket struct {
	From, To int64
	N        int64
}

// Charts holds the data of the HTML report beyond the review.
type Charts struct {
	Days    []DayPoint                 // the 8 weeks ending with the reviewed one
	Latency map[string][]LatencyBucket // by backend, in the reviewed week
}

// latencyEdges are the bucket bounds of the latency chart, in ms.
var latencyEdges = []int64{0, 500, 1000, 2000, 3000, 5000, 10000}

// WeeklyCharts reads the daily CSR and DAU of the 8 weeks ending with the
// ISO week starting on monday, and the latency distribution per backend of
// that week.
func WeeklyCharts(ctx context.Context, s *store.Store, monday time.Time) (Charts, error) {
	from, to := monday.AddDate(0, 0, -49), monday.AddDate(0, 0, 7)
	windows, _, err := windowRows(ctx, s, []window{{from, to}})
	if err != nil {
		return Charts{}, err
	}
	rows := windows[0]
	days := map[string]*DayPoint{}
	var out Charts
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		out.Days = append(out.Days, DayPoint{Day: d.Format(time.DateOnly), CSR: math.NaN()})
	}
	for i := range out.Days {
		days[out.Days[i].Day] = &out.Days[i]
	}
	out.Latency = map[string][]LatencyBucket{}
	weekStart := monday.Format(time.DateOnly)
	for _, r := range rows {
		p := days[r.Day]
		if p == nil || r.Segment != SegmentAll && r.Metric != distInference+distSuffix {
			continue
		}
		switch {
		case r.Metric == "csr" && r.Segment == SegmentAll && r.Denominator > 0:
			p.CSR = float64(r.Numerator) / float64(r.Denominator)
		case r.Metric == "dau" && r.Segment == SegmentAll:
			p.DAU = r.Numerator
		case r.Metric == distInference+distSuffix && r.Day >= weekStart && strings.HasPrefix(r.Segment, "backend="):
			b := segLabel(r.Segment)
			if out.Latency[b] == nil {
				for i := 1; i <= len(latencyEdges); i++ {
					bk := LatencyBucket{From: latencyEdges[i-1], To: -1}
					if i < len(latencyEdges) {
						bk.To = latencyEdges[i]
					}
					out.Latency[b] = append(out.Latency[b], bk)
				}
			}
			for i := range out.Latency[b] {
				bk := &out.Latency[b][i]
				if int64(r.Value) >= bk.From && (bk.To < 0 || int64(r.Value) < bk.To) {
					bk.N += r.Numerator
				}
			}
		}
	}
	return out, nil
}

// The charts are inline SVG (the page loads nothing): bars in Okabe-Ito
// blue (#0072B2, a mid grey in print), targets as dashed black lines
// named at their end, labelled axes with their units, every value on
// hover (the bar's title) and, on the horizontal bars, written at the
// bar's end. Category labels that would not fit side by side are
// rotated; the distribution, with long labels, has horizontal bars.
const (
	chartWidth = 720
	labelFont  = 10.0 // px, class "l"
	// charWidth over-estimates a character of the labels' sans-serif
	// font, as a share of its size, so that labels judged apart are.
	charWidth = 0.62
)

// textWidth estimates the width in px of s at size px.
func textWidth(s string, size float64) float64 { return float64(len([]rune(s))) * size * charWidth }

// chartTarget is a target line across a chart.
type chartTarget struct {
	Value float64
	Label string
}

// barChart is a vertical bar chart: one bar per label (NaN: none).
type barChart struct {
	Title, XTitle, YTitle string
	Labels                []string
	Values                []float64
	Max                   float64
	Ticks                 []float64            // y axis ticks, from 0
	Tick, Value           func(float64) string // a tick's label, a bar's value
	Every                 int                  // label every nth bar
	Target                *chartTarget         // a value on the y axis
	XTarget               *chartTarget         // a boundary between bars: its Value is the index of the bar after it
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// svg draws the chart.
func (c barChart) svg() template.HTML {
	const top, left, right = 30, 64, 16
	n := max(len(c.Values), 1)
	every := max(c.Every, 1)
	bw := float64(chartWidth-left-right) / float64(n)
	// Labels side by side when each fits its slot, else rotated 45°.
	widest := 0.0
	for i, l := range c.Labels {
		if i%every == 0 {
			widest = math.Max(widest, textWidth(l, labelFont))
		}
	}
	rotate := widest > bw*float64(every)-4
	labelsH := labelFont + 6
	if rotate {
		labelsH = widest*math.Sqrt2/2 + labelFont + 6
	}
	h := top + 150 + int(labelsH) + 26
	base := float64(h) - labelsH - 26
	plot := base - top
	if c.Max <= 0 {
		c.Max = 1
	}
	y := func(v float64) float64 { return base - plot*v/c.Max }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" width="%d" height="%d" viewBox="0 0 %d %d">`, chartWidth, h, chartWidth, h)
	fmt.Fprintf(&b, `<title>%s</title><text x="8" y="16" class="t">%s</text>`, esc(c.Title), esc(c.Title))
	for _, t := range c.Ticks {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="yl">%s</text>`,
			left, y(t), chartWidth-right, y(t), left-4, y(t)+3.5, esc(c.Tick(t)))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="axis"/>`, left, base, chartWidth-right, base)
	for i, v := range c.Values {
		x := float64(left) + float64(i)*bw
		if !math.IsNaN(v) {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar"><title>%s: %s</title></rect>`,
				x+1, y(v), math.Max(bw-2, 1), base-y(v), esc(c.Labels[i]), esc(c.Value(v)))
		}
		if i%every != 0 {
			continue
		}
		cx := x + bw/2
		if rotate {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="l" text-anchor="end" transform="rotate(-45 %.1f %.1f)">%s</text>`,
				cx, base+12, cx, base+12, esc(c.Labels[i]))
		} else {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="l" text-anchor="middle">%s</text>`, cx, base+14, esc(c.Labels[i]))
		}
	}
	// A target is named in the legend on the title's row, where no bar
	// reaches.
	legend := func(label string) {
		x := float64(chartWidth-right) - textWidth(label, 11)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="12" x2="%.1f" y2="12" class="target"/><text x="%.1f" y="16" class="tl">%s</text>`,
			x-34, x-6, x, esc(label))
	}
	if t := c.Target; t != nil {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="target"><title>%s</title></line>`,
			left, y(t.Value), chartWidth-right, y(t.Value), esc(t.Label))
		legend(t.Label)
	}
	if t := c.XTarget; t != nil {
		x := float64(left) + t.Value*bw
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" class="target"><title>%s</title></line>`,
			x, top, x, base, esc(t.Label))
		legend(t.Label)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="xt" text-anchor="middle">%s</text>`,
		float64(left)+float64(chartWidth-left-right)/2, h-8, esc(c.XTitle))
	fmt.Fprintf(&b, `<text x="14" y="%.1f" class="yt" text-anchor="middle" transform="rotate(-90 14 %.1f)">%s</text>`,
		top+plot/2, top+plot/2, esc(c.YTitle))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// hbars draws one horizontal bar per label, its text written at its end:
// labels of any length stay one per row.
func hbars(title, xTitle string, labels []string, values []float64, texts []string) template.HTML {
	const top, row, right, valueW = 30, 22, 16, 150
	left := 0.0
	for _, l := range labels {
		left = math.Max(left, textWidth(l, labelFont))
	}
	left += 16
	maxV := 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			maxV = math.Max(maxV, v)
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	plot := float64(chartWidth-right-valueW) - left
	base := float64(top + row*max(len(values), 1))
	h := int(base) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" width="%d" height="%d" viewBox="0 0 %d %d">`, chartWidth, h, chartWidth, h)
	fmt.Fprintf(&b, `<title>%s</title><text x="8" y="16" class="t">%s</text>`, esc(title), esc(title))
	for _, t := range niceTicks(maxV) {
		x := left + plot*t/maxV
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" class="grid"/><text x="%.1f" y="%.1f" class="l" text-anchor="middle">%s</text>`,
			x, top, x, base, x, base+14, esc(pct0(t)))
	}
	for i, v := range values {
		yy := float64(top + i*row)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="l" text-anchor="end">%s</text>`, left-6, yy+row/2+3.5, esc(labels[i]))
		if math.IsNaN(v) {
			continue
		}
		bw := plot * v / maxV
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" class="bar"><title>%s: %s</title></rect>`,
			left, yy+3, bw, row-6, esc(labels[i]), esc(texts[i]))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="v">%s</text>`, left+bw+4, yy+row/2+3.5, esc(texts[i]))
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" class="axis"/>`, left, top, left, base)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="xt" text-anchor="middle">%s</text>`, left+plot/2, h-6, esc(xTitle))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceTicks are 0 and round steps up to the first at or above max.
func niceTicks(max float64) []float64 {
	if max <= 0 {
		return []float64{0}
	}
	raw := max / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	out := []float64{0}
	for i := 1; out[len(out)-1] < max*0.9999; i++ {
		out = append(out, float64(i)*step)
	}
	return out
}

// pct0 writes a share as a whole percentage (one decimal under 10%).
func pct0(v float64) string {
	if v != 0 && v < 0.1 {
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v*100, 'f', 0, 64) + "%"
}

var htmlPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Caro Beta Review - {{.R.Week}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
svg{display:block;margin:1em 0;background:#fafafa}.bar{fill:#0072B2}.axis{stroke:#333}.grid{stroke:#c8c8c8;stroke-dasharray:1 4}
.target{stroke:#000;stroke-width:1.5;stroke-dasharray:6 4}.tl{font-size:11px;font-weight:bold}
.t{font-size:14px;font-weight:bold}.l,.yl{font-size:10px;fill:#333}.yl{text-anchor:end}.v{font-size:10px;fill:#111}
.xt,.yt{font-size:11px;fill:#111}
.green{color:#007a58}.amber{color:#8a5a00}.red{color:#b34700}
</style></head><body>
<h1>Caro Beta Review - Week of {{.R.From}} ({{.R.Week}})</h1>
<h2>North Star: Command Success Rate</h2>
<p>This week: <b>{{.CSR}}</b> (target: 80%) &middot; {{.Trend}}</p>
{{.CSRChart}}
{{.DAUChart}}
<h2>Key Metrics</h2>
<table><tr><th>Metric</th><th>This Week</th><th>Last Week</th><th>Target</th><th>Status</th></tr>
{{range .R.KeyMetrics}}<tr><td>{{.Metric}}</td><td>{{.ThisWeek}}</td><td>{{.LastWeek}}</td><td>{{.Target}}</td><td class="{{.Status}}">{{.Status}}</td></tr>
{{end}}</table>
<h2>Decision Signals</h2>
<ul>{{range .R.Signals}}<li><b>{{.Name}}</b>: {{.Detail}}. Decision: {{.Decision}}.</li>{{else}}<li>No decision-framework signal fired.</li>{{end}}</ul>
<h2>Inference Latency by Backend</h2>
{{range .Latency}}{{.}}{{end}}
<h2>Platform &amp; Backend Distribution</h2>
{{.PlatformChart}}
</body></html>
`))

// WriteHTML writes the review as one self-contained HTML page: inline CSS
// and SVG charts, no script, font or request of any kind (its
// Content-Security-Policy forbids them).
func (r Review) WriteHTML(w io.Writer, c Charts) error {
	var labels []string
	var csr, dau []float64
	maxDAU := 0.0
	for _, d := range c.Days {
		labels = append(labels, d.Day)
		csr = append(csr, d.CSR)
		dau = append(dau, float64(d.DAU))
		maxDAU = math.Max(maxDAU, float64(d.DAU))
	}
	data := map[string]any{"R": r}
	data["CSR"] = "n/a"
	if r.CSR != nil {
		data["CSR"] = pct1(*r.CSR)
	}
	data["Trend"] = "no data last week"
	if r.CSRTrend != nil {
		data["Trend"] = fmt.Sprintf("%+.1f points from last week", *r.CSRTrend)
	}
	csrDef, _ := DefOf("csr")
	data["CSRChart"] = barChart{Title: "Daily CSR, last 8 weeks", XTitle: "UTC day (labels on Mondays)",
		YTitle: "CSR (%)", Labels: labels, Values: csr, Max: 1, Ticks: niceTicks(1), Tick: pct0, Value: pct1, Every: 7,
		Target: &chartTarget{csrDef.Target.Min, "target " + csrDef.Target.Text}}.svg()
	dauTicks := niceTicks(maxDAU)
	data["DAUChart"] = barChart{Title: "DAU, last 8 weeks", XTitle: "UTC day (labels on Mondays)",
		YTitle: "users per day", Labels: labels, Values: dau, Max: dauTicks[len(dauTicks)-1], Ticks: dauTicks,
		Tick: count, Value: func(v float64) string { return count(v) + " users" }, Every: 7}.svg()
	backends := make([]string, 0, len(c.Latency))
	for b := range c.Latency {
		backends = append(backends, b)
	}
	sort.Strings(backends)
	p95, _ := DefOf("inference_p95")
	var lat []template.HTML
	for _, b := range backends {
		var ls []string
		var vs []float64
		maxN := 0.0
		t := p95.TargetOf("backend=" + b)
		var target *chartTarget
		for i, bk := range c.Latency[b] {
			l := fmt.Sprintf("%d-%d ms", bk.From, bk.To)
			if bk.To < 0 {
				l = fmt.Sprintf(">=%d ms", bk.From)
			}
			ls = append(ls, l)
			vs = append(vs, float64(bk.N))
			maxN = math.Max(maxN, float64(bk.N))
			if float64(bk.From) == t.Max {
				target = &chartTarget{float64(i), "P95 target " + t.Text}
			}
		}
		ticks := niceTicks(maxN)
		lat = append(lat, barChart{Title: "Inference time, " + b, XTitle: "inference time (ms)", YTitle: "generations",
			Labels: ls, Values: vs, Max: ticks[len(ticks)-1], Ticks: ticks, Tick: count,
			Value: func(v float64) string { return count(v) + " generations" }, Every: 1, XTarget: target}.svg())
	}
	data["Latency"] = lat
	var pl, pt []string
	var pv []float64
	for _, s := range r.Platforms {
		pl = append(pl, s.Label)
		pv = append(pv, s.Value)
		pt = append(pt, fmt.Sprintf("%s (%d sessions)", pct1(s.Value), s.N))
	}
	data["PlatformChart"] = hbars("Sessions by platform and backend", "share of sessions (%)", pl, pv, pt)
	return htmlPage.Execute(w, data)
}

// count writes a count without decimals.
func count(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

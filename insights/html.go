package insights

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
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
	rows, _, err := windowRows(ctx, s, from, to)
	if err != nil {
		return Charts{}, err
	}
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

// svgBars draws a bar chart of values (NaN: no bar) with labels under the
// first bar of each group of every.
func svgBars(title string, labels []string, values []float64, max float64, format func(float64) string, every int) template.HTML {
	const w, h, top, bottom, left = 720, 220, 24, 40, 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" width="%d" height="%d" viewBox="0 0 %d %d">`, w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title><text x="%d" y="16" class="t">%s</text>`, template.HTMLEscapeString(title), left, template.HTMLEscapeString(title))
	if max <= 0 {
		max = 1
	}
	n := len(values)
	if n == 0 {
		n = 1
	}
	bw := float64(w-2*left) / float64(n)
	plot := float64(h - top - bottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, left, h-bottom, w-left, h-bottom)
	for i, v := range values {
		x := float64(left) + float64(i)*bw
		if !math.IsNaN(v) {
			bh := plot * v / max
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar"><title>%s: %s</title></rect>`,
				x+1, float64(h-bottom)-bh, math.Max(bw-2, 1), bh, template.HTMLEscapeString(labels[i]), format(v))
		}
		if every > 0 && i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="l">%s</text>`, x+1, h-bottom+14, template.HTMLEscapeString(labels[i]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var htmlPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Caro Beta Review - {{.R.Week}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
svg{display:block;margin:1em 0;background:#fafafa}.bar{fill:#3a7bd5}.axis{stroke:#888}
.t{font-size:14px;font-weight:bold}.l{font-size:10px;fill:#555}
.green{color:#1a7f37}.amber{color:#b58100}.red{color:#c62828}
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
	pct := func(v float64) string { return pct1(v) }
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
	data["CSRChart"] = svgBars("Daily CSR, last 8 weeks", labels, csr, 1, pct, 7)
	data["DAUChart"] = svgBars("DAU, last 8 weeks", labels, dau, maxDAU, func(v float64) string { return fmt.Sprint(v) }, 7)
	backends := make([]string, 0, len(c.Latency))
	for b := range c.Latency {
		backends = append(backends, b)
	}
	sort.Strings(backends)
	var lat []template.HTML
	for _, b := range backends {
		var ls []string
		var vs []float64
		maxN := 0.0
		for _, bk := range c.Latency[b] {
			l := fmt.Sprintf("%d-%d ms", bk.From, bk.To)
			if bk.To < 0 {
				l = fmt.Sprintf(">=%d ms", bk.From)
			}
			ls = append(ls, l)
			vs = append(vs, float64(bk.N))
			maxN = math.Max(maxN, float64(bk.N))
		}
		lat = append(lat, svgBars("Inference time, "+b, ls, vs, maxN, func(v float64) string { return fmt.Sprint(v) }, 1))
	}
	data["Latency"] = lat
	var pl []string
	var pv []float64
	for _, s := range r.Platforms {
		pl = append(pl, s.Label)
		pv = append(pv, s.Value)
	}
	data["PlatformChart"] = svgBars("Sessions by platform and backend", pl, pv, 1, pct, 1)
	return htmlPage.Execute(w, data)
}

package insights

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chartsPage renders a review whose charts have many days, long platform
// labels and every latency bucket.
func chartsPage(t *testing.T) string {
	t.Helper()
	csr := 0.81
	r := Review{Week: "2026-W47", From: "2026-11-16", To: "2026-11-22", CSR: &csr}
	for _, os := range []string{"freebsd", "linux", "macos", "windows"} {
		for _, b := range []string{"embedded-mlx", "embedded-cpu", "ollama", "static", "vllm"} {
			r.Platforms = append(r.Platforms, Share{Label: os + "/" + b, Value: 0.05, N: 10})
		}
	}
	var c Charts
	day := time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC)
	for i := range 56 {
		c.Days = append(c.Days, DayPoint{Day: day.AddDate(0, 0, i).Format(time.DateOnly), CSR: 0.5 + float64(i%5)/10, DAU: int64(10 + i%7)})
	}
	c.Latency = map[string][]LatencyBucket{}
	for _, b := range []string{"ollama", "static"} {
		for i, from := range latencyEdges {
			to := int64(-1)
			if i+1 < len(latencyEdges) {
				to = latencyEdges[i+1]
			}
			c.Latency[b] = append(c.Latency[b], LatencyBucket{From: from, To: to, N: int64(3 + i)})
		}
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page, c); err != nil {
		t.Fatal(err)
	}
	return page.String()
}

var (
	svgPattern  = regexp.MustCompile(`(?s)<svg.*?</svg>`)
	textPattern = regexp.MustCompile(`<text ([^>]*)>([^<]*)</text>`)
	attrPattern = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// label is a text of a chart, where it is drawn.
type label struct {
	class, text, anchor string
	x, y                float64
	rotated             bool
}

func labels(svg string) []label {
	var out []label
	for _, m := range textPattern.FindAllStringSubmatch(svg, -1) {
		l := label{text: m[2], anchor: "start"}
		for _, a := range attrPattern.FindAllStringSubmatch(m[1], -1) {
			switch a[1] {
			case "class":
				l.class = a[2]
			case "x":
				l.x, _ = strconv.ParseFloat(a[2], 64)
			case "y":
				l.y, _ = strconv.ParseFloat(a[2], 64)
			case "text-anchor":
				l.anchor = a[2]
			case "transform":
				l.rotated = strings.HasPrefix(a[2], "rotate(-45")
			}
		}
		out = append(out, l)
	}
	return out
}

// span is the horizontal extent of an unrotated label.
func (l label) span() (float64, float64) {
	w := textWidth(l.text, labelFont)
	switch l.anchor {
	case "middle":
		return l.x - w/2, l.x + w/2
	case "end":
		return l.x - w, l.x
	}
	return l.x, l.x + w
}

// overlap says whether two axis labels would be drawn over each other.
func overlap(a, b label) bool {
	if a.rotated != b.rotated {
		return false
	}
	if a.rotated {
		// Parallel 45° baselines: apart by the distance between their
		// anchors times sin 45°, which must hold a line of text.
		return math.Abs(a.x-b.x)*math.Sqrt2/2 < labelFont && math.Abs(a.y-b.y) < labelFont
	}
	if math.Abs(a.y-b.y) >= labelFont {
		return false
	}
	a0, a1 := a.span()
	b0, b1 := b.span()
	return a0 < b1 && b0 < a1
}

func TestWeeklyChartsHaveAxesTargetsAndLabelsApart(t *testing.T) {
	page := chartsPage(t)
	svgs := svgPattern.FindAllString(page, -1)
	if len(svgs) != 5 {
		t.Fatalf("%d charts, want CSR, DAU, two latency histograms and the distribution", len(svgs))
	}
	for i, c := range []struct {
		title          string
		xTitle, yTitle string
		target         string
	}{
		{"Daily CSR, last 8 weeks", "UTC day (labels on Mondays)", "CSR (%)", "target >=80%"},
		{"DAU, last 8 weeks", "UTC day (labels on Mondays)", "users per day", ""},
		{"Inference time, ollama", "inference time (ms)", "generations", "P95 target <5s"},
		{"Inference time, static", "inference time (ms)", "generations", "P95 target <2s"},
		{"Sessions by platform and backend", "share of sessions (%)", "", ""},
	} {
		svg := svgs[i]
		t.Run(c.title, func(t *testing.T) {
			if !strings.Contains(svg, "<title>"+c.title+"</title>") {
				t.Fatalf("chart %d is not %q", i+1, c.title)
			}
			var xt, yt string
			var axis []label
			for _, l := range labels(svg) {
				switch l.class {
				case "xt":
					xt = l.text
				case "yt":
					yt = l.text
				case "l":
					axis = append(axis, l)
				}
			}
			if xt != c.xTitle || yt != c.yTitle {
				t.Errorf("axis titles %q and %q, want %q and %q", xt, yt, c.xTitle, c.yTitle)
			}
			if c.target != "" && !strings.Contains(svg, `class="target"><title>`+escaped(c.target)+`</title>`) {
				t.Errorf("no target line %q", c.target)
			}
			bars := strings.Count(svg, `class="bar"><title>`)
			if bars == 0 || bars != strings.Count(svg, `class="bar"`) {
				t.Errorf("%d bars, %d with their value on hover", strings.Count(svg, `class="bar"`), bars)
			}
			for a := range axis {
				for b := a + 1; b < len(axis); b++ {
					if overlap(axis[a], axis[b]) {
						t.Errorf("labels %q and %q overlap: %+v %+v", axis[a].text, axis[b].text, axis[a], axis[b])
					}
				}
			}
		})
	}
	// The distribution writes each share at its bar.
	if !strings.Contains(svgs[4], `class="v">5.0% (10 sessions)</text>`) {
		t.Error("the distribution does not write its shares at the bars")
	}
}

// escaped escapes s as html/template writes text.
func escaped(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(s)
}

func TestOverlapTellsLabelsApart(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b label
		want bool
	}{
		{"two long labels side by side overlap", label{text: "windows/embedded-mlx", x: 100, anchor: "middle"},
			label{text: "windows/embedded-cpu", x: 160, anchor: "middle"}, true},
		{"labels in rows apart do not", label{text: "windows/embedded-mlx", x: 100, y: 10}, label{text: "linux/x", x: 100, y: 32}, false},
		{"rotated labels 20 px apart do not", label{text: "2026-11-16", x: 100, rotated: true}, label{text: "2026-11-23", x: 120, rotated: true}, false},
		{"rotated labels 5 px apart do", label{text: "2026-11-16", x: 100, rotated: true}, label{text: "2026-11-17", x: 105, rotated: true}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := overlap(c.a, c.b); got != c.want {
				t.Errorf("overlap %v, want %v", got, c.want)
			}
		})
	}
}

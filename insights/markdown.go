package insights

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var statusMark = map[Status]string{StatusGreen: "🟢", StatusAmber: "🟡", StatusRed: "🔴", StatusNone: "⚪"}

// osNames are the spec's spellings of the platforms.
var osNames = map[string]string{"macos": "macOS", "linux": "Linux", "windows": "Windows", "freebsd": "FreeBSD",
	"openbsd": "OpenBSD", "netbsd": "NetBSD"}

func osName(s string) string {
	if n, ok := osNames[s]; ok {
		return n
	}
	return s
}

func pct1(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

// WriteMarkdown writes the review as the spec's Weekly Beta Review
// template, the telemetry sections filled and the qualitative ones left as
// headings.
func (r Review) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Caro Beta Review - Week of %s (%s, to %s)\n\n", r.From, r.Week, r.To)
	b.WriteString("## What Changed This Week\n- [ ] Features shipped\n- [ ] Bugs fixed\n- [ ] Documentation updated\n\n")
	b.WriteString("## What Telemetry Says\n\n### North Star: Command Success Rate\n")
	this := "n/a"
	if r.CSR != nil {
		this = pct1(*r.CSR)
	}
	fmt.Fprintf(&b, "- This week: %s (target: 80%%) %s\n", this, statusMark[r.CSRStatus])
	switch {
	case r.CSRTrend == nil:
		b.WriteString("- Trend: n/a (no data last week)\n")
	case *r.CSRTrend > 0:
		fmt.Fprintf(&b, "- Trend: ↑ %.1f points from last week (%s)\n", *r.CSRTrend, pct1(*r.CSRLast))
	case *r.CSRTrend < 0:
		fmt.Fprintf(&b, "- Trend: ↓ %.1f points from last week (%s)\n", -*r.CSRTrend, pct1(*r.CSRLast))
	default:
		fmt.Fprintf(&b, "- Trend: = unchanged from last week (%s)\n", pct1(*r.CSRLast))
	}
	var parts []string
	for _, s := range r.CSRByOS {
		parts = append(parts, fmt.Sprintf("%s %s", osName(s.Label), pct1(s.Value)))
	}
	if len(parts) == 0 {
		parts = []string{"n/a"}
	}
	fmt.Fprintf(&b, "- Breakdown by platform: %s\n\n", strings.Join(parts, ", "))

	b.WriteString("### Key Metrics Dashboard\n\n| Metric | This Week | Last Week | Target | Status |\n")
	b.WriteString("|--------|-----------|-----------|--------|--------|\n")
	for _, k := range r.KeyMetrics {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", k.Metric, k.ThisWeek, k.LastWeek, k.Target, statusMark[k.Status])
	}
	b.WriteString("\nStatus: 🟢 meets the target; 🟡 misses it by at most 10% of the allowed bad share; " +
		"🔴 misses it by more; ⚪ no target or no data.\n\n")

	b.WriteString("### Decision Signals\n")
	if len(r.Signals) == 0 {
		b.WriteString("- No decision-framework signal fired.\n")
	}
	for _, s := range r.Signals {
		fmt.Fprintf(&b, "- **%s**: %s. Decision: %s.\n", s.Name, s.Detail, s.Decision)
	}
	b.WriteString("\n### Insights & Anomalies\n1. [Observation]: [Data point]\n   - Hypothesis: [Why this might be happening]\n" +
		"   - Action: [What to do about it]\n\n")

	b.WriteString("### Platform & Backend Distribution\n")
	for _, s := range r.Platforms {
		os, backend, _ := strings.Cut(s.Label, "/")
		fmt.Fprintf(&b, "- %s (%s): %s of sessions (%d)\n", osName(os), backend, pct1(s.Value), s.N)
	}
	b.WriteString("\n")
	var remote int64
	for _, s := range r.Backends {
		if s.Label == "ollama" || s.Label == "vllm" {
			remote += s.N
		}
	}
	for _, s := range r.Backends {
		line := fmt.Sprintf("- %s backend: %s of sessions (%d)", s.Label, pct1(s.Value), s.N)
		if (s.Label == "ollama" || s.Label == "vllm") && remote > 0 {
			line += fmt.Sprintf(", %s of remote backend sessions", pct1(float64(s.N)/float64(remote)))
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n## Qualitative Feedback\n\n### GitHub Issues This Week\n\n### Discord/Email Highlights\n\n" +
		"### User Interview Insights (if any)\n\n## Synthesis: What to Build Next\n\n### High Priority (This Week)\n\n" +
		"### Medium Priority (Next 2 Weeks)\n\n### Deprioritized/Stopped\n\n## Open Questions for User Research\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the review as indented JSON.
func (r Review) WriteJSON(w io.Writer) error { return writeJSON(w, r) }

// WriteText writes every figure of the report, one per line: metric,
// segment, value, numerator, denominator, target.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s to %s (%d days, %d from daily aggregates)\n", r.From.Format("2006-01-02"),
		r.To.AddDate(0, 0, -1).Format("2006-01-02"), r.Days, r.RolledUpDays)
	b.WriteString("metric\tsegment\tvalue\tnumerator\tdenominator\ttarget\n")
	for _, m := range r.Metrics {
		d, _ := DefOf(m.Name)
		v := "n/a"
		if m.OK {
			v = strconv.FormatFloat(m.Value, 'g', 6, 64)
			if d.Kind == KindRatio || d.Kind == KindShare {
				v = strconv.FormatFloat(m.Value, 'f', 4, 64)
			}
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%d\t%d\t%s\n", m.Name, m.Segment, v, m.Numerator, m.Denominator, m.Target)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error { return writeJSON(w, r) }

// writeJSON writes v as JSON indented by two spaces, with <, > and &
// left as they are (the output is read by people and tools, not put in
// HTML).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

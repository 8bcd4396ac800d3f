package grafana_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/insights"
	"caro.sh/telemetry/insights/fleet"
	"caro.sh/telemetry/insights/grafana"
	"caro.sh/telemetry/internal/pgtest"
	"caro.sh/telemetry/store"
)

// dashboardsDir is the repository's dashboards/ folder.
const dashboardsDir = "../../dashboards"

func TestGeneratedDashboardsAreCurrent(t *testing.T) {
	files, err := grafana.Files()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dashboardsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok {
			t.Errorf("dashboards/%s is not generated: remove it, or generate it in package grafana", e.Name())
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dashboardsDir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("dashboards/%s is stale (%v): run go generate ./insights/grafana", name, err)
		}
	}
}

// panelQuery is one query of a panel of the generated dashboard.
type panelQuery struct {
	panel, ref, sql string
}

// generatedQueries reads every panel's queries from dashboards/: what
// Grafana is given, not what the package builds now.
func generatedQueries(t *testing.T) []panelQuery {
	t.Helper()
	files, err := grafana.Files()
	if err != nil || len(files) != 1 {
		t.Fatalf("%d generated files (%v), want the metrics dashboard", len(files), err)
	}
	var b []byte
	for name := range files {
		if b, err = os.ReadFile(filepath.Join(dashboardsDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	var d struct {
		Panels []struct {
			Type    string
			Title   string
			Targets []struct {
				RefID  string `json:"refId"`
				RawSQL string `json:"rawSql"`
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var out []panelQuery
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			out = append(out, panelQuery{p.Title, q.RefID, q.RawSQL})
		}
	}
	return out
}

// interpolate does to a panel's SQL what Grafana does before running it:
// the dashboard's variables in the sqlstring format (quoted, quotes
// doubled; Grafana's frontend), then the PostgreSQL data source's time
// macros (RFC 3339 literals in UTC; Grafana's postgres macro engine). It
// fails the test on any variable or macro left.
func interpolate(t *testing.T, q string, from, to time.Time, vars map[string]string) string {
	t.Helper()
	q = regexp.MustCompile(`\$\{([a-z]+):sqlstring\}`).ReplaceAllStringFunc(q, func(m string) string {
		name := m[2:strings.Index(m, ":")]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("the SQL uses variable %s, which the test does not set", name)
		}
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	})
	q = strings.ReplaceAll(q, "$__timeFrom()", "'"+from.UTC().Format(time.RFC3339Nano)+"'")
	q = strings.ReplaceAll(q, "$__timeTo()", "'"+to.UTC().Format(time.RFC3339Nano)+"'")
	if left := regexp.MustCompile(`\$[_a-zA-Z{]|\[\[`).FindString(q); left != "" {
		t.Fatalf("the SQL has %q left after Grafana's interpolation:\n%s", left, q)
	}
	return q
}

// TestPanelsEqualMetrics runs every panel's SQL of the generated
// dashboard on a real PostgreSQL store filled by the fleet simulator, for
// three ISO weeks (one bucket each), the whole population and a segment
// of each dimension, and checks each figure against insights.Compute of
// the same week and segment (what caro-insights metrics prints). The
// first week and a half are rolled up and their raw events deleted, as
// retention would: those days can only come from daily_metrics.
func TestPanelsEqualMetrics(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // 2026-W45 to 2026-W48
	s, err := store.Open(ctx, store.Options{DSN: pgtest.Start(t).DSN(), Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := fleet.DefaultParams()
	p.Users, p.Days, p.End, p.Seed = 12, 28, end, 11
	if _, err := fleet.Run(ctx, p, t.TempDir(), fleet.Sink{Store: s}, 2); err != nil {
		t.Fatal(err)
	}
	rolledTo := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC) // a Wednesday of 2026-W46
	if _, err := insights.Rollup(ctx, s, rolledTo); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "DELETE FROM events WHERE event_time < $1", rolledTo); err != nil {
		t.Fatal(err)
	}

	queries := generatedQueries(t)
	if len(queries) != 12 {
		t.Fatalf("the dashboard has %d queries, want one per metric (12)", len(queries))
	}
	weeks := []time.Time{
		time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), // rolled up
		time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), // rolled up to Tuesday, raw from Wednesday
		time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC),
	}
	checked := 0
	for _, monday := range weeks {
		next := monday.AddDate(0, 0, 7)
		reps, err := insights.ComputeBy(ctx, s, monday, next, insights.SegmentNone, insights.SegmentBackend,
			insights.SegmentPlatform, insights.SegmentRun)
		if err != nil {
			t.Fatal(err)
		}
		for _, seg := range []struct {
			dim   insights.Segment
			value string
		}{
			{insights.SegmentNone, ""},
			{insights.SegmentBackend, "ollama"},
			{insights.SegmentPlatform, "linux"},
			{insights.SegmentRun, "returning"},
		} {
			rep := reps[seg.dim]
			key, dim := insights.SegmentAll, "all"
			if seg.dim != insights.SegmentNone {
				key, dim = string(seg.dim)+"="+seg.value, string(seg.dim)
			}
			vars := map[string]string{"segment": dim, "value": seg.value, "bucket": "week"}
			for _, q := range queries {
				rows := run(t, s.DB(), interpolate(t, q.sql, monday, next, vars))
				what := monday.Format(time.DateOnly) + " " + key + " " + q.panel + " " + q.ref
				if q.panel == "Platform Distribution" {
					checked += checkShares(t, what, rows, rep, seg.dim, monday)
					continue
				}
				name := metricOf(t, q.panel, q.ref)
				d, _ := insights.DefOf(name)
				if len(rows) != 1 {
					t.Errorf("%s: %d rows, want one bucket: %v", what, len(rows), rows)
					continue
				}
				r := rows[0]
				if !r.time.Equal(monday) {
					t.Errorf("%s: bucket at %v, want %v", what, r.time, monday)
				}
				m, _ := rep.Get(name, key)
				want := math.NaN()
				if m.OK {
					want = m.Value
				}
				if got := r.value(d.Title); !sameFloat(got, want) {
					t.Errorf("%s: panel %v, caro-insights metrics %v (%d/%d)", what, got, want, m.Numerator, m.Denominator)
				}
				tgt := d.TargetOf(key)
				for col, bound := range map[string]float64{"target": tgt.Max + tgt.Min, "target (low)": tgt.Min, "target (high)": tgt.Max} {
					if v, ok := r.cols[d.Title+" "+col]; ok && !sameFloat(v, zeroNaN(bound)) {
						t.Errorf("%s: %s %v, want %v", what, col, v, bound)
					}
				}
				checked++
			}
		}
	}
	t.Logf("%d panel figures equal caro-insights metrics", checked)
}

// metricOf is the metric of a panel's query: the panel title is the
// metric's title, or the inference latency's P50 (A) and P95 (B).
func metricOf(t *testing.T, panel, ref string) string {
	t.Helper()
	if strings.HasPrefix(panel, "Inference Latency") {
		return map[string]string{"A": "inference_p50", "B": "inference_p95"}[ref]
	}
	for _, d := range insights.Defs {
		if d.Title == panel {
			return d.Name
		}
	}
	t.Fatalf("no metric is titled %q", panel)
	return ""
}

// checkShares compares the platform distribution's rows of one bucket
// with the report's shares of the dimension.
func checkShares(t *testing.T, what string, rows []row, rep insights.Report, dim insights.Segment, monday time.Time) int {
	t.Helper()
	if dim == insights.SegmentNone {
		dim = insights.SegmentPlatform
	}
	want := map[string]float64{}
	for _, m := range rep.Segments("platform_share", dim) {
		_, v, _ := strings.Cut(m.Segment, "=")
		want[v] = m.Value
	}
	if len(rows) != len(want) || len(want) == 0 {
		t.Errorf("%s: %d shares, caro-insights metrics has %d: %v", what, len(rows), len(want), rows)
	}
	for _, r := range rows {
		if w, ok := want[r.label]; !ok || !sameFloat(r.cols["value"], w) || !r.time.Equal(monday) {
			t.Errorf("%s: %s at %v is %v, caro-insights metrics %v", what, r.label, r.time, r.cols["value"], w)
		}
	}
	return len(rows)
}

// row is a row of a panel's query: its time, its metric label (shares)
// and its number columns by name (NaN for NULL).
type row struct {
	time  time.Time
	label string
	cols  map[string]float64
}

func (r row) value(name string) float64 { return r.cols[name] }

func run(t *testing.T, db *sql.DB, q string) []row {
	t.Helper()
	rs, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rs.Close()
	names, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for rs.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := row{cols: map[string]float64{}}
		for i, n := range names {
			switch v := vals[i].(type) {
			case time.Time:
				r.time = v.UTC()
			case string:
				r.label = v
			case float64:
				r.cols[n] = v
			case nil:
				r.cols[n] = math.NaN()
			default:
				t.Fatalf("column %s is a %T", n, v)
			}
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameFloat is equality, NaN (no data) included: the panels divide the
// same integers in the same IEEE doubles as insights.
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func zeroNaN(v float64) float64 {
	if v == 0 {
		return math.NaN()
	}
	return v
}

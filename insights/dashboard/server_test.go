package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/insights"
	"caro.sh/telemetry/insights/dashboard"
	"caro.sh/telemetry/insights/fleet"
	"caro.sh/telemetry/internal/pgtest"
	"caro.sh/telemetry/store"
)

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestBadRequestsSayWhatIsAllowed(t *testing.T) {
	srv := httptest.NewServer(openDashboard(t, fleetStore(t), dashboard.Options{}))
	defer srv.Close()
	for _, c := range []struct {
		name, path string
		code       int
		says       string
	}{
		{"a week before the data is refused with the span of weeks", "/api/metrics?week=2025-W47", 400,
			`week "2025-W47": want a week from 2026-W44 to 2026-W48, written YYYY-Www`},
		{"a week after the current one is refused", "/api/dashboard?week=2026-W50", 400, "want a week from 2026-W44 to 2026-W48"},
		{"a week that is not YYYY-Www is refused", "/api/metrics?week=last", 400, "written YYYY-Www"},
		{"an unknown segment is refused with the allowed ones", "/api/metrics?week=2026-W47&segment=os", 400,
			`segment "os": want one of backend, platform, run, or none for the whole population`},
		{"a segment of the dashboard must be one of metrics --by", "/api/dashboard?segment=shell&value=zsh", 400, "want one of backend, platform, run"},
		{"an unknown segment value is refused with the values of the weeks shown", "/api/dashboard?week=2026-W47&segment=backend&value=gpt", 400,
			`value "gpt" of segment backend: want one of ollama, static, unknown, vllm (the values of 2026-W44 to 2026-W47)`},
		{"a value without its segment is refused", "/api/dashboard?value=ollama", 400, "without a segment"},
		{"a week and segment that exist are answered", "/api/metrics?week=2026-W47&segment=platform", 200, `"metric": "csr"`},
		{"the default week is the current one", "/api/dashboard", 200, `"week":"2026-W48"`},
		{"an unknown path is not found", "/api/nothing", 404, "not found"},
		{"the page is served", "/", 200, "<title>Caro telemetry dashboard</title>"},
		{"the chart library is served from the page's own origin", "/static/chart.umd.min.js", 200, "Chart.js v4.6.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, h, body := get(t, srv.URL+c.path)
			if code != c.code || !strings.Contains(body, c.says) {
				t.Errorf("GET %s: %d %q, want %d with %q", c.path, code, body, c.code, c.says)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
			}
		})
	}
}

// TestEveryFilterValueRedrawsTheCharts asks for each filter the view
// offers: each is answered with the headline of its segment, and the
// segments of a dimension share out the whole population's commands.
func TestEveryFilterValueRedrawsTheCharts(t *testing.T) {
	srv := httptest.NewServer(openDashboard(t, fleetStore(t), dashboard.Options{}))
	defer srv.Close()
	var all dashboard.View
	code, _, body := get(t, srv.URL+"/api/dashboard?week=2026-W47")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &all); err != nil {
		t.Fatal(err)
	}
	if len(all.Charts) != 11 || len(all.Filters) < 3 {
		t.Fatalf("%d charts and %d filters, want CSR and the ten supporting metrics, and backend, platform, run at least",
			len(all.Charts), len(all.Filters))
	}
	for _, f := range all.Filters {
		if len(f.Values) == 0 {
			t.Errorf("filter %s offers no value", f.Segment)
		}
		var sum int64
		for _, v := range f.Values {
			var seg dashboard.View
			_, _, body := get(t, srv.URL+"/api/dashboard?week=2026-W47&segment="+f.Segment+"&value="+v)
			if err := json.Unmarshal([]byte(body), &seg); err != nil {
				t.Fatalf("%s=%s: %v: %s", f.Segment, v, err, body)
			}
			if seg.Key != f.Segment+"="+v {
				t.Errorf("%s=%s: the view is of %q", f.Segment, v, seg.Key)
			}
			sum += seg.Headline.Denominator
		}
		if f.Segment != "model_size" && sum != all.Headline.Denominator {
			t.Errorf("the CSRs by %s count %d generated commands, all users %d", f.Segment, sum, all.Headline.Denominator)
		}
	}
}

// TestFiguresAreKeptForCacheFor: within CacheFor a view is not read from
// the store again (a room of open pages costs one read); without it,
// every view shows what the store holds now.
func TestFiguresAreKeptForCacheFor(t *testing.T) {
	path := fleetStore(t)
	cached := httptest.NewServer(openDashboard(t, path, dashboard.Options{CacheFor: time.Hour}))
	defer cached.Close()
	fresh := httptest.NewServer(openDashboard(t, path, dashboard.Options{}))
	defer fresh.Close()
	csr := func(srv *httptest.Server) int64 {
		var v dashboard.View
		_, _, body := get(t, srv.URL+"/api/dashboard?week=2026-W48")
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return v.Headline.Denominator
	}
	before := csr(cached)
	if got := csr(fresh); got != before {
		t.Fatalf("the two servers disagree before any write: %d and %d", before, got)
	}
	appendFleet(t, path, 3, 77)
	if got := csr(cached); got != before {
		t.Errorf("within CacheFor, the view changed from %d to %d generated commands", before, got)
	}
	if got := csr(fresh); got == before {
		t.Errorf("without a cache, the view still has %d generated commands after the writer's", got)
	}
}

// TestServesAPostgreSQLStore: the same dashboard over the PostgreSQL
// store, where /api/metrics is Compute's report as metrics prints it.
func TestServesAPostgreSQLStore(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{DSN: pgtest.Start(t).DSN(), Now: func() time.Time { return fleetEnd }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := fleet.DefaultParams()
	p.Users, p.Days, p.End, p.Seed = 6, 14, fleetEnd, 5
	if _, err := fleet.Run(ctx, p, t.TempDir(), fleet.Sink{Store: s}, 2); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dashboard.New(s, dashboard.Options{Now: func() time.Time { return now }}))
	defer srv.Close()
	code, _, body := get(t, srv.URL+"/api/metrics?week=2026-W47&segment=platform")
	rep, err := insights.Compute(ctx, s, time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		insights.SegmentPlatform)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := rep.WriteJSON(&want); err != nil {
		t.Fatal(err)
	}
	if code != 200 || body != want.String() {
		t.Errorf("/api/metrics: %d\n%s\nwant\n%s", code, body, want.String())
	}
	var v dashboard.View
	_, _, body = get(t, srv.URL+"/api/dashboard?week=2026-W48&segment=backend&value=static")
	if err := json.Unmarshal([]byte(body), &v); err != nil || len(v.Charts) != 11 || v.Headline.Denominator == 0 {
		t.Errorf("/api/dashboard: %v, %d charts, CSR of %d commands: %.300s", err, len(v.Charts), v.Headline.Denominator, body)
	}
}

package dashboard_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/insights/browser"
	"caro.sh/telemetry/insights/dashboard"
)

// inkJS measures every chart of the page: the pixels of its plot area
// (Chart.js's chartArea, so not the legend) that have a series colour
// (the Okabe-Ito palette of app.js), and the figures it draws. Targets are
// black and grid lines grey, so a chart without data has no such pixel.
const inkJS = `(() => {
  const palette = [[0,114,178],[213,94,0],[0,158,115],[204,121,167],[230,159,0],[86,180,233],[240,228,66]];
  return [...document.querySelectorAll('canvas[id^="chart-"]')].map((c) => {
    const ch = Chart.getChart(c), a = ch.chartArea, r = ch.currentDevicePixelRatio;
    // The plot area and a marker's radius around it: a point on an axis
    // is drawn half outside it.
    const pad = 8;
    const x = Math.floor((a.left - pad) * r), y = Math.floor((a.top - pad) * r);
    const w = Math.ceil((a.right - a.left + 2 * pad) * r), h = Math.ceil((a.bottom - a.top + 2 * pad) * r);
    const d = c.getContext('2d').getImageData(x, y, w, h).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] < 128) continue;
      if (palette.some((p) => Math.abs(d[i] - p[0]) + Math.abs(d[i + 1] - p[1]) + Math.abs(d[i + 2] - p[2]) < 60)) ink++;
    }
    return {id: c.id, ink: ink, area: w * h,
      figures: JSON.stringify(ch.data.datasets.filter((s) => !s.target).map((s) => [s.label, s.data]))};
  });
})()`

// blankInkJS is inkJS after taking every series' data out of every chart
// (in the same turn of the page's event loop, so no refresh comes
// between): the check that inkJS tells a drawn chart from an empty one.
const blankInkJS = `(() => {
  for (const c of document.querySelectorAll('canvas[id^="chart-"]')) {
    const ch = Chart.getChart(c);
    for (const s of ch.data.datasets) if (!s.target) s.data = s.data.map(() => null);
    ch.update('none');
  }
  return ` + inkJS + `;
})()`

// minInk is the fewest series pixels of a drawn chart: one marker (a
// radius-5 point) is about 80; a chart without data has none.
const minInk = 60

type chartInk struct {
	ID      string `json:"id"`
	Ink     int    `json:"ink"`
	Area    int    `json:"area"`
	Figures string `json:"figures"`
}

// TestDashboardDrawsEveryChartInChromium opens the dashboard of a
// simulated fleet in headless Chromium: every chart is drawn, choosing
// another week and then a segment redraws them with other figures, the
// page refreshes by itself with what a concurrent writer appended to the
// store, and the page makes no request off 127.0.0.1 and logs no error.
//
// The screenshots go to $ARTIFACTS when set, else to the test's temporary
// folder (removed after the test; the log says where).
func TestDashboardDrawsEveryChartInChromium(t *testing.T) {
	bin := browser.Chromium(t)
	path := fleetStore(t)
	d := openDashboard(t, path, dashboard.Options{Refresh: time.Second})
	srv := httptest.NewServer(d)
	defer srv.Close()
	artifacts := os.Getenv("ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}

	b := browser.Start(t, bin, 1280, 3400)
	b.Navigate(srv.URL + "/")
	b.WaitFor("the first drawing", `document.body.dataset.renders >= 1`)
	var week string
	b.Eval(`document.body.dataset.week`, &week)
	if week != "2026-W48" {
		t.Fatalf("the page opened on week %s, want the current one, 2026-W48", week)
	}
	first := drawn(t, b, "2026-W48, all users")
	save(t, b, artifacts, "dashboard-2026-W48-all.png")

	// The check can fail: the same charts without their data are blank.
	var blank []chartInk
	b.Eval(blankInkJS, &blank)
	for _, c := range blank {
		if c.Ink >= minInk {
			t.Errorf("%s without data has %d series pixels: the check would pass an empty chart", c.ID, c.Ink)
		}
	}

	// A collector appends a week of other users meanwhile, through its
	// own handle on the store; the open page shows them without a reload.
	var before string
	b.Eval(`document.getElementById('csr-detail').textContent`, &before)
	appendFleet(t, path, 4, 99)
	b.WaitFor("a refresh with the appended week", `document.getElementById('csr-detail').textContent !== `+jsString(before))
	refreshed := drawn(t, b, "2026-W48 after the writer")
	if same(first, refreshed) {
		t.Error("the refresh drew the same figures after a week of new sessions")
	}

	// Another week.
	b.Eval(`(() => { const s = document.getElementById('week'); s.value = '2026-W46'; s.dispatchEvent(new Event('change')); })()`, nil)
	b.WaitFor("week 2026-W46", `document.body.dataset.week === '2026-W46'`)
	w46 := drawn(t, b, "2026-W46, all users")
	if same(refreshed, w46) {
		t.Error("choosing 2026-W46 drew the same figures as 2026-W48")
	}
	save(t, b, artifacts, "dashboard-2026-W46-all.png")

	// A segment: the first backend the filter offers.
	var key string
	b.Eval(`(() => { const s = document.getElementById('segment');
		const o = [...s.options].find((o) => o.value.startsWith('backend='));
		s.value = o.value; s.dispatchEvent(new Event('change')); return o.value; })()`, &key)
	b.WaitFor("segment "+key, `document.body.dataset.key === `+jsString(key))
	seg := drawn(t, b, "2026-W46, "+key)
	if same(w46, seg) {
		t.Errorf("choosing %s drew the same figures as all users", key)
	}
	save(t, b, artifacts, "dashboard-2026-W46-"+strings.ReplaceAll(key, "=", "-")+".png")

	reqs := b.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request was seen: the request check is not working")
	}
	for _, u := range reqs {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page asked for %s, off the dashboard's server", u)
		}
	}
	if n := b.Proxied(); n > 0 {
		t.Errorf("Chromium opened %d connections to the proxy: a request tried to leave the machine: %q", n, b.ProxiedLines())
	}
	for _, p := range b.Problems() {
		t.Errorf("the page logged %s", p)
	}
	t.Logf("%d requests, all to %s; screenshots in %s; Chromium's own background requests, refused: %q",
		len(reqs), srv.URL, artifacts, b.BackgroundLines())

	// The proxy check can fail: a page without the dashboard's
	// Content-Security-Policy that fetches another host reaches it.
	b.Navigate("about:blank")
	b.Eval(`fetch('http://example.com/').then(() => 0, () => 0)`, nil)
	if b.Proxied() == 0 {
		t.Error("a fetch of another host never reached the page's proxy: the check that nothing left the page is not working")
	}
}

// drawn measures the page's charts and fails the test for any not drawn.
func drawn(t *testing.T, b *browser.Browser, what string) []chartInk {
	t.Helper()
	var charts []chartInk
	b.Eval(inkJS, &charts)
	if len(charts) != 11 {
		t.Fatalf("%s: the page has %d charts, want CSR and the ten supporting metrics", what, len(charts))
	}
	for _, c := range charts {
		t.Logf("%s: %s has %d series pixels of %d", what, c.ID, c.Ink, c.Area)
		if c.Ink < minInk {
			t.Errorf("%s: %s is not drawn: %d series pixels (figures %s)", what, c.ID, c.Ink, c.Figures)
		}
	}
	return charts
}

// same says whether two measures of the page show the same figures.
func same(a, b []chartInk) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Figures != b[i].Figures {
			return false
		}
	}
	return true
}

func save(t *testing.T, b *browser.Browser, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b.Screenshot(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

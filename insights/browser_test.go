package insights_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/insights"
	"caro.sh/telemetry/insights/browser"
	"caro.sh/telemetry/insights/fleet"
	"caro.sh/telemetry/store"
)

// TestHTMLRendersInChromium opens the weekly HTML review of a simulated
// fleet in headless Chromium and checks the screenshot: every chart (an SVG
// on its #fafafa background) is on it and has ink in it, and Chromium made
// no request at all. Besides the page's own CSP (default-src 'none'),
// the page may ask for nothing but itself, and Chromium (package browser)
// resolves no host but 127.0.0.1 and sends anything it would fetch from
// another host to a local proxy that fails the test on any connection.
//
// Without Chromium the test skips, except under CI=true, where it fails:
// .ci/run installs Chromium.
func TestHTMLRendersInChromium(t *testing.T) {
	bin := browser.Chromium(t)
	ctx := context.Background()
	dir := t.TempDir()

	// Eight weeks of a small fleet, so every chart has data.
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "store.db"), Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := fleet.DefaultParams()
	p.Users, p.Days, p.End, p.Seed = 20, 56, end, 3
	if _, err := fleet.Run(ctx, p, filepath.Join(dir, "users"), fleet.Sink{Store: db}, 2); err != nil {
		t.Fatal(err)
	}
	r, err := insights.Weekly(ctx, db, "2026-W47")
	if err != nil {
		t.Fatal(err)
	}
	monday, _ := insights.ParseISOWeek("2026-W47")
	charts, err := insights.WeeklyCharts(ctx, db, monday)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page, charts); err != nil {
		t.Fatal(err)
	}
	svgs := strings.Count(page.String(), "<svg")

	img := screenshot(t, bin, dir, "review", page.Bytes())
	areas := chartAreas(img)
	if len(areas) != svgs {
		t.Fatalf("the screenshot shows %d chart areas, the page has %d charts: %v", len(areas), svgs, areas)
	}
	for i, a := range areas {
		ink, total := inkIn(img, a)
		t.Logf("chart %d at %v: %d of %d pixels inked (%.1f%%)", i+1, a, ink, total, 100*float64(ink)/float64(total))
		if !drawn(ink, total) {
			t.Errorf("chart %d at %v is blank: %d of %d pixels inked", i+1, a, ink, total)
		}
	}

	// The check itself: the same page with its bars taken out is blank.
	bare := regexp.MustCompile(`<rect[^>]*class="bar"[^>]*>.*?</rect>`).ReplaceAll(page.Bytes(), nil)
	img = screenshot(t, bin, dir, "bare", bare)
	areas = chartAreas(img)
	if len(areas) != svgs {
		t.Fatalf("without bars, the screenshot shows %d chart areas, the page has %d charts", len(areas), svgs)
	}
	for i, a := range areas {
		ink, total := inkIn(img, a)
		t.Logf("chart %d without bars: %.1f%% inked", i+1, 100*float64(ink)/float64(total))
		if drawn(ink, total) {
			t.Errorf("chart %d without its bars is seen as drawn: %d of %d pixels inked", i+1, ink, total)
		}
	}
}

// drawn tells a chart with data from a blank one: a blank chart has its
// title, axis and labels (about 3% of its area), a drawn one its bars
// too (12% and more on the simulated fleet).
func drawn(ink, total int) bool { return float64(ink) >= 0.07*float64(total) }

// screenshot writes page to dir/name.html, opens it in Chromium (package
// browser: a window 1200 pixels wide) and returns the screenshot of the
// whole page. It fails the test if the page asks for anything but itself
// or Chromium opens any connection to the page's proxy.
func screenshot(t *testing.T, bin, dir, name string, page []byte) image.Image {
	t.Helper()
	htmlPath := filepath.Join(dir, name+".html")
	if err := os.WriteFile(htmlPath, page, 0o644); err != nil {
		t.Fatal(err)
	}
	b := browser.Start(t, bin, 1200, 4200)
	url := "file://" + htmlPath
	b.Navigate(url)
	b.WaitFor("the page "+name, `document.readyState === 'complete'`)
	shot := b.Screenshot()
	for _, u := range b.Requests() {
		if u != url {
			t.Errorf("the page asked for %s", u)
		}
	}
	if n := b.Proxied(); n > 0 {
		t.Errorf("Chromium opened %d connections to the proxy: a request tried to leave the machine: %q", n, b.ProxiedLines())
	}
	if keep := os.Getenv("CARO_KEEP_SCREENSHOT"); keep != "" {
		_ = os.WriteFile(filepath.Join(keep, name+".png"), shot, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", name, err)
	}
	return img
}

// background is the SVG background of the charts (html.go's CSS).
var background = color.RGBA{0xfa, 0xfa, 0xfa, 0xff}

func isBackground(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	near := func(v uint32, w uint8) bool { d := int(v>>8) - int(w); return d >= -2 && d <= 2 }
	return near(r, background.R) && near(g, background.G) && near(b, background.B)
}

func isWhite(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 >= 0xfe && g>>8 >= 0xfe && b>>8 >= 0xfe
}

// chartAreas finds the charts on the screenshot. A chart is an SVG on the
// #fafafa background with a white margin above and below: a run of rows
// that are each mostly non-white (a chart row is background, bars or
// lines across its whole width), at least ten of which show a wide stretch
// of the background (its title strip and margins). Text and the table have
// white rows between their lines and no #fafafa.
func chartAreas(img image.Image) []image.Rectangle {
	bounds := img.Bounds()
	var areas []image.Rectangle
	var cur image.Rectangle
	bgRows, in := 0, false
	flush := func() {
		if in && cur.Dy() >= 20 && bgRows >= 10 {
			areas = append(areas, cur)
		}
		in, bgRows = false, 0
	}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		bg, ink, minX, maxX := 0, 0, bounds.Max.X, bounds.Min.X
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			c := img.At(x, y)
			switch {
			case isBackground(c):
				bg++
			case !isWhite(c):
				ink++
			default:
				continue
			}
			minX, maxX = min(minX, x), max(maxX, x)
		}
		if bg+ink < 300 {
			flush()
			continue
		}
		row := image.Rect(minX, y, maxX+1, y+1)
		if in {
			cur = cur.Union(row)
		} else {
			cur, in = row, true
		}
		if bg >= 100 {
			bgRows++
		}
	}
	flush()
	return areas
}

// inkIn counts the pixels of a that are neither background nor white.
func inkIn(img image.Image, a image.Rectangle) (ink, total int) {
	for y := a.Min.Y; y < a.Max.Y; y++ {
		for x := a.Min.X; x < a.Max.X; x++ {
			total++
			if c := img.At(x, y); !isBackground(c) && !isWhite(c) {
				ink++
			}
		}
	}
	return ink, total
}

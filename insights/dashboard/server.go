package dashboard

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"caro.sh/telemetry/insights"
	"caro.sh/telemetry/store"
)

//go:embed static
var staticFiles embed.FS

// Options configure a Server.
type Options struct {
	// Now is the clock (nil: time.Now): it decides the current week and
	// where a week in progress ends.
	Now func() time.Time
	// Weeks is how many weeks the trends show, the selected one last
	// (0: DefaultWeeks).
	Weeks int
	// Refresh is how often an open page asks for the figures again (0:
	// DefaultRefresh).
	Refresh time.Duration
	// CacheFor is how long the figures of a period are kept before the
	// store is read again (0: never kept, every request reads the store).
	CacheFor time.Duration
}

// Defaults of Options.
const (
	DefaultWeeks   = 8
	DefaultRefresh = time.Minute
)

// Server serves the dashboard of one store. It only reads the store; it
// is safe for concurrent use, as an http.Handler must be.
type Server struct {
	store *store.Store
	opts  Options
	mux   *http.ServeMux

	mu    sync.Mutex
	cache map[[2]time.Time]cached
	span  cachedSpan
}

type cachedSpan struct {
	at          time.Time
	first, last time.Time
	ok          bool
}

type cached struct {
	at   time.Time
	reps map[insights.Segment]insights.Report
}

// segments are the dimensions that a filter and /api/metrics take: the
// spec's segments of the north star (CSR: backend, platform, first run,
// as `caro-insights metrics --by`) and of the inference latency (P95:
// backend, model size, platform, where insights defines them).
var segments = func() []insights.Segment {
	var out []insights.Segment
	for _, name := range []string{"csr", "inference_p95"} {
		d, _ := insights.DefOf(name)
		for _, s := range d.Segments {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}()

// bySegments are the dimensions that /api/metrics takes: those of
// `caro-insights metrics --by`.
var bySegments = []insights.Segment{insights.SegmentBackend, insights.SegmentPlatform, insights.SegmentRun}

// segmentTitle names a dimension on the page.
func segmentTitle(s insights.Segment) string {
	switch s {
	case insights.SegmentBackend:
		return "Backend"
	case insights.SegmentPlatform:
		return "Platform"
	case insights.SegmentRun:
		return "First run"
	}
	t := strings.ReplaceAll(string(s), "_", " ")
	return strings.ToUpper(t[:1]) + t[1:]
}

// errBadRequest marks the errors that are the request's fault (400).
var errBadRequest = errors.New("bad request")

// New returns the dashboard of s.
func New(s *store.Store, opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Weeks <= 0 {
		opts.Weeks = DefaultWeeks
	}
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	d := &Server{store: s, opts: opts, mux: http.NewServeMux(), cache: map[[2]time.Time]cached{}}
	static, _ := fs.Sub(staticFiles, "static")
	files := http.FileServerFS(static)
	d.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "index.html")
	})
	d.mux.Handle("GET /static/", http.StripPrefix("/static", files))
	d.mux.HandleFunc("GET /api/metrics", d.apiMetrics)
	d.mux.HandleFunc("GET /api/dashboard", d.apiDashboard)
	return d
}

// ServeHTTP serves the page, its files and its API. Every answer forbids
// the page any request to another origin (Content-Security-Policy).
func (d *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	d.mux.ServeHTTP(w, r)
}

// Check reads the store once, so that a store that cannot be read fails
// when the server starts rather than on the first page.
func (d *Server) Check(ctx context.Context) error {
	if _, _, _, err := insights.DataSpan(ctx, d.store); err != nil {
		return fmt.Errorf("read store %s: %w", d.store.Where(), err)
	}
	return nil
}

// apiMetrics answers what `caro-insights metrics --format json` prints for
// the week and the segment dimension.
func (d *Server) apiMetrics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	span, err := d.weeks(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	monday, err := span.parse(q.Get("week"))
	if err != nil {
		fail(w, err)
		return
	}
	seg, err := parseSegment(q.Get("segment"), bySegments)
	if err != nil {
		fail(w, err)
		return
	}
	rep, err := insights.Compute(r.Context(), d.store, monday, weekEnd(monday, d.opts.Now()), seg)
	if err != nil {
		fail(w, err)
		return
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

// apiDashboard answers the page's view of a week and a segment filter.
func (d *Server) apiDashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := d.view(r.Context(), q.Get("week"), q.Get("segment"), q.Get("value"))
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// fail answers an error: 400 with its message for the request's fault,
// else 500.
func fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, errBadRequest) {
		code = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	msg := strings.TrimPrefix(err.Error(), errBadRequest.Error()+": ")
	fmt.Fprintln(w, msg)
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBadRequest}, args...)...)
}

// parseSegment reads a segment dimension: "" (the whole population) or
// one of allowed.
func parseSegment(s string, allowed []insights.Segment) (insights.Segment, error) {
	if s == "" {
		return insights.SegmentNone, nil
	}
	for _, seg := range allowed {
		if insights.Segment(s) == seg {
			return seg, nil
		}
	}
	names := make([]string, len(allowed))
	for i, s := range allowed {
		names[i] = string(s)
	}
	return "", badRequest("segment %q: want one of %s, or none for the whole population", s, strings.Join(names, ", "))
}

// weekSpan is the weeks the dashboard offers: the Mondays of the first
// and last, both included.
type weekSpan struct{ first, last time.Time }

// weeks reads the span of weeks with data, to the current week.
func (d *Server) weeks(ctx context.Context) (weekSpan, error) {
	first, last, ok, err := d.dataSpan(ctx)
	if err != nil {
		return weekSpan{}, err
	}
	now := monday(d.opts.Now())
	if !ok {
		return weekSpan{now, now}, nil
	}
	sp := weekSpan{monday(first), monday(last)}
	if now.After(sp.last) {
		sp.last = now
	}
	return sp, nil
}

// dataSpan is insights.DataSpan, kept for CacheFor.
func (d *Server) dataSpan(ctx context.Context) (first, last time.Time, ok bool, err error) {
	now := time.Now()
	if d.opts.CacheFor > 0 {
		d.mu.Lock()
		c := d.span
		d.mu.Unlock()
		if !c.at.IsZero() && now.Sub(c.at) < d.opts.CacheFor {
			return c.first, c.last, c.ok, nil
		}
	}
	if first, last, ok, err = insights.DataSpan(ctx, d.store); err != nil {
		return first, last, ok, err
	}
	if d.opts.CacheFor > 0 {
		d.mu.Lock()
		d.span = cachedSpan{now, first, last, ok}
		d.mu.Unlock()
	}
	return first, last, ok, nil
}

// parse reads a week of the span; "" is the last.
func (sp weekSpan) parse(s string) (time.Time, error) {
	if s == "" {
		return sp.last, nil
	}
	m, err := insights.ParseISOWeek(s)
	if err == nil && !m.Before(sp.first) && !m.After(sp.last) {
		return m, nil
	}
	return time.Time{}, badRequest("week %q: want a week from %s to %s, written YYYY-Www", s, isoWeek(sp.first), isoWeek(sp.last))
}

// list is every week of the span, oldest first.
func (sp weekSpan) list() []string {
	var out []string
	for m := sp.first; !m.After(sp.last); m = m.AddDate(0, 0, 7) {
		out = append(out, isoWeek(m))
	}
	return out
}

// monday is the Monday (UTC) of t's ISO week.
func monday(t time.Time) time.Time {
	d := insights.Day(t)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// isoWeek writes the ISO week of t as "2026-W47".
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// weekEnd is the exclusive end of the week of monday as of now: the next
// Monday, or for the week in progress the day after today, as
// insights.WeeklyAt reviews it.
func weekEnd(monday, now time.Time) time.Time {
	end := monday.AddDate(0, 0, 7)
	if next := insights.Day(now).AddDate(0, 0, 1); next.After(monday) && next.Before(end) {
		end = next
	}
	return end
}

// reports are the figures of [from, to) for the whole population and
// each dimension of segments, kept for CacheFor.
func (d *Server) reports(ctx context.Context, from, to time.Time) (map[insights.Segment]insights.Report, error) {
	key := [2]time.Time{from, to}
	now := time.Now()
	if d.opts.CacheFor > 0 {
		d.mu.Lock()
		c, ok := d.cache[key]
		d.mu.Unlock()
		if ok && now.Sub(c.at) < d.opts.CacheFor {
			return c.reps, nil
		}
	}
	reps, err := insights.ComputeBy(ctx, d.store, from, to, append([]insights.Segment{insights.SegmentNone}, segments...)...)
	if err != nil {
		return nil, err
	}
	if d.opts.CacheFor > 0 {
		d.mu.Lock()
		for k, c := range d.cache {
			if now.Sub(c.at) >= d.opts.CacheFor {
				delete(d.cache, k)
			}
		}
		d.cache[key] = cached{at: now, reps: reps}
		d.mu.Unlock()
	}
	return reps, nil
}

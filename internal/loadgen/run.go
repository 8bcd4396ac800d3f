package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// DefaultSessions is the number of sessions per request: about what one
// `caro telemetry flush` batch holds (200 events, six per session).
const DefaultSessions = 33

// Options configure a run. A run stops when Duration has passed or
// Requests requests were sent, whichever comes first; at least one of the
// two must be set.
type Options struct {
	// URL is where requests are posted: an OTLP/HTTP logs endpoint
	// (http://127.0.0.1:4318/v1/logs).
	URL string
	// Workers send concurrently, one request at a time each (default 1).
	Workers int
	// Duration bounds the run in time (0: no time bound): no request starts
	// after it, and those in flight then are completed (within Timeout).
	Duration time.Duration
	// Requests bounds the run in requests (0: no count bound). Retries
	// do not count.
	Requests int64
	// Sessions per request (default DefaultSessions).
	Sessions int
	// Hostile is the fraction of hostile records, 0 to 1 (see Hostility).
	Hostile float64
	// Seed and Epoch make the run: two runs with the same seed, epoch and
	// sessions per request send the same request bodies, byte for byte
	// (the same log.record.uid values), whatever their workers. Seed 0
	// draws a random seed; a zero Epoch is now. The Summary reports both,
	// so that any run can be sent again.
	Seed  uint64
	Epoch time.Time
	// Retries is how often a request answered 429 or 503 is sent again,
	// after its Retry-After (capped at MaxRetryWait) or, without one,
	// 100 ms (default 0: such answers are counted, not retried).
	Retries      int
	MaxRetryWait time.Duration
	// Timeout bounds one HTTP request (default 10 s).
	Timeout time.Duration
	// Client sends the requests (default: a client with one kept-alive
	// connection per worker).
	Client *http.Client
	// Prepare builds every request body before the clock starts, so that
	// generating and compressing them does not compete with the collector
	// for the machine during the run. It needs Requests, and holds all
	// bodies in memory (about 15 KB per request of 33 sessions).
	Prepare bool
}

// Run sends load as o says and returns what happened. It returns an error
// only for invalid options; failed requests are counted in the Summary.
// Cancelling ctx ends the run early, with a Summary of what was sent.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	g, err := NewGenerator(o.Seed, o.Epoch, o.Sessions, o.Hostile)
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, g: g}
	if o.Prepare {
		if r.prepared, err = prepare(g, o.Requests); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	if o.Duration > 0 {
		r.deadline = start.Add(o.Duration)
	}
	var wg sync.WaitGroup
	stats := make([]workerStats, o.Workers)
	for i := range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, &stats[i])
		}()
	}
	wg.Wait()
	return summarize(o, time.Since(start), stats), nil
}

func (o *Options) defaults() error {
	if o.URL == "" {
		return errors.New("no URL to send to")
	}
	if o.Duration <= 0 && o.Requests <= 0 {
		return errors.New("neither a duration nor a request count: a run must be bounded")
	}
	if o.Prepare && o.Requests <= 0 {
		return errors.New("preparing the bodies needs a request count")
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Sessions == 0 {
		o.Sessions = DefaultSessions
	}
	if o.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	if o.Epoch.IsZero() {
		o.Epoch = time.Now()
	}
	o.Epoch = o.Epoch.UTC().Truncate(time.Millisecond) // as RFC 3339 in the Summary replays it
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{
			MaxIdleConns: o.Workers, MaxIdleConnsPerHost: o.Workers, IdleConnTimeout: 30 * time.Second,
			DisableCompression: true,
		}}
	}
	return nil
}

type runner struct {
	o        Options
	g        *Generator
	prepared []prepared // with Options.Prepare: every request's
	deadline time.Time  // zero: none
	next     atomic.Int64
}

// prepared is a request built ahead.
type prepared struct {
	body             []byte
	version          string
	records, hostile int
}

// prepare builds requests 0 to n-1, on every core.
func prepare(g *Generator, n int64) ([]prepared, error) {
	out := make([]prepared, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < n; i = next.Add(1) - 1 {
				b := g.Batch(uint64(i))
				body, err := b.Body()
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = prepared{body: body, version: b.Version, records: len(b.Records), hostile: b.Hostiles()}
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// request returns request n.
func (r *runner) request(n int64) (prepared, error) {
	if r.prepared != nil {
		return r.prepared[n], nil
	}
	b := r.g.Batch(uint64(n))
	body, err := b.Body()
	return prepared{body: body, version: b.Version, records: len(b.Records), hostile: b.Hostiles()}, err
}

// over reports whether the run's time is up at t.
func (r *runner) over(t time.Time) bool { return !r.deadline.IsZero() && !t.Before(r.deadline) }

// workerStats is what one worker saw; merged after the run, so workers
// share nothing but the request counter.
type workerStats struct {
	requests, delivered, retries     int64
	events, eventsDelivered, hostile int64
	bytes, rejected                  int64
	latencies                        []time.Duration
	status                           map[string]int64
	errors                           []string
}

func (w *workerStats) count(status string) {
	if w.status == nil {
		w.status = map[string]int64{}
	}
	w.status[status]++
}

func (r *runner) work(ctx context.Context, st *workerStats) {
	for ctx.Err() == nil && !r.over(time.Now()) {
		n := r.next.Add(1) - 1
		if r.o.Requests > 0 && n >= r.o.Requests {
			return
		}
		req, err := r.request(n)
		if err != nil { // a programming error: pdata cannot fail to marshal its own logs
			st.count("error")
			st.errors = append(st.errors, err.Error())
			return
		}
		st.requests++
		st.events += int64(req.records)
		st.hostile += int64(req.hostile)
		if r.send(ctx, &req, st) {
			st.delivered++
			st.eventsDelivered += int64(req.records)
		}
	}
}

// send posts one body, retrying 429 and 503 as the options say, and
// reports whether it was answered 2xx.
func (r *runner) send(ctx context.Context, req *prepared, st *workerStats) bool {
	for attempt := 0; ; attempt++ {
		status, retryAfter, err := r.post(ctx, req, st)
		switch {
		case err != nil:
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				st.count("cancelled") // the run's end, not the server's failure
				return false
			}
			st.count("error")
			if len(st.errors) < 5 {
				st.errors = append(st.errors, err.Error())
			}
			return false
		case status/100 == 2:
			st.count(strconv.Itoa(status))
			return true
		}
		st.count(strconv.Itoa(status))
		if (status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable) || attempt >= r.o.Retries {
			return false
		}
		now := time.Now()
		wait := min(parseRetryAfter(retryAfter, now), r.o.MaxRetryWait)
		if r.over(now.Add(wait)) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		st.retries++
	}
}

// post sends one request, with the headers of caro's upload, and reads
// the answer whole; its latency is recorded when the server answered.
func (r *runner) post(ctx context.Context, p *prepared, st *workerStats) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	body := p.body
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.o.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("X-Caro-Version", p.version)
	start := time.Now()
	resp, err := r.o.Client.Do(req)
	if err != nil {
		return 0, "", err
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	st.latencies = append(st.latencies, time.Since(start))
	st.bytes += int64(len(body))
	if err != nil {
		return 0, "", fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 == 2 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
		er := plogotlp.NewExportResponse()
		if er.UnmarshalProto(answer) == nil {
			st.rejected += er.PartialSuccess().RejectedLogRecords()
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; absent or
// unreadable, it is 100 ms.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 100 * time.Millisecond
}

package upload

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/internal/otlptest"
)

// TestFailureTable runs every row of the spec's failure table against a
// real OTLP/HTTP server: a first flush meets the failure, a second one
// (once the backoff has passed) meets a healthy server. After both, the
// events at the server and in the spool are exactly what the table says,
// and no event is delivered twice once duplicates are dropped by
// log.record.uid.
func TestFailureTable(t *testing.T) {
	const events = 10 // batches of 4: 4, 4, 2
	type want struct {
		sent, kept, dropped, batches int
		outcome                      Outcome // of Result.Failure; 0 for none
		status                       int
		retryAfter                   time.Duration
		// backoff bounds NextAttempt - now (both zero: no next attempt).
		backoffMin, backoffMax time.Duration
		droppedEvents          []int // indices of the events dropped
		acceptedAtFirst        int   // records the server accepted in the first flush
	}
	date := func(c *clock, d time.Duration) string { return c.Now().Add(d).Format(http.TimeFormat) }
	cases := []struct {
		name    string
		refused bool // the first flush meets a closed port
		script  func(c *clock) []action
		timeout time.Duration
		want    want
	}{
		{
			name:   "a 200 delivers every batch and marks it transmitted",
			script: func(*clock) []action { return nil },
			want:   want{sent: 10, batches: 3, acceptedAtFirst: 10},
		},
		{
			name:   "a 400 drops its batch, counts it, and the next batches still go",
			script: func(*clock) []action { return []action{code(400)} },
			want: want{sent: 6, dropped: 4, batches: 3, outcome: Rejected, status: 400,
				droppedEvents: []int{0, 1, 2, 3}, acceptedAtFirst: 6},
		},
		{
			name:   "a 413 in the middle is a 4xx like any other",
			script: func(*clock) []action { return []action{ok(), code(413)} },
			want: want{sent: 6, dropped: 4, batches: 3, outcome: Rejected, status: 413,
				droppedEvents: []int{4, 5, 6, 7}, acceptedAtFirst: 6},
		},
		{
			name:   "a 429 keeps everything and honours Retry-After in seconds",
			script: func(*clock) []action { return []action{code(429, "Retry-After", "120")} },
			want: want{kept: 10, batches: 1, outcome: Throttled, status: 429, retryAfter: 2 * time.Minute,
				backoffMin: 2 * time.Minute, backoffMax: 2 * time.Minute},
		},
		{
			name: "a 503 keeps the rest and honours Retry-After as an HTTP date",
			script: func(c *clock) []action {
				return []action{ok(), code(503, "Retry-After", date(c, 5*time.Minute))}
			},
			want: want{sent: 4, kept: 6, batches: 2, outcome: Throttled, status: 503, retryAfter: 5 * time.Minute,
				backoffMin: 5 * time.Minute, backoffMax: 5 * time.Minute, acceptedAtFirst: 4},
		},
		{
			name:   "a 429 without Retry-After backs off instead",
			script: func(*clock) []action { return []action{code(429)} },
			want: want{kept: 10, batches: 1, outcome: Throttled, status: 429,
				backoffMin: DefaultBackoffBase / 2, backoffMax: DefaultBackoffBase},
		},
		{
			name:   "a 500 keeps everything and backs off with jitter",
			script: func(*clock) []action { return []action{code(500)} },
			want: want{kept: 10, batches: 1, outcome: Retry, status: 500,
				backoffMin: DefaultBackoffBase / 2, backoffMax: DefaultBackoffBase},
		},
		{
			name:    "a refused connection (network down) keeps everything",
			refused: true,
			script:  func(*clock) []action { return nil },
			want: want{kept: 10, batches: 1, outcome: Retry,
				backoffMin: DefaultBackoffBase / 2, backoffMax: DefaultBackoffBase},
		},
		{
			name:    "a server slower than the deadline keeps the batch it already has",
			script:  func(*clock) []action { return []action{slow(5 * time.Second)} },
			timeout: 300 * time.Millisecond,
			want: want{kept: 10, batches: 1, outcome: Retry,
				backoffMin: DefaultBackoffBase / 2, backoffMax: DefaultBackoffBase, acceptedAtFirst: 4},
		},
		{
			name:   "a connection reset mid-body keeps the batch",
			script: func(*clock) []action { return []action{reset()} },
			want: want{kept: 10, batches: 1, outcome: Retry,
				backoffMin: DefaultBackoffBase / 2, backoffMax: DefaultBackoffBase},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := newClock()
			sp := newSpool(t, c)
			stored := fillSpool(t, sp, events, c.Now())
			srv := newOTLPServer(t, tc.script(c)...)
			endpoint := srv.URL
			if tc.refused {
				endpoint = closedPort(t)
			}
			opts := testOptions(endpoint, c)
			if tc.timeout > 0 {
				opts.AttemptTimeout = tc.timeout
			}

			start := time.Now()
			res, err := Flush(ctx, sp, opts)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("Flush: %v", err)
			}
			w := tc.want
			got := want{sent: res.Sent, kept: res.Kept, dropped: res.Dropped, batches: res.Batches,
				retryAfter: res.RetryAfter}
			if w.sent != got.sent || w.kept != got.kept || w.dropped != got.dropped || w.batches != got.batches ||
				w.retryAfter != got.retryAfter {
				t.Errorf("Result = %+v, want sent %d kept %d dropped %d batches %d retry after %v",
					res, w.sent, w.kept, w.dropped, w.batches, w.retryAfter)
			}
			var se *SendError
			switch {
			case w.outcome == 0 && res.Failure != nil:
				t.Errorf("Failure = %v, want none", res.Failure)
			case w.outcome != 0 && !errors.As(res.Failure, &se):
				t.Errorf("Failure = %v, want a *SendError", res.Failure)
			case w.outcome != 0 && (se.Outcome != w.outcome || se.StatusCode != w.status):
				t.Errorf("Failure = %v (%v, %d), want %v, %d", se, se.Outcome, se.StatusCode, w.outcome, w.status)
			}
			if tc.timeout > 0 && elapsed > tc.timeout+time.Second {
				t.Errorf("Flush took %v with an attempt deadline of %v", elapsed, tc.timeout)
			}

			// The schedule: a kept batch backs off, anything else does not.
			st, err := LoadState(StatePath(sp.Path()))
			if err != nil {
				t.Fatal(err)
			}
			now := c.Now()
			if w.backoffMax == 0 {
				if !res.NextAttempt.IsZero() || st.Failures != 0 || !st.NextAttempt.IsZero() {
					t.Errorf("after %s: next attempt %v, state %+v; want no backoff", tc.name, res.NextAttempt, st)
				}
			} else {
				d := res.NextAttempt.Sub(now)
				if d < w.backoffMin || d > w.backoffMax || !st.NextAttempt.Equal(res.NextAttempt) || st.Failures != 1 {
					t.Errorf("next attempt in %v (state %+v), want %v..%v after 1 failure", d, st, w.backoffMin, w.backoffMax)
				}
				if Due(sp, time.Minute, res.NextAttempt.Add(-time.Nanosecond)) || !Due(sp, time.Minute, res.NextAttempt) {
					t.Errorf("Due is not false just before the next attempt (%v) and true at it", res.NextAttempt)
				}
			}

			// The spool: what was kept is pending, what was dropped is gone.
			dropped := map[string]bool{}
			for _, i := range w.droppedEvents {
				dropped[stored[i].EventID] = true
			}
			all, err := sp.List(ctx, sqlitespool.ListOptions{IncludeTransmitted: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != events-w.dropped {
				t.Errorf("spool holds %d events, want %d", len(all), events-w.dropped)
			}
			for _, e := range all {
				if dropped[e.EventID] {
					t.Errorf("rejected event %d is still in the spool", e.ID)
				}
			}
			if n := len(pending(t, sp)); n != w.kept {
				t.Errorf("%d events pending, want %d", n, w.kept)
			}
			st2, _ := sp.Stats(ctx)
			if n := st2.Counters[CounterDroppedRejected]; n != int64(w.dropped) {
				t.Errorf("counter %s = %d, want %d", CounterDroppedRejected, n, w.dropped)
			}
			if n := len(srv.Delivered()); n != w.acceptedAtFirst {
				t.Errorf("server accepted %d records in the first flush, want %d", n, w.acceptedAtFirst)
			}

			// Later, a healthy server: everything kept arrives, once.
			if res.NextAttempt.IsZero() {
				c.Advance(time.Minute)
			} else {
				c.Set(res.NextAttempt.Add(time.Second))
			}
			healthy := srv
			if tc.refused {
				healthy = newOTLPServer(t)
			}
			healthy.Fallback(ok())
			opts.Endpoint = healthy.URL
			res2, err := Flush(ctx, sp, opts)
			if err != nil || res2.Failure != nil {
				t.Fatalf("second Flush = %+v, %v", res2, err)
			}
			if res2.Sent != w.kept || res2.Kept != 0 {
				t.Errorf("second Flush sent %d, kept %d; want %d, 0", res2.Sent, res2.Kept, w.kept)
			}
			if st, _ := LoadState(StatePath(sp.Path())); st.Failures != 0 || !st.NextAttempt.IsZero() {
				t.Errorf("state after a success %+v, want the backoff cleared", st)
			}
			servers := []*otlpServer{srv}
			if healthy != srv {
				servers = append(servers, healthy)
			}
			dups := checkDelivered(t, stored, dropped, servers...)
			wantDups := 0
			if tc.timeout > 0 {
				wantDups = 4 // the slow server's batch, sent again with the same ids
			}
			if dups != wantDups {
				t.Errorf("%d duplicate records, want %d", dups, wantDups)
			}
			checkRequests(t, srv, LogsPath)
			checkRequests(t, healthy, LogsPath)
		})
	}
}

// TestReplayedRecordsAreTheSpooledEvents checks one record field by field:
// the event name, time and fields with their schema types, the stable id,
// the observed time (when the event was spooled), nothing from a span, and
// the only resource allowed.
func TestReplayedRecordsAreTheSpooledEvents(t *testing.T) {
	c := newClock()
	sp := newSpool(t, c)
	stored := fillSpool(t, sp, 3, c.Now())
	srv := newOTLPServer(t)
	opts := testOptions(srv.URL+"/ingest/", c) // a base path is kept
	if _, err := Flush(context.Background(), sp, opts); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/ingest/v1/logs" {
		t.Errorf("path %s, want /ingest/v1/logs", r.Path)
	}
	if want := map[string]any{"service.name": "caro", "service.version": testVersion}; !reflect.DeepEqual(r.Resource, want) {
		t.Errorf("resource %v, want exactly %v", r.Resource, want)
	}
	if r.Scope != ScopeName {
		t.Errorf("scope %q, want %q", r.Scope, ScopeName)
	}
	for i, got := range r.Records {
		ev := stored[i]
		if got.UID != ev.EventID || got.Name != ev.Name || !got.Time.Equal(ev.Time) || !got.Observed.Equal(ev.CreatedAt) {
			t.Errorf("record %d = %s %s %v observed %v, want %s %s %v observed %v",
				i, got.UID, got.Name, got.Time, got.Observed, ev.EventID, ev.Name, ev.Time, ev.CreatedAt)
		}
		if !reflect.DeepEqual(got.Attrs, wantAttrs(ev)) {
			t.Errorf("record %d attributes %#v, want %#v", i, got.Attrs, wantAttrs(ev))
		}
		if got.Severity != 9 || len(got.TraceID) != 0 {
			t.Errorf("record %d severity %d trace %x, want INFO (9) and no trace", i, got.Severity, got.TraceID)
		}
	}
	checkRequests(t, srv, "/ingest/v1/logs")
}

// TestOTLPEnvironmentIsIgnored sets every OTEL_* variable that could
// redirect, weaken or enrich the upload; none may apply.
func TestOTLPEnvironmentIsIgnored(t *testing.T) {
	elsewhere := otlptest.Untouchable(t)
	for k, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":                 elsewhere,
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT":            elsewhere + "/v1/logs",
		"OTEL_EXPORTER_OTLP_INSECURE":                 "true",
		"OTEL_EXPORTER_OTLP_HEADERS":                  "authorization=Bearer%20secret",
		"OTEL_EXPORTER_OTLP_LOGS_HEADERS":             "x-tenant=leak",
		"OTEL_EXPORTER_OTLP_COMPRESSION":              "none",
		"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT":             "1",
		"OTEL_RESOURCE_ATTRIBUTES":                    "host.name=leak,user.name=leak",
		"OTEL_SERVICE_NAME":                           "leak",
		"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": "2",
		"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT":        "1",
	} {
		t.Setenv(k, v)
	}
	c := newClock()
	sp := newSpool(t, c)
	stored := fillSpool(t, sp, 6, c.Now())
	srv := newOTLPServer(t)
	res, err := Flush(context.Background(), sp, testOptions(srv.URL, c))
	if err != nil || res.Sent != 6 {
		t.Fatalf("Flush = %+v, %v", res, err)
	}
	for _, r := range srv.Requests() {
		for _, h := range []string{"Authorization", "X-Tenant"} {
			if v := r.Header.Get(h); v != "" {
				t.Errorf("header %s: %q leaked from the environment", h, v)
			}
		}
	}
	checkDelivered(t, stored, nil, srv) // every field, untruncated
	checkRequests(t, srv, LogsPath)
}

// TestRedirectsAreNotFollowed: telemetry goes to the configured host or
// nowhere; a redirect is a failure that keeps the batch.
func TestRedirectsAreNotFollowed(t *testing.T) {
	c := newClock()
	sp := newSpool(t, c)
	fillSpool(t, sp, 2, c.Now())
	target := otlptest.Untouchable(t)
	srv := newOTLPServer(t, code(http.StatusTemporaryRedirect, "Location", target+"/v1/logs"))
	res, err := Flush(context.Background(), sp, testOptions(srv.URL, c))
	var se *SendError
	if err != nil || !errors.As(res.Failure, &se) || se.Outcome != Retry || res.Kept != 2 {
		t.Fatalf("Flush = %+v, %v; want the batch kept for a retry", res, err)
	}
}

func TestAirGappedFlushOpensNoConnection(t *testing.T) {
	c := newClock()
	sp := newSpool(t, c)
	fillSpool(t, sp, 3, c.Now())
	opts := testOptions(otlptest.Untouchable(t), c)
	opts.AirGapped = true
	if _, err := Flush(context.Background(), sp, opts); !errors.Is(err, ErrAirGapped) {
		t.Fatalf("Flush = %v, want ErrAirGapped", err)
	}
	if err := RequestDeletion(context.Background(), []string{"0123456789abcdef"}, opts); !errors.Is(err, ErrAirGapped) {
		t.Fatalf("RequestDeletion = %v, want ErrAirGapped", err)
	}
	if n := len(pending(t, sp)); n != 3 {
		t.Errorf("%d events pending, want 3", n)
	}
}

func TestFlushOfAnEmptySpoolSendsNothing(t *testing.T) {
	c := newClock()
	sp := newSpool(t, c)
	res, err := Flush(context.Background(), sp, testOptions(otlptest.Untouchable(t), c))
	if err != nil || res != (Result{}) {
		t.Fatalf("Flush = %+v, %v; want nothing done", res, err)
	}
	st, _ := LoadState(StatePath(sp.Path()))
	if !st.LastAttempt.Equal(c.Now()) {
		t.Errorf("last attempt %v, want %v: an empty flush still counts for the schedule", st.LastAttempt, c.Now())
	}
}

// TestCancelledFlushKeepsTheBatchWithoutBackoff: ending ctx (the CLI's
// SIGTERM, say) is not a server failure.
func TestCancelledFlushKeepsTheBatchWithoutBackoff(t *testing.T) {
	c := newClock()
	sp := newSpool(t, c)
	stored := fillSpool(t, sp, 8, c.Now())
	srv := newOTLPServer(t, ok(), slow(10*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(srv.Requests()) < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	opts := testOptions(srv.URL, c)
	opts.AttemptTimeout = 20 * time.Second
	res, err := Flush(ctx, sp, opts)
	if !errors.Is(err, context.Canceled) || res.Sent != 4 {
		t.Fatalf("Flush = %+v, %v; want 4 sent, then context.Canceled", res, err)
	}
	if st, _ := LoadState(StatePath(sp.Path())); st.Failures != 0 || !st.NextAttempt.IsZero() {
		t.Errorf("state %+v, want no backoff", st)
	}
	if n := len(pending(t, sp)); n != 4 {
		t.Errorf("%d pending, want 4", n)
	}
	srv.Fallback(ok())
	if res, err := Flush(context.Background(), sp, opts); err != nil || res.Sent != 4 {
		t.Fatalf("second Flush = %+v, %v", res, err)
	}
	if dups := checkDelivered(t, stored, nil, srv); dups != 4 {
		t.Errorf("%d duplicates, want the 4 of the batch in flight", dups)
	}
}

// TestBackoffGrowsWithConsecutiveFailures: 500s in a row double the delay
// up to the cap; a success resets it.
func TestBackoffGrowsWithConsecutiveFailures(t *testing.T) {
	c := newClock()
	sp := newSpool(t, c)
	fillSpool(t, sp, 2, c.Now())
	srv := newOTLPServer(t)
	srv.Fallback(code(500))
	opts := testOptions(srv.URL, c)
	opts.BackoffBase, opts.BackoffMax = time.Minute, 10*time.Minute
	wantMax := []time.Duration{1, 2, 4, 8, 10, 10}
	for i, m := range wantMax {
		res, err := Flush(context.Background(), sp, opts)
		if err != nil {
			t.Fatal(err)
		}
		d := res.NextAttempt.Sub(c.Now())
		if lo, hi := m*time.Minute/2, m*time.Minute; d < lo || d > hi {
			t.Errorf("failure %d: next attempt in %v, want %v..%v", i+1, d, lo, hi)
		}
		if st, _ := LoadState(StatePath(sp.Path())); st.Failures != i+1 {
			t.Errorf("failure %d: state counts %d", i+1, st.Failures)
		}
		c.Set(res.NextAttempt)
	}
	srv.Fallback(ok())
	if res, err := Flush(context.Background(), sp, opts); err != nil || res.Sent != 2 || !res.NextAttempt.IsZero() {
		t.Fatalf("Flush after recovery = %+v, %v", res, err)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, endpoint := range []string{"ftp://telemetry.caro.sh", "https://", "https://user:pw@telemetry.caro.sh",
		"https://telemetry.caro.sh?x=1", "telemetry.caro.sh", "://bad"} {
		t.Run(strconv.Quote(endpoint), func(t *testing.T) {
			if _, err := (Options{Endpoint: endpoint}).settings(); err == nil {
				t.Errorf("endpoint %q accepted", endpoint)
			}
		})
	}
	for _, o := range []Options{{BatchSize: -1}, {BatchSize: MaxBatchSize + 1}, {AttemptTimeout: -1},
		{BackoffBase: time.Hour, BackoffMax: time.Minute}} {
		if _, err := o.settings(); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	s, err := Options{}.settings()
	if err != nil || s.logsURL.String() != DefaultEndpoint+LogsPath || s.BatchSize != DefaultBatchSize ||
		s.AttemptTimeout != DefaultAttemptTimeout || s.Version != DefaultVersion {
		t.Errorf("defaults = %+v, %v", s, err)
	}
}

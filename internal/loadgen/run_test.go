package loadgen

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"caro.sh/telemetry/event/pdataconv"
	"caro.sh/telemetry/internal/otlptest"
	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/upload"
)

// collector is an OTLP/HTTP logs server on 127.0.0.1 that keeps every
// request body it is sent and answers as answer says (200 by default).
type collector struct {
	t   *testing.T
	URL string

	mu       sync.Mutex
	bodies   [][]byte
	versions []string // X-Caro-Version of each body
	attempts int
	answer   func(attempt int) (status int, retryAfter string)
}

func newCollector(t *testing.T) *collector {
	c := &collector{t: t}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	c.URL = srv.URL + otlptest.LogsPath
	return c
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	for _, p := range otlptest.Problems(r, otlptest.LogsPath) {
		c.t.Errorf("request: %s", p)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		c.t.Errorf("read body: %v", err)
	}
	c.mu.Lock()
	n := c.attempts
	c.attempts++
	c.bodies = append(c.bodies, body)
	c.versions = append(c.versions, r.Header.Get("X-Caro-Version"))
	answer := c.answer
	c.mu.Unlock()
	status, retryAfter := http.StatusOK, ""
	if answer != nil {
		status, retryAfter = answer(n)
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	out, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (c *collector) received() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.bodies)
}

func decode(t *testing.T, body []byte) plog.Logs {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		t.Fatal(err)
	}
	return req.Logs()
}

func run(t *testing.T, o Options) *Summary {
	t.Helper()
	s, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hashes(bodies [][]byte) []string {
	out := make([]string, len(bodies))
	for i, b := range bodies {
		out[i] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	slices.Sort(out)
	return out
}

func TestTheCollectorReceivesValidSessionsAndTheHostileShare(t *testing.T) {
	c := newCollector(t)
	s := run(t, Options{URL: c.URL, Workers: 3, Requests: 12, Sessions: 10, Hostile: 0.1, Seed: 9, Epoch: epoch})
	if s.Requests != 12 || s.Delivered != 12 || s.Attempts != 12 || s.Status["200"] != 12 || len(s.Status) != 1 {
		t.Fatalf("summary %+v, want 12 requests answered 200", s)
	}
	bodies := c.received()
	c.mu.Lock()
	versions := slices.Clone(c.versions)
	c.mu.Unlock()
	var accepted, scrubbed, rejected, records int64
	uids := map[string]bool{}
	for i, body := range bodies {
		ld := decode(t, body)
		if ld.ResourceLogs().Len() != 1 || ld.ResourceLogs().At(0).ScopeLogs().Len() != 1 {
			t.Fatalf("%d resources, want one with one scope", ld.ResourceLogs().Len())
		}
		rl := ld.ResourceLogs().At(0)
		res := rl.Resource().Attributes().AsRaw()
		ver, _ := res[schema.ResourceServiceVersion].(string)
		if len(res) != 2 || res[schema.ResourceServiceName] != schema.ServiceName ||
			!redaction.ValidFormat(schema.FormatVersion, ver) {
			t.Fatalf("resource %v, want service.name=caro and a service.version only", res)
		}
		if versions[i] != ver {
			t.Errorf("X-Caro-Version %q for a batch of version %q", versions[i], ver)
		}
		sl := rl.ScopeLogs().At(0)
		if sl.Scope().Name() != upload.ScopeName || sl.Scope().Version() != ver {
			t.Fatalf("scope %s %s, want %s %s", sl.Scope().Name(), sl.Scope().Version(), upload.ScopeName, ver)
		}
		for i := range sl.LogRecords().Len() {
			lr := sl.LogRecords().At(i)
			records++
			if lr.SeverityNumber() != plog.SeverityNumberInfo || lr.Timestamp() == 0 {
				t.Fatalf("record %s: severity %v, time %v", lr.EventName(), lr.SeverityNumber(), lr.Timestamp())
			}
			// As the collector's caro_redaction does.
			attrs := pdataconv.AppendAttrs(nil, lr.Attributes())
			uid, _ := lr.Attributes().Get(schema.KeyRecordUID)
			uids[uid.Str()] = true
			out, reason, changed := redaction.New().ApplyChanged(lr.EventName(), attrs)
			switch {
			case reason != redaction.ReasonNone:
				rejected++
			case changed:
				scrubbed++
			default:
				accepted++
				if e, _ := schema.Lookup(lr.EventName()); len(out) != len(e.Fields) {
					t.Fatalf("a valid %s has %d of its %d fields", e.Name, len(out), len(e.Fields))
				}
			}
		}
	}
	if records != s.Events || records != 12*10*6 {
		t.Fatalf("%d records received, summary says %d sent, want %d", records, s.Events, 12*10*6)
	}
	if rejected+scrubbed != s.HostileSent || s.HostileSent != records/10 {
		t.Errorf("%d rejected and %d scrubbed, %d hostile sent, want a tenth of %d", rejected, scrubbed, s.HostileSent, records)
	}
	if rejected == 0 || scrubbed == 0 {
		t.Errorf("%d rejected, %d scrubbed: want both kinds of hostility", rejected, scrubbed)
	}
	if int64(len(uids)) < records-rejected {
		t.Errorf("%d distinct log.record.uid for %d records", len(uids), records)
	}

	// What was received is what the generator makes for the run's seed
	// and epoch, request by request.
	g, err := NewGenerator(s.Seed, s.Epoch, s.Sessions, s.Hostile)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for n := range uint64(12) {
		b, err := g.Batch(n).Body()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, b)
	}
	if !slices.Equal(hashes(bodies), hashes(want)) {
		t.Error("the bodies received are not the generator's batches 0 to 11")
	}
}

func TestASeededRunIsSentAgainByteForByte(t *testing.T) {
	first, again, other := newCollector(t), newCollector(t), newCollector(t)
	o := Options{Workers: 4, Requests: 10, Hostile: 0.05, Seed: 1234, Epoch: epoch}
	o.URL = first.URL
	run(t, o)
	o.URL, o.Workers = again.URL, 2
	run(t, o)
	if !slices.Equal(hashes(first.received()), hashes(again.received())) {
		t.Fatal("two runs of the same seed and epoch sent different bodies")
	}
	prepared := newCollector(t)
	o.URL, o.Prepare = prepared.URL, true
	if s := run(t, o); !s.Prepared || s.Events != 10*33*6 {
		t.Fatalf("a prepared run: %+v", s)
	}
	if !slices.Equal(hashes(first.received()), hashes(prepared.received())) {
		t.Fatal("a run of bodies prepared ahead sent other bodies")
	}
	o.URL, o.Seed, o.Prepare = other.URL, 1235, false
	run(t, o)
	if slices.ContainsFunc(hashes(other.received()), func(h string) bool { return slices.Contains(hashes(first.received()), h) }) {
		t.Fatal("another seed sent a body of the first run")
	}
}

func TestAnUnseededRunReportsTheSeedAndEpochThatSendItAgain(t *testing.T) {
	first, again := newCollector(t), newCollector(t)
	s := run(t, Options{URL: first.URL, Requests: 3})
	if s.Seed == 0 || s.Epoch.IsZero() {
		t.Fatalf("seed %d, epoch %v: want the drawn ones", s.Seed, s.Epoch)
	}
	// Through JSON, as a person would copy them from --json.
	var js bytes.Buffer
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	run(t, Options{URL: again.URL, Requests: 3, Seed: back.Seed, Epoch: back.Epoch})
	if !slices.Equal(hashes(first.received()), hashes(again.received())) {
		t.Fatal("the reported seed and epoch do not send the run again")
	}
}

func TestBusyAnswersAreCountedAndResentAfterRetryAfterWhenAsked(t *testing.T) {
	// Attempts 0-2 are answered 429, 3-4 503, the rest 200.
	busy := func(n int) (int, string) {
		switch {
		case n < 3:
			return http.StatusTooManyRequests, "1"
		case n < 5:
			return http.StatusServiceUnavailable, ""
		}
		return http.StatusOK, ""
	}
	for _, tc := range []struct {
		name                 string
		retries              int
		status               map[string]int64
		delivered, attempted int64
	}{
		{"without retries they are counted and the request given up", 0,
			map[string]int64{"429": 3, "503": 1}, 0, 4},
		{"with retries the requests are resent until answered 200", 6,
			map[string]int64{"429": 3, "503": 2, "200": 4}, 4, 9},
		{"a request gives up after its retries", 1,
			map[string]int64{"429": 3, "503": 2, "200": 2}, 2, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t)
			c.answer = busy
			// Retry-After: 1 would wait a second; the cap keeps tests quick.
			s := run(t, Options{URL: c.URL, Workers: 1, Requests: 4, Retries: tc.retries,
				MaxRetryWait: time.Millisecond, Seed: 1, Epoch: epoch})
			if fmt.Sprint(s.Status) != fmt.Sprint(tc.status) || s.Delivered != tc.delivered ||
				s.Attempts != tc.attempted || s.Requests != 4 || s.Retries != tc.attempted-4 {
				t.Fatalf("status %v, %d delivered, %d attempts, %d retries; want %v, %d, %d, %d",
					s.Status, s.Delivered, s.Attempts, s.Retries, tc.status, tc.delivered, tc.attempted, tc.attempted-4)
			}
			// A resend is the same body: the store deduplicates it.
			bodies := c.received()
			if tc.retries > 0 && !bytes.Equal(bodies[0], bodies[1]) {
				t.Error("a retried request was sent with another body")
			}
		})
	}
}

func TestRetryAfterIsReadAsSecondsOrADate(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, header string
		want         time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"an HTTP date", now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{"a date past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"none", "", 100 * time.Millisecond},
		{"garbage", "soon", 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseRetryAfter(tc.header, now); got != tc.want {
				t.Fatalf("%q: %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestARunAgainstNothingCountsErrorsAndADurationEndsIt(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + otlptest.LogsPath
	srv.Close() // nothing listens there now
	s := run(t, Options{URL: url, Workers: 2, Duration: 200 * time.Millisecond, Seed: 1, Epoch: epoch})
	if s.Attempts != 0 || s.Delivered != 0 || s.Status["error"] != s.Requests || s.Requests == 0 || len(s.Errors) == 0 {
		t.Fatalf("summary %+v, want every request an error", s)
	}
}

func TestPercentilesAreNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 200; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 100 * time.Millisecond}, {0.99, 198 * time.Millisecond}, {1, 200 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(lat, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p*100, got, tc.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

func TestTheTextSummarySaysHowToSendTheRunAgain(t *testing.T) {
	c := newCollector(t)
	s := run(t, Options{URL: c.URL, Requests: 2, Seed: 77, Epoch: epoch})
	var out strings.Builder
	if err := s.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--seed 77 --epoch 2026-11-26T09:00:00Z", "events/s", "requests/s", "p50", "p99", "200: 2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

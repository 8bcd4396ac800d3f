package caroreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/internal/otlptest"
	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/schema"
)

var ctx = context.Background()

const sid = "0123456789abcdef"

// start runs a receiver on a free loopback port with the given config
// changes and next consumer (a sink when nil).
func start(t *testing.T, mutate func(*Config), next consumer.Logs) (*caroReceiver, *consumertest.LogsSink) {
	t.Helper()
	return startWith(t, receivertest.NewNopSettings(otelcolcaro.Receiver.Type), mutate, next)
}

// startWith is start with the given settings (logger, meter provider).
func startWith(t *testing.T, set receiver.Settings, mutate func(*Config), next consumer.Logs) (*caroReceiver, *consumertest.LogsSink) {
	t.Helper()
	cfg := createDefaultConfig()
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	if mutate != nil {
		mutate(cfg)
	}
	sink := new(consumertest.LogsSink)
	if next == nil {
		next = sink
	}
	r, err := newReceiver(cfg, set, next)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(ctx) })
	return r, sink
}

// payloads returns the JSON of a full session, as the spool stores it.
func payloads(t *testing.T, session string, ts time.Time) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for _, rec := range plogtest.Session(session, ts, 1) {
		_, attrs := event.SplitRecordUID(rec.Attrs)
		p, err := event.Encode(rec.Name, rec.Time, attrs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func batchBody(t *testing.T, events []json.RawMessage) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"events": events,
		"batch_id": "5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b", "client_timestamp": "2026-11-26T10:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func post(t *testing.T, url, contentType string, body []byte, gzipped bool) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Caro-Version", "1.1.0")
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
	}
	return a
}

func (r *caroReceiver) url(path string) string { return "http://" + r.addr + path }

func postEvents(t *testing.T, r *caroReceiver, body []byte) answer {
	t.Helper()
	return post(t, r.url(EventsPath), "application/json", otlptest.Gzip(body), true)
}

func TestAValidBatchIsAcceptedWholeWithStableIDs(t *testing.T) {
	r, sink := start(t, nil, nil)
	body := batchBody(t, payloads(t, sid, time.Now().UTC()))
	a := postEvents(t, r, body)
	if a.status != 200 || a.body["accepted"] != 6.0 || a.body["rejected"] != 0.0 {
		t.Fatalf("answer %d %v, want 200 accepted 6 rejected 0", a.status, a.body)
	}
	// The same batch again: the same records, ids included, so that the
	// store keeps one copy.
	postEvents(t, r, body)
	all := sink.AllLogs()
	if len(all) != 2 {
		t.Fatalf("%d batches reached the pipeline", len(all))
	}
	first, second := records(all[0]), records(all[1])
	for i := range first {
		u1, _ := first[i].Attributes().Get(schema.KeyRecordUID)
		u2, _ := second[i].Attributes().Get(schema.KeyRecordUID)
		if u1.Str() == "" || u1.Str() != u2.Str() {
			t.Errorf("record %d ids %q and %q", i, u1.Str(), u2.Str())
		}
	}
	res := all[0].ResourceLogs().At(0).Resource().Attributes().AsRaw()
	if len(res) != 2 || res["service.name"] != "caro" || res["service.version"] != "1.1.0" {
		t.Errorf("resource %v", res)
	}
}

func records(ld plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range lrs.Len() {
		out = append(out, lrs.At(i))
	}
	return out
}

func TestABatchWithSomeInvalidEventsCountsBoth(t *testing.T) {
	r, sink := start(t, nil, nil)
	evs := payloads(t, sid, time.Now().UTC())[:3]
	evs = append(evs,
		json.RawMessage(`{"event":"session.start","timestamp":"2026-11-26T10:00:00Z","session_id":"/home/alice/.ssh"}`),
		json.RawMessage(`{"event":"shell.history","timestamp":"2026-11-26T10:00:00Z"}`),
		json.RawMessage(`"not an object"`),
	)
	a := postEvents(t, r, batchBody(t, evs))
	if a.status != 200 || a.body["accepted"] != 3.0 || a.body["rejected"] != 3.0 {
		t.Fatalf("answer %d %v, want 200 accepted 3 rejected 3", a.status, a.body)
	}
	if n := sink.LogRecordCount(); n != 3 {
		t.Errorf("%d records reached the pipeline, want 3", n)
	}
}

func TestABatchWithNoValidEventIsRefusedWithDetails(t *testing.T) {
	r, sink := start(t, nil, nil)
	evs := []json.RawMessage{
		json.RawMessage(`{"event":"session.start","timestamp":"2026-11-26T10:00:00Z","session_id":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"}`),
		json.RawMessage(`{"event":"nope","timestamp":"2026-11-26T10:00:00Z"}`),
	}
	a := postEvents(t, r, batchBody(t, evs))
	if a.status != 400 || a.body["error"] != "validation_failed" {
		t.Fatalf("answer %d %v", a.status, a.body)
	}
	details, _ := a.body["details"].([]any)
	if len(details) != 2 {
		t.Fatalf("details %v", a.body["details"])
	}
	d0 := details[0].(map[string]any)
	if d0["reason"] != "secret" || d0["event"] != "session.start" || d0["index"] != 0.0 {
		t.Errorf("first detail %v", d0)
	}
	if strings.Contains(fmt.Sprint(a.body), "ghp_") || strings.Contains(fmt.Sprint(a.body), "nope") {
		t.Error("the answer echoes a value the client sent")
	}
	if sink.LogRecordCount() != 0 {
		t.Error("records reached the pipeline")
	}
}

func TestMalformedBodiesAreRefused(t *testing.T) {
	r, sink := start(t, nil, nil)
	valid := batchBody(t, payloads(t, sid, time.Now().UTC()))
	for _, tc := range []struct {
		name        string
		contentType string
		body        []byte
		gzipped     bool
		want        int
	}{
		{"text that is not JSON", "application/json", otlptest.Gzip([]byte("hello")), true, 400},
		{"a JSON array", "application/json", otlptest.Gzip([]byte("[1,2]")), true, 400},
		{"a batch without batch_id", "application/json", otlptest.Gzip([]byte(`{"events":[],"client_timestamp":"2026-11-26T10:00:00Z"}`)), true, 400},
		{"a batch with an unknown member", "application/json", otlptest.Gzip([]byte(`{"events":[],"batch_id":"5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b","client_timestamp":"2026-11-26T10:00:00Z","host":"x"}`)), true, 400},
		{"a bad client_timestamp", "application/json", otlptest.Gzip([]byte(`{"events":[],"batch_id":"5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b","client_timestamp":"today"}`)), true, 400},
		{"a body that says gzip but is not", "application/json", []byte("not gzip at all"), true, 400},
		{"another content type", "text/plain", otlptest.Gzip(valid), true, 400},
		{"a plain (not gzipped) valid batch", "application/json", valid, false, 200},
	} {
		t.Run(tc.name+" is answered "+fmt.Sprint(tc.want), func(t *testing.T) {
			a := post(t, r.url(EventsPath), tc.contentType, tc.body, tc.gzipped)
			if a.status != tc.want {
				t.Fatalf("answer %d %v, want %d", a.status, a.body, tc.want)
			}
			if tc.want == 400 && a.body["error"] != "validation_failed" {
				t.Errorf("error %v", a.body["error"])
			}
		})
	}
	if n := sink.LogRecordCount(); n != 6 {
		t.Errorf("%d records reached the pipeline, want the 6 of the valid batch", n)
	}
}

func TestTooManyEventsAndOversizedBodiesAreRefused(t *testing.T) {
	r, _ := start(t, func(c *Config) {
		c.MaxEventsPerBatch = 5
		c.MaxRequestBodySize = 64 << 10
	}, nil)
	a := postEvents(t, r, batchBody(t, payloads(t, sid, time.Now().UTC())))
	if a.status != 400 {
		t.Errorf("6 events with a limit of 5: %d %v", a.status, a.body)
	}
	big := bytes.Repeat([]byte(" "), 100<<10) // whitespace is valid JSON padding
	a = post(t, r.url(EventsPath), "application/json", append(big, batchBody(t, nil)...), false)
	if a.status != 413 {
		t.Errorf("a 100 KB body with a 64 KB limit: %d %v", a.status, a.body)
	}
	// A gzip bomb: 64 KB of limit, 50 MB inflated, a few KB sent.
	bomb := otlptest.Gzip(append(bytes.Repeat([]byte(" "), 50<<20), batchBody(t, nil)...))
	if len(bomb) > 64<<10 {
		t.Fatalf("the bomb is %d bytes compressed", len(bomb))
	}
	a = post(t, r.url(EventsPath), "application/json", bomb, true)
	if a.status != 413 && a.status != 400 {
		t.Errorf("a gzip bomb: %d %v", a.status, a.body)
	}
	// Still answering.
	if a := postEvents(t, r, batchBody(t, payloads(t, sid, time.Now().UTC())[:2])); a.status != 200 {
		t.Errorf("after the bomb: %d %v", a.status, a.body)
	}
}

func TestAFloodBeyondTheRateLimitGets429WithRetryAfter(t *testing.T) {
	r, _ := start(t, func(c *Config) { c.RateLimit = RateLimitConfig{RequestsPerMinute: 6, Burst: 3, MaxClients: 10} }, nil)
	body := batchBody(t, payloads(t, sid, time.Now().UTC())[:1])
	var statuses []int
	var last answer
	for range 10 {
		last = postEvents(t, r, body)
		statuses = append(statuses, last.status)
	}
	if fmt.Sprint(statuses[:3]) != "[200 200 200]" {
		t.Fatalf("statuses %v, want the burst of 3 accepted", statuses)
	}
	for _, s := range statuses[3:] {
		if s != 429 {
			t.Fatalf("statuses %v, want 429 after the burst", statuses)
		}
	}
	ra, ok := last.body["retry_after"].(float64)
	if !ok || ra < 1 || ra > 10 {
		t.Errorf("retry_after %v, want about 10 s (6 a minute)", last.body["retry_after"])
	}
	if last.header.Get("Retry-After") != fmt.Sprint(int(ra)) {
		t.Errorf("Retry-After header %q, body %v", last.header.Get("Retry-After"), ra)
	}
}

func TestAPipelineFailureIsTheSpecs500(t *testing.T) {
	failing := consumertest.NewErr(errors.New("disk full"))
	r, _ := start(t, nil, failing)
	a := postEvents(t, r, batchBody(t, payloads(t, sid, time.Now().UTC())))
	if a.status != 500 || a.body["error"] != "internal" || len(a.body) != 1 {
		t.Fatalf("answer %d %v, want 500 {error: internal}", a.status, a.body)
	}
	permanent := consumertest.NewErr(consumererror.NewPermanent(errors.New("refused")))
	r2, _ := start(t, nil, permanent)
	if a := postEvents(t, r2, batchBody(t, payloads(t, sid, time.Now().UTC()))); a.status != 400 {
		t.Fatalf("answer %d %v, want 400 for a permanent error", a.status, a.body)
	}
}

// TestAStoreAwayForAMomentIs503WithRetryAfter: the store exporter marks
// its failures Unavailable with a retry delay; the client is told to keep
// the batch and when to come back.
func TestAStoreAwayForAMomentIs503WithRetryAfter(t *testing.T) {
	st, err := status.New(codes.Unavailable, "database restarting").WithDetails(
		&errdetails.RetryInfo{RetryDelay: durationpb.New(3 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := start(t, nil, consumertest.NewErr(fmt.Errorf("store: %w", st.Err())))
	a := postEvents(t, r, batchBody(t, payloads(t, sid, time.Now().UTC())))
	if a.status != 503 || a.body["error"] != "unavailable" || a.body["retry_after"] != 3.0 || a.header.Get("Retry-After") != "3" {
		t.Fatalf("answer %d %v (Retry-After %q), want 503 {error: unavailable, retry_after: 3}",
			a.status, a.body, a.header.Get("Retry-After"))
	}
}

func TestOnlyPOSTIsServed(t *testing.T) {
	r, _ := start(t, nil, nil)
	resp, err := http.Get(r.url(EventsPath))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

// exportFile returns an export of a full session as caro writes it.
func exportFile(t *testing.T, session string) []byte {
	t.Helper()
	env, err := exportfile.Build(payloads(t, session, time.Now().UTC()), "1.1.0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := exportfile.Write(&buf, env); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tamper returns the file with one byte of its events changed, gzipped
// again so that only the checksum can tell.
func tamper(t *testing.T, file []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	i := bytes.Index(raw, []byte(`"inference_time_ms": 1823`))
	if i < 0 {
		t.Fatalf("no inference_time_ms in %s", raw)
	}
	raw[i+len(`"inference_time_ms": 1`)] = '9' // 1823 -> 1923
	return otlptest.Gzip(raw)
}

func TestAnUploadedExportIsIngestedAndATamperedOneRejected(t *testing.T) {
	r, sink := start(t, nil, nil)
	file := exportFile(t, sid)
	for _, path := range []string{UploadPath, ExportsPath} {
		a := post(t, r.url(path), "application/gzip", file, false)
		if a.status != 200 || a.body["accepted"] != 6.0 || a.body["event_count"] != 6.0 {
			t.Fatalf("%s: %d %v", path, a.status, a.body)
		}
	}
	a := post(t, r.url(UploadPath), "application/gzip", tamper(t, file), false)
	if a.status != 400 || a.body["error"] != "invalid_export" || !strings.Contains(fmt.Sprint(a.body["message"]), "checksum") {
		t.Fatalf("tampered: %d %v", a.status, a.body)
	}
	a = post(t, r.url(UploadPath), "application/gzip", []byte("not a gzip file"), false)
	if a.status != 400 || a.body["error"] != "invalid_export" {
		t.Fatalf("not gzip: %d %v", a.status, a.body)
	}
	if n := sink.LogRecordCount(); n != 12 {
		t.Errorf("%d records, want 12 (the file twice)", n)
	}
	// The same file twice made the same ids.
	all := sink.AllLogs()
	u1, _ := records(all[0])[0].Attributes().Get(schema.KeyRecordUID)
	u2, _ := records(all[1])[0].Attributes().Get(schema.KeyRecordUID)
	if u1.Str() != u2.Str() {
		t.Errorf("ids %s and %s", u1.Str(), u2.Str())
	}
}

func TestTheDropFolderIngestsGoodFilesAndSetsBadOnesAside(t *testing.T) {
	dir := t.TempDir()
	file := exportFile(t, sid)
	for name, b := range map[string][]byte{
		"a.json.gz":         file,
		"b.json.gz":         tamper(t, file),
		".c.json.gz":        file, // being copied
		"notes.txt":         []byte("hello"),
		"d-empty.json.gz":   nil,
		"e-other.json.gz":   exportFile(t, "fedcba9876543210"),
		"f-garbage.json.gz": []byte("\x1f\x8b garbage"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, sink := start(t, func(c *Config) {
		c.Exports.DropFolder = dir
		c.Exports.PollInterval = time.Hour // the first scan runs at start
		c.Exports.SettleTime = 0
	}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for sink.LogRecordCount() < 12 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	_ = r.Shutdown(ctx) // waits for the scan to finish
	if n := sink.LogRecordCount(); n != 12 {
		t.Fatalf("%d records, want 12", n)
	}
	for _, want := range []string{
		"processed/a.json.gz", "processed/e-other.json.gz",
		"rejected/b.json.gz", "rejected/b.json.gz.error.txt",
		"rejected/d-empty.json.gz", "rejected/f-garbage.json.gz",
		".c.json.gz", "notes.txt",
	} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("%s: %v", want, err)
		}
	}
	note, _ := os.ReadFile(filepath.Join(dir, "rejected", "b.json.gz.error.txt"))
	if !strings.Contains(string(note), "checksum") {
		t.Errorf("note %q does not say checksum", note)
	}
}

func TestAFileStillBeingWrittenIsLeftForTheNextScan(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fresh.json.gz"), exportFile(t, sid)[:40], 0o600); err != nil {
		t.Fatal(err)
	}
	r, sink := start(t, func(c *Config) {
		c.Exports.DropFolder = dir
		c.Exports.PollInterval = time.Hour
		c.Exports.SettleTime = time.Hour
	}, nil)
	_ = r.Shutdown(ctx)
	if sink.LogRecordCount() != 0 {
		t.Error("records from a file being written")
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh.json.gz")); err != nil {
		t.Errorf("the half-written file was moved: %v", err)
	}
}

package collector

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/internal/otlptest"
	"caro.sh/telemetry/schema"
)

// postBatch sends a /v1/events batch as the spec describes it: gzipped
// JSON with X-Caro-Version.
func postBatch(t *testing.T, col *collector, events []json.RawMessage) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"events": events, "batch_id": "5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b",
		"client_timestamp": time.Now().UTC().Format(time.RFC3339)})
	return postRaw(t, col, otlptest.Gzip(body))
}

func postRaw(t *testing.T, col *collector, gz []byte) (int, map[string]any) {
	t.Helper()
	status, answer := post(t, "http://"+col.events+"/v1/events", map[string]string{
		"Content-Type": "application/json", "Content-Encoding": "gzip", "X-Caro-Version": "1.1.0"}, gz)
	var m map[string]any
	if err := json.Unmarshal([]byte(answer), &m); err != nil {
		t.Fatalf("answer %d is not JSON: %q", status, answer)
	}
	return status, m
}

// TestTheEventsEndpointAnswersAsTheSpecSays runs the spec's Endpoint
// Specification against the binary.
func TestTheEventsEndpointAnswersAsTheSpecSays(t *testing.T) {
	col := startCollector(t, "local.yaml")
	c, sp := recorded(t, 2)
	evs := c.payloads(t, sp)

	t.Run("a valid batch is accepted", func(t *testing.T) {
		status, m := postBatch(t, col, evs[:6])
		if status != 200 || m["accepted"] != 6.0 || m["rejected"] != 0.0 || len(m) != 2 {
			t.Fatalf("%d %v, want 200 {accepted: 6, rejected: 0}", status, m)
		}
	})
	t.Run("a batch with some invalid events counts both", func(t *testing.T) {
		bad := []json.RawMessage{
			json.RawMessage(`{"event":"session.start","timestamp":"2026-11-26T10:00:00Z","session_id":"~/secrets"}`),
			json.RawMessage(`{"event":"command.generated","timestamp":"2026-11-26T10:00:00Z","model_name":"x","prompt":"hi"}`),
			json.RawMessage(`{"oops":true}`),
		}
		status, m := postBatch(t, col, append(append([]json.RawMessage{}, evs[6:]...), bad...))
		if status != 200 || m["accepted"] != 6.0 || m["rejected"] != 3.0 {
			t.Fatalf("%d %v, want 200 {accepted: 6, rejected: 3}", status, m)
		}
	})
	t.Run("a malformed body is a 400 validation_failed", func(t *testing.T) {
		status, m := postRaw(t, col, otlptest.Gzip([]byte(`{"events": [`)))
		if status != 400 || m["error"] != "validation_failed" || m["details"] == nil {
			t.Fatalf("%d %v", status, m)
		}
	})
	t.Run("the same batch again is stored once", func(t *testing.T) {
		postBatch(t, col, evs[:6])
		if n := len(col.rows(t)); n != 12 {
			t.Fatalf("%d events stored, want 12", n)
		}
	})
	// The stored events are the client's, field for field.
	want := map[string]bool{}
	for _, e := range evs {
		want[string(e)] = true
	}
	for _, r := range col.rows(t) {
		if !want[r.payload] {
			t.Errorf("stored %s, which the client did not send", r.payload)
		}
	}
}

func TestAFloodBeyondTheRateLimitIsAnswered429(t *testing.T) {
	col := startCollector(t, "local.yaml", "CARO_RATE_PER_MINUTE=6", "CARO_RATE_BURST=3")
	c, sp := recorded(t, 1)
	evs := c.payloads(t, sp)
	var statuses []int
	var last map[string]any
	for range 8 {
		status, m := postBatch(t, col, evs[:1])
		statuses = append(statuses, status)
		last = m
	}
	for i, s := range statuses {
		if (i < 3 && s != 200) || (i >= 3 && s != 429) {
			t.Fatalf("statuses %v, want 3 × 200 then 429", statuses)
		}
	}
	if ra, ok := last["retry_after"].(float64); !ok || ra < 1 || ra > 10 || len(last) != 1 {
		t.Errorf("429 body %v, want {retry_after: S} with S about 10", last)
	}
	col.alive(t)
}

// TestAnAirGappedExportRoundTrips: the export file of a caro that never
// uploads, carried to the collector, ends as the same events in its store;
// the same file with one byte changed is refused.
func TestAnAirGappedExportRoundTrips(t *testing.T) {
	col := startCollector(t, "local.yaml")
	c, sp := recorded(t, 3)
	evs := c.payloads(t, sp)
	env, err := exportfile.Build(evs, "1.1.0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := exportfile.Write(&file, env); err != nil {
		t.Fatal(err)
	}

	// One byte changed inside the events: the checksum no longer matches.
	raw := gunzip(t, file.Bytes())
	i := bytes.Index(raw, []byte(`"linux"`))
	if i < 0 {
		t.Fatal("no platform.os in the export")
	}
	tampered := bytes.Clone(raw)
	tampered[i+1] = 'L'
	status, answer := post(t, "http://"+col.events+"/telemetry/upload",
		map[string]string{"Content-Type": "application/gzip"}, otlptest.Gzip(tampered))
	if status != 400 || !strings.Contains(answer, "invalid_export") || !strings.Contains(answer, "checksum") {
		t.Fatalf("tampered file: %d %s", status, answer)
	}
	// One byte of the file as it is on disk: gzip's CRC (or the inflate)
	// fails, whichever byte it is.
	for _, at := range []int{10, file.Len() / 2, file.Len() - 5} {
		flipped := bytes.Clone(file.Bytes())
		flipped[at] ^= 0x01
		status, answer := post(t, "http://"+col.events+"/telemetry/upload",
			map[string]string{"Content-Type": "application/gzip"}, flipped)
		if status != 400 || !strings.Contains(answer, "invalid_export") {
			t.Errorf("byte %d flipped: %d %s", at, status, answer)
		}
	}
	if n := len(col.rows(t)); n != 0 {
		t.Fatalf("%d events stored from a tampered file", n)
	}

	status, answer = post(t, "http://"+col.events+"/telemetry/upload",
		map[string]string{"Content-Type": "application/gzip"}, file.Bytes())
	if status != 200 || !strings.Contains(answer, `"accepted":18`) {
		t.Fatalf("export upload: %d %s", status, answer)
	}
	rows := col.rows(t)
	if len(rows) != len(evs) {
		t.Fatalf("%d stored, want %d", len(rows), len(evs))
	}
	for i, r := range rows {
		if r.payload != string(evs[i]) {
			t.Errorf("event %d:\nstored   %s\nexported %s", i, r.payload, evs[i])
		}
	}
	// Uploaded twice: stored once.
	post(t, "http://"+col.events+"/telemetry/upload", map[string]string{"Content-Type": "application/gzip"}, file.Bytes())
	if n := len(col.rows(t)); n != len(evs) {
		t.Errorf("%d stored after a second upload, want %d", n, len(evs))
	}
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.name]++
	}
	if counts[schema.EventSessionStart] != 3 {
		t.Errorf("counts %v", counts)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

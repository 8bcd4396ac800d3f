package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
	"caro.sh/telemetry/upload"
)

// TestCaroSessionsArriveExactlyOnce: sessions recorded by the SDK, flushed
// by upload over OTLP/HTTP, through caro_redaction into the sqlitespool
// store: every event once, with the id and the fields it had on the
// device, even when every batch is delivered twice.
func TestCaroSessionsArriveExactlyOnce(t *testing.T) {
	col := startCollector(t, "local.yaml")
	c, sp := recorded(t, 8)
	want := c.events(t, sp)
	if len(want) != 48 {
		t.Fatalf("the client spooled %d events, want 48", len(want))
	}

	res := flush(t, sp, col, 7) // 7 batches of at most 7
	if res.Sent != 48 || res.Kept != 0 || res.Batches != 7 {
		t.Fatalf("flush %+v, want 48 sent in 7 batches", res)
	}
	// Every batch again, as after a crash between delivery and marking.
	if _, err := sqlDB(t, c.dirs.SpoolFile()).Exec("UPDATE events SET transmitted_at = NULL"); err != nil {
		t.Fatal(err)
	}
	if res := flush(t, sp, col, 5); res.Sent != 48 {
		t.Fatalf("second flush %+v", res)
	}

	rows := col.rows(t)
	got := map[string]string{}
	for _, r := range rows {
		if _, dup := got[r.id]; dup {
			t.Errorf("event %s stored twice", r.id)
		}
		got[r.id] = r.payload
	}
	if len(rows) != len(want) {
		t.Errorf("the store holds %d events, want %d", len(rows), len(want))
	}
	for id, p := range want {
		if got[id] != p {
			t.Errorf("event %s:\nstored %s\nsent   %s", id, got[id], p)
		}
	}
	// Only allowlisted fields: each stored payload decodes to exactly its
	// schema fields (DecodePayload drops any other key, so compare sizes).
	for _, r := range rows {
		name, ts, attrs, err := event.Decode([]byte(r.payload))
		if err != nil {
			t.Fatalf("stored payload %s: %v", r.payload, err)
		}
		again, _ := event.Encode(name, ts, attrs)
		if string(again) != r.payload {
			t.Errorf("stored payload has keys outside the schema: %s", r.payload)
		}
	}
	if d := col.metric(t, "otelcol_caro_sqlitespool_events", `outcome="duplicate"`); d != 48 {
		t.Errorf("duplicates counted %v, want 48", d)
	}
	if a := col.metric(t, "otelcol_caro_redaction_records", `outcome="accepted"`); a != 96 {
		t.Errorf("redaction accepted %v records, want 96", a)
	}
	col.alive(t)
}

// TestAHandMadeOTLPRequestIsScrubbedOrRejected: a client that is not Caro
// sends extra attributes, host.name, a path and a token.
func TestAHandMadeOTLPRequestIsScrubbedOrRejected(t *testing.T) {
	col := startCollector(t, "local.yaml")
	const sid = "0123456789abcdef"
	now := time.Now().UTC().Truncate(time.Millisecond)
	ld := plogtest.Logs(
		plogtest.Record{Name: schema.EventSessionStart, Time: now, Attrs: append(plogtest.ValidAttrs(schema.EventSessionStart, sid),
			schema.Attr{Key: "host.name", Value: schema.String("alices-macbook")},
			schema.Attr{Key: "prompt", Value: schema.String("find my tax returns")},
			schema.Attr{Key: "cwd", Value: schema.String("/home/alice/taxes")})},
		plogtest.Record{Name: schema.EventSessionStart, Time: now, Attrs: plogtest.With(
			plogtest.ValidAttrs(schema.EventSessionStart, sid), "caro_version", schema.String("/Users/alice/bin/caro"))},
		plogtest.Record{Name: schema.EventCommandGenerated, Time: now, Attrs: plogtest.With(
			plogtest.ValidAttrs(schema.EventCommandGenerated, sid), "model_name",
			schema.String("sk-proj-abcdefghijklmnopqrstuvwxyz012345"))},
	)
	rl := ld.ResourceLogs().At(0)
	rl.Resource().Attributes().PutStr("host.name", "alices-macbook")
	rl.Resource().Attributes().PutStr("user.name", "alice")
	rl.ScopeLogs().At(0).LogRecords().At(0).Body().SetStr("rm -rf /home/alice")
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	status, answer := post(t, "http://"+col.otlp+"/v1/logs", map[string]string{"Content-Type": "application/x-protobuf"}, body)
	if status != 200 {
		t.Fatalf("OTLP answer %d %s", status, answer)
	}
	rows := col.rows(t)
	if len(rows) != 1 || rows[0].name != schema.EventSessionStart {
		t.Fatalf("stored %+v, want only the scrubbed session.start", rows)
	}
	for _, s := range []string{"alice", "taxes", "prompt", "host", "sk-proj", "rm -rf"} {
		if strings.Contains(rows[0].payload, s) {
			t.Errorf("stored payload contains %q: %s", s, rows[0].payload)
		}
	}
	// Nothing of it anywhere in the store's files either.
	col.stop(t)
	for _, f := range []string{col.store, col.store + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range []string{"alice", "taxes", "sk-proj", "rm -rf"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains %q", f, s)
			}
		}
	}
}

// TestRejectionsAreReportedByReasonInTheCollectorsTelemetry.
func TestRejectionsAreReportedByReasonInTheCollectorsTelemetry(t *testing.T) {
	col := startCollector(t, "local.yaml")
	now := time.Now().UTC()
	ld := plogtest.Logs(
		plogtest.Record{Name: schema.EventSessionStart, Time: now, Attrs: plogtest.With(
			plogtest.ValidAttrs(schema.EventSessionStart, "0123456789abcdef"), "caro_version", schema.String("/home/alice"))},
		plogtest.Record{Name: "made.up", Time: now},
	)
	body, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if status, answer := post(t, "http://"+col.otlp+"/v1/logs",
		map[string]string{"Content-Type": "application/x-protobuf"}, body); status != 200 {
		t.Fatalf("%d %s", status, answer)
	}
	for _, reason := range []string{"path", "unknown_event"} {
		if n := col.metric(t, "otelcol_caro_redaction_records", `outcome="rejected"`, `reason="`+reason+`"`); n != 1 {
			t.Errorf("rejected for %s: %v, want 1", reason, n)
		}
	}
}

// TestHostileRequestsAreRefusedAndTheCollectorCarriesOn: malformed OTLP,
// a gzip bomb and an oversized body, each followed by a valid request.
func TestHostileRequestsAreRefusedAndTheCollectorCarriesOn(t *testing.T) {
	col := startCollector(t, "local.yaml")
	logs := "http://" + col.otlp + "/v1/logs"
	proto := map[string]string{"Content-Type": "application/x-protobuf"}
	n := 0
	valid := func(t *testing.T) {
		t.Helper()
		n++
		ld := plogtest.Logs(plogtest.Session("0123456789abcdef", time.Now().UTC(), 100*n)...)
		body, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		if status, answer := post(t, logs, proto, body); status != 200 {
			t.Fatalf("the valid request after it: %d %s\n%s", status, answer, col.out.String())
		}
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 200<<20)) // 200 MiB of zeros, about 200 KB compressed
	zw.Close()
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   []byte
		want   []int
	}{
		{"malformed protobuf", proto, []byte("\xff\xff\xff\xff this is not OTLP"), []int{400}},
		{"malformed JSON", map[string]string{"Content-Type": "application/json"}, []byte(`{"resourceLogs":[{`), []int{400}},
		{"a gzip bomb", map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
			bomb.Bytes(), []int{400, 413}},
		{"an oversized body", proto, bytes.Repeat([]byte{0x0a, 0x00}, 3<<20), []int{400, 413}},
		{"an unsupported encoding", map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "br2"},
			[]byte("x"), []int{400, 415}},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			status, answer := post(t, logs, tc.header, tc.body)
			ok := false
			for _, w := range tc.want {
				ok = ok || status == w
			}
			if !ok {
				t.Errorf("answer %d %s, want one of %v", status, answer, tc.want)
			}
			col.alive(t)
			valid(t)
		})
	}
	if got := len(col.rows(t)); got != 6*n {
		t.Errorf("%d events stored, want %d", got, 6*n)
	}
}

// TestADeletionRequestErasesTheDevicesSessions: `caro telemetry
// delete-remote` through upload.RequestDeletion.
func TestADeletionRequestErasesTheDevicesSessions(t *testing.T) {
	col := startCollector(t, "local.yaml")
	c, sp := recorded(t, 3) // machine-0, machine-1, machine-2
	flush(t, sp, col, 100)
	if n := len(col.rows(t)); n != 18 {
		t.Fatalf("%d stored", n)
	}
	now := time.Now()
	ids := sdk.SessionIDsSince("machine-1", now.Add(-180*24*time.Hour), now)
	err := upload.RequestDeletion(context.Background(), ids, upload.Options{Endpoint: "http://" + col.otlp, Version: "1.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	gone := sdk.SessionID("machine-1", now)
	counts := map[string]int{}
	for _, r := range col.rows(t) {
		var p map[string]any
		if err := json.Unmarshal([]byte(r.payload), &p); err != nil {
			t.Fatal(err)
		}
		if p["session_id"] == gone {
			t.Errorf("an event of the deleted session is still stored: %s", r.payload)
		}
		counts[r.name]++
	}
	if counts[schema.EventDeletionRequest] != 1 || len(col.rows(t)) != 13 {
		t.Errorf("stored %v, want the 12 events of the two other sessions and the request", counts)
	}
	// The device's batch sent again (a retry): refused, not stored again.
	if _, err := sqlDB(t, c.dirs.SpoolFile()).Exec("UPDATE events SET transmitted_at = NULL"); err != nil {
		t.Fatal(err)
	}
	flush(t, sp, col, 100)
	if n := len(col.rows(t)); n != 13 {
		t.Errorf("%d stored after the retry, want 13", n)
	}
}

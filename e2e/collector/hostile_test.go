package collector

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/protobuf/encoding/protowire"

	"caro.sh/telemetry/internal/otlptest"
	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/schema"
)

// deepOTLP is an OTLP/HTTP protobuf request whose one record has an
// attribute nested depth kvlists deep, written by hand (a builder that
// recursed would be as deep as the parser under test) from the inside
// out: each level's headers are prepended, into a buffer kept reversed.
func deepOTLP(depth int) []byte {
	var rev []byte // the message, last byte first
	prepend := func(b []byte) {
		for i := len(b) - 1; i >= 0; i-- {
			rev = append(rev, b[i])
		}
	}
	header := func(field protowire.Number, n int) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, field, protowire.BytesType), uint64(n))
	}
	key := func(k string) []byte {
		return protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), k)
	}
	// AnyValue{kvlist_value(6): KeyValueList{values(1): KeyValue{key(1), value(2): AnyValue}}}
	for range depth {
		prepend(header(2, len(rev)))
		prepend(key("k"))
		prepend(header(1, len(rev)))
		prepend(header(6, len(rev)))
	}
	prepend(header(2, len(rev))) // KeyValue.value
	prepend(key("session_id"))
	prepend(header(6, len(rev))) // LogRecord.attributes
	name := protowire.AppendString(protowire.AppendTag(nil, 12, protowire.BytesType), schema.EventSessionStart)
	prepend(name)                // LogRecord.event_name
	prepend(header(2, len(rev))) // ScopeLogs.log_records
	prepend(header(2, len(rev))) // ResourceLogs.scope_logs
	prepend(header(1, len(rev))) // ExportLogsServiceRequest.resource_logs
	out := make([]byte, len(rev))
	for i, b := range rev {
		out[len(rev)-1-i] = b
	}
	return out
}

// deepJSON is a JSON value nested depth arrays deep.
func deepJSON(depth int) string { return strings.Repeat("[", depth) + strings.Repeat("]", depth) }

// manyAttrsOTLP is a valid session.start carrying n more attributes.
func manyAttrsOTLP(n int) []byte {
	attrs := plogtest.ValidAttrs(schema.EventSessionStart, "0123456789abcdef")
	for i := range n {
		attrs = append(attrs, schema.Attr{Key: fmt.Sprintf("attr.%05d", i), Value: schema.String("x")})
	}
	ld := plogtest.Logs(plogtest.Record{Name: schema.EventSessionStart, Time: time.Now().UTC(), Attrs: attrs})
	b, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	return b
}

// invalidUTF8OTLP is a valid session.start whose caro_version holds bytes
// that are not UTF-8.
func invalidUTF8OTLP() []byte {
	ld := plogtest.Logs(plogtest.Record{Name: schema.EventSessionStart, Time: time.Now().UTC(), Attrs: plogtest.With(
		plogtest.ValidAttrs(schema.EventSessionStart, "0123456789abcdef"), "caro_version", schema.String("1.\xff\xfe.0"))})
	b, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	return b
}

// eventsJSON is a /v1/events batch around the raw events.
func eventsJSON(events ...string) []byte {
	return []byte(`{"batch_id":"5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b","client_timestamp":"` +
		time.Now().UTC().Format(time.RFC3339) + `","events":[` + strings.Join(events, ",") + `]}`)
}

// sessionStartJSON is a valid session.start of the spec's JSON form, with
// extra fields spliced in.
func sessionStartJSON(extra string) string {
	return `{"event":"session.start","timestamp":"` + time.Now().UTC().Format("2006-01-02T15:04:05.000Z") +
		`","session_id":"0123456789abcdef","caro_version":"1.1.0","platform":{"os":"linux","arch":"x86_64","shell":"bash"}` +
		`,"backend_config":{"primary":"static","fallback_enabled":false},"safety_level":"moderate","output_format":"plain"` +
		`,"is_first_run":false,"config_source":"default"` + extra + `}`
}

// TestHostileBodiesGetA4xxWithAReasonAndTheCollectorCarriesOn: what a
// broken or malicious client sends to either receiver: ten thousand
// attributes, nesting a hundred thousand deep, bytes that are not UTF-8, a
// wrong content type, a gzip body cut short. Each is answered 4xx with a
// reason in the body (or, for OTLP whose records are only partly
// acceptable, 200 with the offending parts scrubbed: the OTLP
// specification's partial success), nothing hostile is stored, and the
// process serves the next valid request. The malformed, oversized and
// gzip-bomb bodies are TestHostileRequestsAreRefusedAndTheCollectorCarriesOn's.
func TestHostileBodiesGetA4xxWithAReasonAndTheCollectorCarriesOn(t *testing.T) {
	col := startCollector(t, "local.yaml", "CARO_RATE_PER_MINUTE=6000", "CARO_RATE_BURST=1000")
	logs, events := "http://"+col.otlp+"/v1/logs", "http://"+col.events+"/v1/events"
	proto := map[string]string{"Content-Type": "application/x-protobuf"}
	jsonCT := map[string]string{"Content-Type": "application/json"}
	gz := func(h map[string]string) map[string]string {
		out := map[string]string{"Content-Encoding": "gzip"}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	validOTLP, _ := plogotlp.NewExportRequestFromLogs(plogtest.Logs(plogtest.Session("fedcba9876543210", time.Now().UTC(), 7)...)).MarshalProto()
	truncated := func(b []byte) []byte { g := otlptest.Gzip(b); return g[:len(g)/2] }
	many := make([]string, 10000)
	for i := range many {
		many[i] = fmt.Sprintf(`,"attr_%05d":"x"`, i)
	}

	for _, tc := range []struct {
		name   string
		url    string
		header map[string]string
		body   []byte
		want   []int
		reason string // a word the answer's body holds
		// scrubbed: an OTLP request answered 200 whose hostile record
		// the collector's telemetry counts as rejected, by reason
		scrubbed bool
	}{
		{"OTLP: a record with 10,000 attributes", logs, proto, manyAttrsOTLP(10000), []int{200}, "", false},
		{"OTLP: an attribute nested 100,000 deep", logs, proto, deepOTLP(100000), []int{200, 400}, "", false},
		{"OTLP JSON: nesting 100,000 deep", logs, jsonCT,
			[]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"session.start","attributes":[` +
				`{"key":"session_id","value":{"arrayValue":{"values":` + deepJSON(100000) + `}}}]}]}]}]}`), []int{400}, "", false},
		{"OTLP: a value that is not UTF-8", logs, proto, invalidUTF8OTLP(), []int{200}, "", true},
		{"OTLP: a wrong content type", logs, map[string]string{"Content-Type": "text/plain"}, validOTLP, []int{415}, "unsupported media type", false},
		{"OTLP: a gzip body cut short", logs, gz(proto), truncated(validOTLP), []int{400}, "", false},
		{"caro: an event with 10,000 fields", events, jsonCT, eventsJSON(sessionStartJSON(strings.Join(many, ""))), []int{400}, "reason", false},
		{"caro: nesting 100,000 deep", events, jsonCT, eventsJSON(`{"event":"session.start","session_id":` + deepJSON(100000) + `}`), []int{400}, "reason", false},
		{"caro: a value that is not UTF-8", events, jsonCT, eventsJSON(sessionStartJSON(`,"error_code":"\xff\xfe"`)), []int{400}, "reason", false},
		{"caro: a wrong content type", events, map[string]string{"Content-Type": "text/plain"},
			eventsJSON(sessionStartJSON("")), []int{400, 415}, "Content-Type", false},
		{"caro: a gzip body cut short", events, gz(jsonCT), truncated(eventsJSON(sessionStartJSON(""))), []int{400}, "decompress", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rejected := col.metric(t, "otelcol_caro_redaction_records", `outcome="rejected"`)
			status, answer := post(t, tc.url, tc.header, tc.body)
			if tc.scrubbed && col.metric(t, "otelcol_caro_redaction_records", `outcome="rejected"`) == rejected {
				t.Errorf("answer %d, and no record counted rejected", status)
			}
			ok := false
			for _, w := range tc.want {
				ok = ok || status == w
			}
			if !ok {
				t.Errorf("answer %d %.300s, want one of %v", status, answer, tc.want)
			}
			if status/100 == 4 && strings.TrimSpace(answer) == "" {
				t.Errorf("answer %d has no reason in its body", status)
			}
			if tc.reason != "" && !strings.Contains(answer, tc.reason) {
				t.Errorf("answer %d %.300s does not say %q", status, answer, tc.reason)
			}
			col.alive(t)
			if status, answer := post(t, logs, proto, validOTLP); status != 200 {
				t.Fatalf("the valid request after it: %d %s\n%s", status, answer, col.out.String())
			}
			t.Logf("%d %.160s", status, strings.TrimSpace(answer))
		})
	}
	// Nothing of the hostile parts is stored: no extra attribute, no
	// bytes that are not UTF-8, no nested value.
	for _, r := range col.rows(t) {
		if strings.Contains(r.payload, "attr") || !utf8.ValidString(r.payload) || strings.Contains(r.payload, `"k"`) {
			t.Errorf("stored %s", r.payload)
		}
	}
}

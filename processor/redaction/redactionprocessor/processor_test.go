package redactionprocessor

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"caro.sh/telemetry/internal/collectortest"
	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/receiver/caroreceiver"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/upload"
)

var t0 = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

const sid = "0123456789abcdef"

// pipeline is the processor with a sink behind it and a metric reader.
type pipeline struct {
	proc processor.Logs
	sink *consumertest.LogsSink
	tel  *componenttest.Telemetry
}

func newPipeline(t *testing.T, cfg *Config) *pipeline {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := processortest.NewNopSettings(otelcolcaro.Redaction.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.LogsSink)
	if cfg == nil {
		cfg = createDefaultConfig()
	}
	p := collectortest.StartLogsProcessor(t, NewFactory(), set, cfg, sink)
	return &pipeline{proc: p, sink: sink, tel: tel}
}

func (p *pipeline) consume(t *testing.T, ld plog.Logs) {
	t.Helper()
	if err := p.proc.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
}

// records returns every record that reached the sink.
func (p *pipeline) records() []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range p.sink.AllLogs() {
		for i := range ld.ResourceLogs().Len() {
			rl := ld.ResourceLogs().At(i)
			for j := range rl.ScopeLogs().Len() {
				sl := rl.ScopeLogs().At(j)
				for k := range sl.LogRecords().Len() {
					out = append(out, sl.LogRecords().At(k))
				}
			}
		}
	}
	return out
}

// counts returns the caro_redaction_records sum by "outcome/reason".
func (p *pipeline) counts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := p.tel.GetMetric(otelcolcaro.MetricRedactionRecords)
	if err != nil {
		return out
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		o, _ := dp.Attributes.Value(attrOutcome)
		r, _ := dp.Attributes.Value(attrReason)
		key := o.AsString()
		if r.AsString() != "" {
			key += "/" + r.AsString()
		}
		out[key] += dp.Value
	}
	return out
}

func TestAFullSessionPassesUnchanged(t *testing.T) {
	p := newPipeline(t, nil)
	in := plogtest.Logs(plogtest.Session(sid, t0, 1)...)
	want := plog.NewLogs()
	in.CopyTo(want)
	p.consume(t, in)
	recs := p.records()
	if len(recs) != 6 {
		t.Fatalf("%d records passed, want 6", len(recs))
	}
	got := p.sink.AllLogs()[0]
	if !got.ResourceLogs().At(0).Resource().Attributes().Equal(want.ResourceLogs().At(0).Resource().Attributes()) {
		t.Error("the resource changed")
	}
	for i, r := range recs {
		w := want.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(i)
		if !r.Attributes().Equal(w.Attributes()) || r.EventName() != w.EventName() {
			t.Errorf("record %d changed: %v", i, r.Attributes().AsRaw())
		}
	}
	if c := p.counts(t); c["accepted"] != 6 || len(c) != 1 {
		t.Errorf("counts %v, want 6 accepted", c)
	}
}

// TestAHandMadeRequestIsScrubbedOrRejected is the server side of the
// privacy promise: a client that is not Caro, or a Caro that was
// tampered with, cannot get anything else stored.
func TestAHandMadeRequestIsScrubbedOrRejected(t *testing.T) {
	p := newPipeline(t, nil)
	ld := plogtest.Logs(
		// Extra attributes and free text around a valid event: scrubbed.
		plogtest.Record{Name: schema.EventSessionStart, Time: t0, Attrs: append(plogtest.ValidAttrs(schema.EventSessionStart, sid),
			schema.Attr{Key: "host.name", Value: schema.String("alices-macbook")},
			schema.Attr{Key: "user.name", Value: schema.String("alice")},
			schema.Attr{Key: "prompt", Value: schema.String("delete my files")})},
		// A path in an allowed field: rejected.
		plogtest.Record{Name: schema.EventSessionStart, Time: t0,
			Attrs: plogtest.With(plogtest.ValidAttrs(schema.EventSessionStart, sid), "caro_version", schema.String("/home/alice/bin"))},
		// A token in an allowed field: rejected.
		plogtest.Record{Name: schema.EventCommandGenerated, Time: t0,
			Attrs: plogtest.With(plogtest.ValidAttrs(schema.EventCommandGenerated, sid), "model_name",
				schema.String("ghp_abcdefghijklmnopqrstuvwxyz0123456789"))},
		// An event that does not exist: rejected.
		plogtest.Record{Name: "shell.history", Time: t0, Attrs: []schema.Attr{{Key: "line", Value: schema.String("ls")}}},
	)
	rl := ld.ResourceLogs().At(0)
	rl.Resource().Attributes().PutStr("host.name", "alices-macbook")
	rl.Resource().Attributes().PutStr("client.address", "203.0.113.7")
	rl.Resource().Attributes().PutStr(schema.ResourceServiceVersion, "1.1.0 on /home/alice")
	rl.SetSchemaUrl("https://example.com/schema")
	sc := rl.ScopeLogs().At(0).Scope()
	sc.SetName("alices-tool")
	sc.Attributes().PutStr("cwd", "/home/alice/src")
	lr := rl.ScopeLogs().At(0).LogRecords().At(0)
	lr.Body().SetStr("rm -rf /home/alice")
	lr.SetSeverityText("user alice")
	lr.SetTraceID(pcommon.TraceID{1, 2, 3})
	p.consume(t, ld)

	recs := p.records()
	if len(recs) != 1 {
		t.Fatalf("%d records passed, want the one valid event", len(recs))
	}
	r := recs[0]
	for _, k := range []string{"host.name", "user.name", "prompt"} {
		if _, ok := r.Attributes().Get(k); ok {
			t.Errorf("record kept %s", k)
		}
	}
	if r.Body().Type() != pcommon.ValueTypeEmpty || r.SeverityText() != "" || !r.TraceID().IsEmpty() {
		t.Errorf("record kept body %q, severity text %q or trace id", r.Body().AsString(), r.SeverityText())
	}
	out := p.sink.AllLogs()[0].ResourceLogs().At(0)
	if raw := out.Resource().Attributes().AsRaw(); len(raw) != 1 || raw[schema.ResourceServiceName] != "caro" {
		t.Errorf("resource %v, want service.name only", raw)
	}
	if out.SchemaUrl() != "" || out.ScopeLogs().At(0).Scope().Name() != "" || out.ScopeLogs().At(0).Scope().Attributes().Len() != 0 {
		t.Error("schema url or scope kept")
	}
	c := p.counts(t)
	want := map[string]int64{"accepted": 1, "rejected/path": 1, "rejected/secret": 1, "rejected/unknown_event": 1}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("count %s = %d, want %d (all: %v)", k, c[k], v, c)
		}
	}
	removed, err := p.tel.GetMetric(otelcolcaro.MetricRedactionRemoved)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed.Data.(metricdata.Sum[int64]).DataPoints) == 0 {
		t.Error("nothing counted as removed")
	}
}

func TestRecordsOfAnotherServiceAreDropped(t *testing.T) {
	p := newPipeline(t, nil)
	ld := plogtest.Logs(plogtest.Session(sid, t0, 1)...)
	ld.ResourceLogs().At(0).Resource().Attributes().PutStr(schema.ResourceServiceName, "telemetrygen")
	p.consume(t, ld)
	if n := p.sink.LogRecordCount(); n != 0 {
		t.Fatalf("%d records passed", n)
	}
	if len(p.sink.AllLogs()) != 0 {
		t.Error("an empty batch was passed on")
	}
	if c := p.counts(t); c["rejected/resource"] != 6 {
		t.Errorf("counts %v, want 6 rejected for the resource", c)
	}
}

func TestStrictModeRejectsAResourceWithExtraAttributes(t *testing.T) {
	p := newPipeline(t, &Config{ServiceNames: []string{"caro"}, RejectResourceAttributes: true})
	ld := plogtest.Logs(plogtest.Session(sid, t0, 1)...)
	ld.ResourceLogs().At(0).Resource().Attributes().PutStr("host.name", "alices-macbook")
	p.consume(t, ld)
	if n := p.sink.LogRecordCount(); n != 0 {
		t.Fatalf("%d records passed", n)
	}
}

func TestDeletionRequestsPassWithTheirIDs(t *testing.T) {
	p := newPipeline(t, nil)
	attrs := []schema.Attr{
		{Key: schema.KeySessionIDs, Value: schema.StringList([]string{sid, "fedcba9876543210"})},
		{Key: schema.KeyRecordUID, Value: schema.String(plogtest.UID(9))},
	}
	p.consume(t, plogtest.Logs(plogtest.Record{Name: schema.EventDeletionRequest, Time: t0, Attrs: attrs}))
	recs := p.records()
	if len(recs) != 1 {
		t.Fatalf("%d records passed", len(recs))
	}
	ids, _ := recs[0].Attributes().Get(schema.KeySessionIDs)
	if ids.Slice().Len() != 2 {
		t.Errorf("session_ids %v", ids.AsRaw())
	}
	bad := plogtest.With(attrs, schema.KeySessionIDs, schema.StringList([]string{sid, "/etc/passwd"}))
	p.consume(t, plogtest.Logs(plogtest.Record{Name: schema.EventDeletionRequest, Time: t0, Attrs: bad}))
	if len(p.records()) != 1 {
		t.Error("a deletion request with a path passed")
	}
}

// TestCarosOwnScopesAreKept: the scope names of upload's records and of
// the caro receiver's pass; any other is cleared.
func TestCarosOwnScopesAreKept(t *testing.T) {
	for _, scope := range []string{upload.ScopeName, caroreceiver.ScopeName} {
		t.Run(scope+" is kept", func(t *testing.T) {
			p := newPipeline(t, nil)
			ld := plogtest.Logs(plogtest.Session(sid, t0, 1)...)
			ld.ResourceLogs().At(0).ScopeLogs().At(0).Scope().SetName(scope)
			p.consume(t, ld)
			got := p.sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).Scope()
			if got.Name() != scope || got.Version() != "1.1.0" {
				t.Errorf("scope %q %q", got.Name(), got.Version())
			}
		})
	}
}

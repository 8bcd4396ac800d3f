// Package plogtest builds Caro events as the Collector sees them (pdata
// logs), for the tests and benchmarks of the Collector components: every
// field of an event with a valid value, and batches shaped as `caro
// telemetry flush` sends them.
package plogtest

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"caro.sh/telemetry/event/pdataconv"
	"caro.sh/telemetry/internal/eventtest"
	"caro.sh/telemetry/schema"
)

// Scope is the instrumentation scope of the records (upload.ScopeName).
const Scope = "caro.sh/telemetry/upload"

// Record is one event to put in a batch.
type Record struct {
	Name  string
	Time  time.Time
	Attrs []schema.Attr
}

// ValidAttrs returns every payload field of the event (not the transport
// field) with eventtest's valid value, in schema order, with the given
// session id in its session-id fields (a list of session ids holds just
// it). It panics for an unknown event: a test's programming error.
func ValidAttrs(name, sessionID string) []schema.Attr {
	def, ok := schema.Lookup(name)
	if !ok {
		panic("plogtest: unknown event " + name)
	}
	out := eventtest.Attrs(def)
	for i := range out {
		f, _ := def.Field(out[i].Key)
		switch {
		case f.Type == schema.TypeStringList:
			out[i].Value = schema.StringList([]string{sessionID})
		case f.Format == schema.FormatSessionID:
			out[i].Value = schema.String(sessionID)
		}
	}
	return out
}

// UID returns a distinct, valid log.record.uid for each n (a UUID v7
// shape).
func UID(n int) string { return fmt.Sprintf("019abc12-3456-7def-8123-%012x", n) }

// With returns a copy of attrs with key set to v (appended if absent).
func With(attrs []schema.Attr, key string, v schema.Value) []schema.Attr {
	out := append([]schema.Attr(nil), attrs...)
	for i := range out {
		if out[i].Key == key {
			out[i].Value = v
			return out
		}
	}
	return append(out, schema.Attr{Key: key, Value: v})
}

// Logs returns one resource (service.name=caro, service.version=1.1.0)
// with one scope holding the records, as upload sends a batch.
func Logs(recs ...Record) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.ResourceServiceName, schema.ServiceName)
	rl.Resource().Attributes().PutStr(schema.ResourceServiceVersion, "1.1.0")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(Scope)
	sl.Scope().SetVersion("1.1.0")
	for _, r := range recs {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(r.Name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(r.Time))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(r.Time))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		pdataconv.PutAttrs(lr.Attributes(), r.Attrs)
	}
	return ld
}

// Session returns the six events of one full session with every field
// set, each with its own log.record.uid starting at UID(first).
func Session(sessionID string, t time.Time, first int) []Record {
	names := []string{schema.EventSessionStart, schema.EventCommandGenerated, schema.EventSafetyTriggered,
		schema.EventCommandExecuted, schema.EventErrorOccurred, schema.EventSessionEnd}
	out := make([]Record, len(names))
	for i, n := range names {
		attrs := append(ValidAttrs(n, sessionID), schema.Attr{Key: schema.KeyRecordUID, Value: schema.String(UID(first + i))})
		out[i] = Record{Name: n, Time: t.Add(time.Duration(i) * time.Second), Attrs: attrs}
	}
	return out
}

package caroreceiver

import (
	"encoding/json"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/event/pdataconv"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// detail says why one event of a batch was rejected: its index, its name
// when it is one of the schema's (never a value the client sent), and the
// reason (a redaction reason, or "malformed").
type detail struct {
	Index  int    `json:"index"`
	Event  string `json:"event,omitempty"`
	Reason string `json:"reason"`
}

// batch is the outcome of validating a list of events: the accepted ones
// as log records, ready for the pipeline, and the count and reasons of the
// rejected ones.
type batch struct {
	logs     plog.Logs
	accepted int
	rejected int
	details  []detail
}

const reasonMalformed = "malformed"

// ingest validates every event with the redaction core and turns the
// accepted ones into log records: one resource (service.name=caro, and
// service.version when version is a clean version), one scope (the
// receiver's), each record with its event name, timestamp, observed time
// now, the accepted attributes and a log.record.uid. An event that
// carries no uid gets the name-based id of its payload, so that the same
// event uploaded twice (a retried batch, an export sent again) is stored
// once.
//
// The receiver validates, rather than leaving it to the caro_redaction
// processor, because the spec's answer counts accepted and rejected
// events; the processor checks the records again in the pipeline.
func ingest(v *redaction.Validator, raws []json.RawMessage, version string, now time.Time) batch {
	b := batch{logs: plog.NewLogs()}
	rl := b.logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.ResourceServiceName, schema.ServiceName)
	if redaction.ValidFormat(schema.FormatVersion, version) {
		rl.Resource().Attributes().PutStr(schema.ResourceServiceVersion, version)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(otelcolcaro.Receiver.ScopeName)
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(len(raws))
	observed := pcommon.NewTimestampFromTime(now)
	for i, raw := range raws {
		name, ts, attrs, err := event.DecodeLenient(raw)
		if err != nil {
			b.reject(i, "", reasonMalformed)
			continue
		}
		out, reason := v.Apply(name, attrs)
		if reason != redaction.ReasonNone {
			b.reject(i, name, reason.String())
			continue
		}
		uid, out := event.SplitRecordUID(out)
		if uid == "" {
			p, err := event.Encode(name, ts, out)
			if err != nil { // the Validator accepted it, so the shape is right: not reached
				b.reject(i, name, reasonMalformed)
				continue
			}
			uid = event.NameBasedUID(p)
		}
		lr := lrs.AppendEmpty()
		lr.SetEventName(name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		lr.SetObservedTimestamp(observed)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		pdataconv.PutAttrs(lr.Attributes(), out)
		lr.Attributes().PutStr(schema.KeyRecordUID, uid)
		b.accepted++
	}
	return b
}

func (b *batch) reject(i int, name, reason string) {
	b.rejected++
	if _, known := schema.Lookup(name); !known {
		name = ""
	}
	b.details = append(b.details, detail{Index: i, Event: name, Reason: reason})
}

package sqlitespool

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/event/otelconv"
	"caro.sh/telemetry/schema"
)

// Counters kept by the SDK face, next to those of the Spool.
const (
	// CounterExportInvalid counts records the spool refused because their
	// shape does not match the schema (unknown event or field, wrong type).
	CounterExportInvalid = "export_invalid"
	// CounterExportLost counts events lost because the spool could not be
	// written; kept for the counters of older spools, which status shows.
	CounterExportLost = "export_lost"
)

// eventFromRecord converts an SDK record into an Event with its payload
// encoded. The timestamp falls back to the observed one, then to the clock.
func eventFromRecord(r *sdklog.Record, opts Options) (Event, error) {
	ts := r.Timestamp()
	if ts.IsZero() {
		ts = r.ObservedTimestamp()
	}
	if ts.IsZero() {
		ts = opts.Now()
	}
	attrs := make([]schema.Attr, 0, r.AttributesLen())
	var bad error
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		v, ok := otelconv.FromValue(kv.Value)
		if !ok {
			bad = fmt.Errorf("%w: %s: field %q has unsupported kind %s", event.ErrInvalid, r.EventName(), kv.Key, kv.Value.Type())
			return false
		}
		attrs = append(attrs, schema.Attr{Key: string(kv.Key), Value: v})
		return true
	})
	if bad != nil {
		return Event{}, bad
	}
	p, err := event.Encode(r.EventName(), ts, attrs)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Name: r.EventName(), Time: ts, payload: p}
	ev.EventID, ev.Attrs = event.SplitRecordUID(attrs)
	return ev, nil
}

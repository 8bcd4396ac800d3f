package sqlitespool

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

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

// InboxExporter is the SDK log exporter of short-lived processes: it stages
// each batch in the spool's inbox in microseconds, and Open stores it. It
// never returns an error to the SDK: failures go to onError, and after the
// first failure to create or write the inbox it stops trying (one warning
// per process). Export, AddCounters and Shutdown may be called from any
// goroutine; they run one at a time.
type InboxExporter struct {
	opts    Options
	onError func(error)

	mu       sync.Mutex
	failed   bool
	shutdown bool
	dropped  int64 // events refused for the cap, staged as one counter at Shutdown
}

var _ sdklog.Exporter = (*InboxExporter)(nil)

// NewInboxExporter returns an exporter staging events for the spool at
// opts.Path, within opts.MaxBytes (0: DefaultMaxBytes). It does no I/O.
func NewInboxExporter(opts Options, onError func(error)) *InboxExporter {
	if onError == nil {
		onError = func(error) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &InboxExporter{opts: opts, onError: onError}
}

// Export stages the records as one append. Records the schema refuses are
// dropped and counted (CounterExportInvalid). When the inbox already holds
// MaxBytes, the events are dropped and counted (CounterDroppedCap). It
// always returns nil.
func (e *InboxExporter) Export(_ context.Context, records []sdklog.Record) error {
	if len(records) == 0 {
		return nil
	}
	var buf bytes.Buffer
	at := event.FormatStoreTime(e.opts.Now())
	var invalid int64
	var firstInvalid error
	var line []byte
	n := 0
	for i := range records {
		ev, err := eventFromRecord(&records[i], e.opts)
		if err == nil && ev.EventID == "" {
			ev.EventID, err = event.NewRecordUID()
		}
		if err != nil {
			invalid++
			if firstInvalid == nil {
				firstInvalid = err
			}
			continue
		}
		line = event.AppendLine(line[:0], ev.EventID, at, ev.payload)
		buf.Write(line)
		n++
	}
	var counters map[string]int64
	if invalid > 0 {
		counters = map[string]int64{CounterExportInvalid: invalid}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if firstInvalid != nil {
		e.onError(fmt.Errorf("telemetry spool: dropped %d invalid record(s): %w", invalid, firstInvalid))
	}
	e.stage(buf.Bytes(), n, counters)
	return nil
}

// AddCounters stages counters (e.g. rejections by reason) for the spool.
func (e *InboxExporter) AddCounters(deltas map[string]int64) {
	if len(deltas) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stage(nil, 0, deltas)
}

// stage appends lines (n events) and counters; e.mu is held.
func (e *InboxExporter) stage(lines []byte, n int, counters map[string]int64) {
	if e.failed || e.shutdown || (n == 0 && len(counters) == 0) {
		return
	}
	path := InboxPath(e.opts.Path)
	err := appendInbox(path, func(size int64) []byte {
		out := lines
		if size+int64(len(lines)) > e.opts.MaxBytes && n > 0 {
			// The spool has not been opened for a long while (air-gapped,
			// no `caro telemetry` command): keep the inbox within the cap,
			// and count the refused events once, at Shutdown.
			e.dropped += int64(n)
			out = nil
		}
		if len(counters) > 0 {
			out = event.AppendCountersLine(append([]byte(nil), out...), counters)
		}
		return out
	})
	if err != nil {
		e.failed = true
		e.onError(fmt.Errorf("telemetry spool disabled: %w", err))
	}
}

// Shutdown stages the count of events refused for the cap, then stops
// staging; later Exports are dropped.
func (e *InboxExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dropped > 0 {
		dropped := e.dropped
		e.dropped = 0
		e.stage(nil, 0, map[string]int64{CounterDroppedCap: dropped})
	}
	e.shutdown = true
	return nil
}

// ForceFlush does nothing: every Export is already written.
func (e *InboxExporter) ForceFlush(context.Context) error { return nil }

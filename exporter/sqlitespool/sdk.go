package sqlitespool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/internal/otelattr"
	"caro.sh/telemetry/schema"
)

// Counters kept by the Exporter, next to those of the Spool.
const (
	// CounterExportInvalid counts records the spool refused because their
	// shape does not match the schema (unknown event or field, wrong type).
	CounterExportInvalid = "export_invalid"
	// CounterExportLost counts events lost because the spool could not be
	// opened or written; persisted with the next successful write.
	CounterExportLost = "export_lost"
)

// ErrRecovered is wrapped by the error the Exporter hands to onError when
// it found the database unreadable and started a new one: a notice, not a
// failure (the events are stored).
var ErrRecovered = errors.New("telemetry spool recovered")

// recovered is the notice itself: its text alone, matching ErrRecovered.
type recovered string

func (r recovered) Error() string        { return string(r) }
func (r recovered) Is(target error) bool { return target == ErrRecovered }

// Exporter is the OTel SDK face of the spool: a
// go.opentelemetry.io/otel/sdk/log Exporter that appends each exported
// batch of event records to the Spool in one transaction.
//
// It opens the Spool on the first Export that has records, so that a
// process that records nothing opens no file. It never returns an error to
// the SDK, which would print it through OTel's global handler: a failure
// goes to onError, the batch is lost and counted (CounterExportLost), and
// Caro carries on.
//
// Export, AddCounters and Shutdown may be called from any goroutine; they
// run one at a time. The SDK never calls Export concurrently with itself.
type Exporter struct {
	opts    Options
	onError func(error)

	mu       sync.Mutex // guards everything below
	spool    *Spool
	openErr  error // sticky: a process whose spool cannot open (permissions, disk) stops trying
	shutdown bool
	unsaved  map[string]int64 // exporter counters not yet persisted
	lost     int64
}

var _ sdklog.Exporter = (*Exporter)(nil)

// NewExporter returns an Exporter writing to the spool described by opts.
// onError receives every failure and the recovery notice (nil: ignored);
// it is called with the Exporter's lock held and must not call back into
// it. NewExporter does no I/O.
func NewExporter(opts Options, onError func(error)) *Exporter {
	if onError == nil {
		onError = func(error) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Exporter{opts: opts, onError: onError}
}

// Export converts the records (event name, timestamp, attributes) into
// events and appends them in one transaction. Records whose shape the
// schema refuses are dropped and counted (CounterExportInvalid); the rest
// are stored. It always returns nil. The context bounds the write: a
// cancelled context loses the batch.
func (e *Exporter) Export(ctx context.Context, records []sdklog.Record) error {
	if len(records) == 0 {
		return nil
	}
	evs := make([]Event, 0, len(records))
	var invalid int64
	var firstInvalid error
	for i := range records {
		ev, err := eventFromRecord(&records[i], e.opts)
		if err != nil {
			invalid++
			if firstInvalid == nil {
				firstInvalid = err
			}
			continue
		}
		evs = append(evs, ev)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if firstInvalid != nil {
		e.lost += invalid
		e.count(CounterExportInvalid, invalid)
		e.onError(fmt.Errorf("telemetry spool: dropped %d invalid record(s): %w", invalid, firstInvalid))
	}
	if e.shutdown {
		e.lost += int64(len(evs))
		return nil
	}
	if len(evs) == 0 && len(e.unsaved) == 0 {
		return nil
	}
	s := e.open(ctx)
	if s == nil {
		e.lose(len(evs), nil)
		return nil
	}
	_, err := s.appendWith(ctx, evs, e.unsaved)
	if err != nil && isCorrupt(err) {
		if s = e.reopenCorrupt(ctx, err); s != nil {
			_, err = s.appendWith(ctx, evs, e.unsaved)
		}
	}
	if err != nil || s == nil {
		e.lose(len(evs), err)
		return nil
	}
	e.unsaved = nil
	return nil
}

// count adds to an exporter counter kept in memory until the next write.
func (e *Exporter) count(name string, n int64) {
	if n == 0 {
		return
	}
	if e.unsaved == nil {
		e.unsaved = make(map[string]int64)
	}
	e.unsaved[name] += n
}

func (e *Exporter) lose(n int, err error) {
	e.lost += int64(n)
	e.count(CounterExportLost, int64(n))
	if err != nil {
		e.onError(fmt.Errorf("telemetry spool: %d event(s) lost: %w", n, err))
	}
}

// open returns the spool, opening it on first use; nil if it cannot be
// opened (reported once).
func (e *Exporter) open(ctx context.Context) *Spool {
	if e.spool != nil || e.openErr != nil {
		return e.spool
	}
	s, err := Open(ctx, e.opts)
	if err != nil {
		if ctx.Err() != nil || isBusy(err) {
			// Transient: this batch is lost, the next one tries again.
			e.onError(fmt.Errorf("telemetry spool: %w", err))
			return nil
		}
		e.openErr = err
		e.onError(fmt.Errorf("telemetry spool disabled: %w", err))
		return nil
	}
	e.spool = s
	if r := s.Recovered(); r != "" {
		e.onError(recovered(r))
	}
	return s
}

// reopenCorrupt handles corruption found after Open's checks: the file is
// closed, moved aside, and a new one opened.
func (e *Exporter) reopenCorrupt(ctx context.Context, cause error) *Spool {
	path := e.spool.Path()
	e.spool.Close()
	e.spool = nil
	moved, err := moveAside(path, e.opts.Now())
	if err != nil {
		e.openErr = err
		e.onError(fmt.Errorf("telemetry spool disabled: %v; moving it aside: %w", cause, err))
		return nil
	}
	s := e.open(ctx)
	if s != nil {
		e.onError(recovered(fmt.Sprintf("telemetry spool %s was corrupt (%v); moved it to %s and started a new one",
			path, cause, moved)))
	}
	return s
}

// AddCounters adds the deltas to the spool's named counters (for example
// rejections by reason), together with any counters of the Exporter's own
// not yet persisted, in one transaction. It opens the spool if needed;
// failures go to onError. After Shutdown it does nothing.
func (e *Exporter) AddCounters(deltas map[string]int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shutdown || len(deltas) == 0 {
		return
	}
	s := e.open(context.Background())
	if s == nil {
		return
	}
	all := make(map[string]int64, len(deltas)+len(e.unsaved))
	for k, v := range e.unsaved {
		all[k] += v
	}
	for k, v := range deltas {
		all[k] += v
	}
	if err := s.AddCounters(context.Background(), all); err != nil {
		e.onError(fmt.Errorf("telemetry spool: counters lost: %w", err))
		return
	}
	e.unsaved = nil
}

// Spool returns the open spool, or nil before the first Export (or
// AddCounters) or if it could not be opened. It is closed by Shutdown.
func (e *Exporter) Spool() *Spool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.spool
}

// Lost returns how many events this Exporter has lost: refused as invalid,
// or not written because the spool failed.
func (e *Exporter) Lost() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lost
}

// Shutdown persists the counters still in memory and closes the spool
// (checkpointing its WAL). Later Exports are counted as lost. It always
// returns nil; a failure goes to onError.
func (e *Exporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shutdown {
		return nil
	}
	e.shutdown = true
	if e.spool == nil {
		return nil
	}
	if len(e.unsaved) > 0 {
		if err := e.spool.AddCounters(ctx, e.unsaved); err != nil {
			e.onError(fmt.Errorf("telemetry spool: counters lost: %w", err))
		}
		e.unsaved = nil
	}
	if err := e.spool.Close(); err != nil {
		e.onError(fmt.Errorf("telemetry spool: %w", err))
	}
	return nil
}

// ForceFlush does nothing: every Export is written before it returns.
func (e *Exporter) ForceFlush(context.Context) error { return nil }

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
		v, ok := otelattr.FromValue(kv.Value)
		if !ok {
			bad = fmt.Errorf("%w: %s: field %q has unsupported kind %s", ErrPayload, r.EventName(), kv.Key, kv.Value.Type())
			return false
		}
		attrs = append(attrs, schema.Attr{Key: string(kv.Key), Value: v})
		return true
	})
	if bad != nil {
		return Event{}, bad
	}
	p, err := EncodePayload(r.EventName(), ts, attrs)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Name: r.EventName(), Time: ts, payload: p}
	ev.EventID, ev.Attrs = SplitRecordUID(attrs)
	return ev, nil
}

// SplitRecordUID removes the transport field log.record.uid from attrs (in
// place) and returns its value ("" when absent) and the remaining fields.
// The spool keeps the id in its own column, never in the payload.
func SplitRecordUID(attrs []schema.Attr) (string, []schema.Attr) {
	uid := ""
	n := 0
	for _, a := range attrs {
		if a.Key == schema.KeyRecordUID {
			if a.Value.Type == schema.TypeString && uid == "" {
				uid = a.Value.Str
			}
			continue
		}
		attrs[n] = a
		n++
	}
	clear(attrs[n:])
	return uid, attrs[:n]
}

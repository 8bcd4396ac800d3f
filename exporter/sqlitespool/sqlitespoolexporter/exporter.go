package sqlitespoolexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/event/pdataconv"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// Outcomes of caro_sqlitespool_events.
const (
	outcomeStored         = "stored"
	outcomeDuplicate      = "duplicate"
	outcomeRefusedDeleted = "refused_deleted"
	outcomeExpired        = "expired"
	outcomeInvalid        = "invalid"
)

// spoolExporter appends each batch of Caro events to the store (a
// store.Store: a SQLite file, or a PostgreSQL database shared by every
// replica), and optionally writes air-gapped export files on a schedule.
// The store shares one commit between the batches of concurrent requests
// and returns only once theirs is durable, so a request is acknowledged
// only for events that a kill cannot lose.
//
// The redaction Validator runs here once more, so that the store never
// holds what the caro_redaction processor would refuse, even in a
// pipeline that forgot the processor. A record it refuses is counted
// (outcome invalid) and skipped, never an error for the batch.
//
// pushLogs may run on several goroutines (concurrent requests, or a
// sending queue with several consumers).
type spoolExporter struct {
	cfg    *Config
	logger *zap.Logger
	v      *redaction.Validator

	events  metric.Int64Counter
	deleted metric.Int64Counter
	files   metric.Int64Counter

	mu    sync.Mutex // guards spool across start, reopen and shutdown
	spool *store.Store
	stop  chan struct{}
	done  chan struct{}

	failures failureLog
}

func newSpoolExporter(cfg *Config, set exporter.Settings) (*spoolExporter, error) {
	e := &spoolExporter{cfg: cfg, logger: set.Logger, v: redaction.New()}
	if err := otelcolcaro.SQLiteSpool.NewCounters(set.MeterProvider, &e.events, &e.deleted, &e.files); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *spoolExporter) start(ctx context.Context, _ component.Host) error {
	sp, err := e.open(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.spool = sp
	e.stop, e.done = make(chan struct{}), make(chan struct{})
	e.mu.Unlock()
	go e.maintain()
	return nil
}

// open opens the configured store.
func (e *spoolExporter) open(ctx context.Context) (*store.Store, error) {
	sp, err := store.Open(ctx, store.Options{
		Path:      e.cfg.Path,
		DSN:       string(e.cfg.Postgres.DSN),
		MaxBytes:  e.cfg.MaxSizeMiB << 20,
		Retention: e.cfg.retentionByEvent(),
		OnApplied: e.applied,
	})
	if err != nil {
		return nil, fmt.Errorf("sqlitespool exporter: %w", err)
	}
	if m := sp.Migrated(); m != "" {
		e.logger.Info(m, zap.String("store", sp.Where()))
	}
	if r := sp.Recovered(); r != "" {
		e.logger.Info(r, zap.String("store", sp.Where()))
	}
	return sp, nil
}

// current is the store in use (nil before start and after shutdown).
func (e *spoolExporter) current() *store.Store {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.spool
}

// reopen replaces a store whose file is gone (its folder was deleted
// under the running collector) by a new one at its path, once however
// many requests met the loss; their clients send again into the new one.
func (e *spoolExporter) reopen(gone *store.Store) {
	e.mu.Lock()
	if e.spool != gone { // done by another request, or shut down
		e.mu.Unlock()
		return
	}
	// Closed first: it holds the store's writer lock.
	_ = gone.Close()
	sp, err := e.open(context.Background())
	if err != nil {
		// e.spool stays the closed store: the next batch, refused with
		// ErrClosed, tries again.
		e.mu.Unlock()
		e.logger.Warn("the store's file was removed and a new one cannot be made; retrying with the next batch", zap.Error(err))
		return
	}
	e.spool = sp
	e.mu.Unlock()
	e.logger.Warn("the store's file was removed while open: a new, empty store was created at its path; "+
		"batches refused meanwhile are sent again by their clients", zap.String("store", sp.Where()))
}

// maintain runs the retention purge every purge interval, so that an idle
// store forgets on time too, and the scheduled exports.
func (e *spoolExporter) maintain() {
	defer close(e.done)
	purge := time.NewTicker(e.cfg.PurgeInterval)
	defer purge.Stop()
	var exports <-chan time.Time
	if e.cfg.Export.Directory != "" {
		t := time.NewTicker(e.cfg.Export.Interval)
		defer t.Stop()
		exports = t.C
	}
	for {
		select {
		case <-e.stop:
			return
		case <-purge.C:
			sp := e.current()
			if sp == nil {
				continue
			}
			if n, err := sp.Maintain(context.Background()); err != nil {
				e.logger.Warn("retention purge failed", zap.Error(err))
			} else if n > 0 {
				e.deleted.Add(context.Background(), int64(n), metric.WithAttributes(attribute.String("reason", "retention")))
			}
		case <-exports:
			if _, err := e.writeExports(context.Background(), time.Now()); err != nil {
				e.logger.Warn("scheduled export failed", zap.Error(err))
			}
		}
	}
}

func (e *spoolExporter) shutdown(context.Context) error {
	e.mu.Lock()
	sp, stop, done := e.spool, e.stop, e.done
	e.spool = nil
	e.mu.Unlock()
	if sp == nil {
		return nil
	}
	// maintain takes e.mu too: wait for it with the lock released.
	close(stop)
	<-done
	return sp.Close()
}

// pushLogs validates and converts every record and appends the batch.
func (e *spoolExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	evs := make([]store.Event, 0, ld.LogRecordCount())
	invalid := 0
	now := time.Now()
	var buf []schema.Attr
	for i := range ld.ResourceLogs().Len() {
		rl := ld.ResourceLogs().At(i)
		for j := range rl.ScopeLogs().Len() {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := range lrs.Len() {
				ev, ok := e.event(lrs.At(k), now, &buf)
				if !ok {
					invalid++
					continue
				}
				evs = append(evs, ev)
			}
		}
	}
	if invalid > 0 {
		e.count(ctx, outcomeInvalid, invalid)
	}
	if len(evs) == 0 {
		return nil
	}
	sp := e.current()
	if sp == nil {
		return errNotStarted
	}
	res, err := sp.Accept(ctx, evs)
	if err != nil {
		e.failures.refused(e.logger, len(evs), err, time.Now())
		if errors.Is(err, store.ErrGone) || errors.Is(err, store.ErrClosed) {
			e.reopen(sp)
		}
		return unavailable(fmt.Errorf("store %d events: %w", len(evs), err))
	}
	e.failures.stored(e.logger)
	e.count(ctx, outcomeExpired, res.Expired)
	return nil
}

// applied counts what became of accepted events once the store put them
// into its table (store.Options.OnApplied).
func (e *spoolExporter) applied(res store.Result) {
	ctx := context.Background()
	e.count(ctx, outcomeStored, res.Stored)
	e.count(ctx, outcomeDuplicate, res.Duplicates)
	e.count(ctx, outcomeRefusedDeleted, res.RefusedDeleted)
	if res.DeletedByRequest > 0 {
		e.deleted.Add(ctx, int64(res.DeletedByRequest), metric.WithAttributes(attribute.String("reason", "deletion_request")))
	}
}

func (e *spoolExporter) count(ctx context.Context, outcome string, n int) {
	if n > 0 {
		e.events.Add(ctx, int64(n), metric.WithAttributes(attribute.String("outcome", outcome)))
	}
}

// event converts one record, or reports that the schema refuses it. The
// record's log.record.uid becomes the event's id; an event without one
// gets the name-based id of its payload.
func (e *spoolExporter) event(lr plog.LogRecord, now time.Time, buf *[]schema.Attr) (store.Event, bool) {
	attrs := pdataconv.AppendAttrs((*buf)[:0], lr.Attributes())
	*buf = attrs
	out, reason := e.v.Apply(lr.EventName(), attrs)
	if reason != redaction.ReasonNone {
		return store.Event{}, false
	}
	ts := lr.Timestamp().AsTime()
	if lr.Timestamp() == 0 {
		ts = lr.ObservedTimestamp().AsTime()
		if lr.ObservedTimestamp() == 0 {
			ts = now
		}
	}
	uid, out := event.SplitRecordUID(out)
	// The Validator's output aliases buf, which the next record reuses.
	ev := store.Event{Name: lr.EventName(), Time: ts, Attrs: cloneAttrs(out), UID: uid}
	if uid == "" {
		p, err := event.Encode(ev.Name, ev.Time, ev.Attrs)
		if err != nil {
			return store.Event{}, false
		}
		ev.UID = event.NameBasedUID(p)
	}
	return ev, true
}

func cloneAttrs(a []schema.Attr) []schema.Attr { return append([]schema.Attr(nil), a...) }

// failureInterval is the least time between two log lines about the
// store refusing batches: a store that is away refuses every request, and
// a line per request would bury the one that says why.
const failureInterval = 10 * time.Second

// failureLog says that the store refuses batches at most once per
// failureInterval, with how many it refused since its last line, and once
// when it stores again.
type failureLog struct {
	mu              sync.Mutex
	last            time.Time // of the last line; zero: the store is fine
	batches, events int       // refused since the last line
}

// refused counts a batch the store refused, and logs when the interval
// since the last line has passed.
func (f *failureLog) refused(logger *zap.Logger, events int, err error, now time.Time) {
	f.mu.Lock()
	f.batches++
	f.events += events
	if !f.last.IsZero() && now.Sub(f.last) < failureInterval {
		f.mu.Unlock()
		return
	}
	batches, evs := f.batches, f.events
	f.batches, f.events, f.last = 0, 0, now
	f.mu.Unlock()
	logger.Warn("the store refuses batches; their clients keep them and send them again",
		zap.Int("batches", batches), zap.Int("events", evs), zap.Duration("next_report_in", failureInterval), zap.Error(err))
}

// stored notes a batch stored: after refusals, it says the store is back.
func (f *failureLog) stored(logger *zap.Logger) {
	f.mu.Lock()
	if f.last.IsZero() {
		f.mu.Unlock()
		return
	}
	batches, evs := f.batches, f.events
	f.batches, f.events, f.last = 0, 0, time.Time{}
	f.mu.Unlock()
	logger.Info("the store takes batches again", zap.Int("refused_since_last_report", batches), zap.Int("events", evs))
}

// errNotStarted is returned by writeExports before start or after shutdown.
var errNotStarted = errors.New("sqlitespool exporter is not running")

// retryDelay is what a client is told to wait when the store cannot take
// its events (the database restarting, the disk full): long enough to let
// it recover, short enough that no client gives up.
const retryDelay = 2 * time.Second

// unavailable marks a store failure as transient, with retryDelay: the
// OTLP receiver answers it 503 with Retry-After (the OTLP specification's
// throttling), the caro receiver 503 with retry_after, and a client keeps
// its events and sends them again. No store failure is permanent: the
// events were valid, only the store was not there.
func unavailable(err error) error {
	st, derr := status.New(codes.Unavailable, err.Error()).WithDetails(
		&errdetails.RetryInfo{RetryDelay: durationpb.New(retryDelay)})
	if derr != nil {
		return err
	}
	return st.Err()
}

package sdk

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/event/otelconv"
	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// DefaultShutdownTimeout bounds Shutdown when its context has no deadline:
// Caro's exit never waits longer than this on telemetry.
const DefaultShutdownTimeout = 2 * time.Second

// queueSize is the batch processor's queue and batch size (see Start).
const queueSize = 32

// Option configures Start. No Option reads the environment itself: the
// settings that environment variables change (CARO_TELEMETRY_ENABLED,
// CARO_TELEMETRY_LEVEL, DO_NOT_TRACK, CI, ...) are resolved by LoadConfig
// into the Config given to Start, so that one place decides them.
type Option func(*options)

type options struct {
	version   string
	warn      func(string)
	debug     io.Writer
	now       func() time.Time
	machineID string
	getenv    func(string) string
}

// WithVersion sets Caro's version, recorded as the caro_version field of
// session.start and as the resource's service.version.
//
// By default, if this option is not used, "0.0.0-dev" is recorded. No
// environment variable changes it.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithWarn receives telemetry warnings (an unreadable machine id, a spool
// that cannot be written, events lost at Shutdown). The Client passes on
// at most one per run, so Caro prints at most one warning line; f may be
// called from the batch goroutine.
//
// By default, if this option is not used, warnings are discarded.
func WithWarn(f func(string)) Option { return func(o *options) { o.warn = f } }

// WithDebug writes every accepted event to w as it is recorded, one line
// each, in the JSON form it is stored in ("caro telemetry: {...}"), after
// the redaction processor: what is printed is exactly what is kept. Writes
// are serialized.
//
// By default, if this option is not used, nothing is printed. Start does
// not read CARO_TELEMETRY_DEBUG (EnvDebug) itself: the caro CLI passes its
// stderr here when that variable is a true value.
func WithDebug(w io.Writer) Option { return func(o *options) { o.debug = w } }

// WithClock sets the Client's clock (tests and the fleet simulator): the
// events' timestamps, the session's start and durations, the UTC date of
// the session id, and the time the spool's inbox stages events at.
//
// By default, if this option is not used, time.Now is used.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMachineID replaces the secret input of the session id (tests and the
// fleet simulator); it is hashed, never recorded.
//
// By default, if this option is not used or id is empty, MachineID(cfg.Dirs)
// is used: the OS machine id (/etc/machine-id and the like), else a random
// install id kept in the config folder (XDG_CONFIG_HOME, see ResolveDirs).
// If neither can be had, telemetry is off for the run, with one warning.
func WithMachineID(id string) Option { return func(o *options) { o.machineID = id } }

// WithGetenv sets how the Client reads the environment. It reads one
// variable: SHELL, for the shell family of session.start when the event
// leaves Platform zero (DetectPlatform); the path itself is never recorded.
//
// By default, if this option is not used, os.Getenv is used.
func WithGetenv(f func(string) string) Option { return func(o *options) { o.getenv = f } }

// Client records Caro's telemetry events. Its methods are safe for
// concurrent use and never fail visibly; on a nil or disabled Client they
// return at once.
type Client struct {
	// enabled is read by every record method and cleared by Shutdown,
	// possibly on another goroutine (a signal handler ending the run).
	enabled   atomic.Bool
	level     schema.Level
	version   string
	sessionID string
	now       func() time.Time
	getenv    func(string) string
	start     time.Time

	provider  *sdklog.LoggerProvider
	logger    log.Logger
	validator *redaction.Validator
	exporter  *sqlitespool.InboxExporter
	warner    *warner

	// Session tally for session.end, kept even for events the level skips.
	generated, executed, errs, blocks, retries atomic.Int64
	firstCommand                               atomic.Int64 // ms since start, -1 until set
}

// Start returns a Client for cfg. With telemetry disabled it returns a
// no-op Client that opens no file. It never fails: problems become one
// warning through WithWarn and telemetry stays off.
//
// Start reads no environment variable itself (LoadConfig did, for cfg).
// Of the OTel SDK's own variables, the OTEL_BLRP_* ones change nothing:
// Start sets every batch processor option (a queue and batch of 32, an
// export each second, a 5s export timeout). The LoggerProvider still
// applies OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT and
// OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT before the redaction
// processor sees a record: a count limit below an event's field count drops
// fields (a required one: the event is rejected, reason missing_required),
// and a length limit cuts strings (an enum or id cut short is rejected,
// reason enum or format). Unset, they limit nothing Caro records.
func Start(ctx context.Context, cfg Config, opts ...Option) *Client {
	o := options{version: "0.0.0-dev", now: time.Now, getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{now: o.now, getenv: o.getenv, version: o.version, warner: &warner{f: o.warn}}
	c.firstCommand.Store(-1)
	if !cfg.Enabled {
		return c
	}
	machineID := o.machineID
	if machineID == "" {
		id, err := MachineID(cfg.Dirs)
		if err != nil {
			c.warner.warn(fmt.Sprintf("telemetry is off for this run: %v", err))
			return c
		}
		machineID = id
	}
	c.start = o.now()
	c.sessionID = SessionID(machineID, c.start)
	c.level = cfg.Level
	c.validator = redaction.New()
	c.exporter = sqlitespool.NewInboxExporter(sqlitespool.Options{
		Path:     cfg.Dirs.SpoolFile(),
		MaxBytes: cfg.SpoolMaxBytes,
		Now:      o.now,
	}, func(err error) { c.warner.warn(fmt.Sprintf("telemetry: %v", err)) })

	// The batch processor allocates its whole queue and export batch up
	// front (about 1.3 KB a slot for both): a CLI session records a handful
	// of events (six, typically), exported every second and as soon as 32
	// are queued, so a small queue keeps Start well under a millisecond
	// (128 slots cost a fresh process about 60 us more, 2048 about 2 ms).
	// When it is full the oldest event is dropped, never the caller
	// blocked.
	var next sdklog.Processor = sdklog.NewBatchProcessor(c.exporter,
		sdklog.WithExportInterval(time.Second),
		sdklog.WithExportMaxBatchSize(queueSize),
		sdklog.WithMaxQueueSize(queueSize),
		sdklog.WithExportTimeout(5*time.Second),
	)
	if o.debug != nil {
		next = &debugProcessor{w: o.debug, next: next}
	}
	c.provider = sdklog.NewLoggerProvider(
		sdklog.WithResource(otelconv.Resource(o.version)),
		// The typed builders never repeat a key, and the redaction
		// processor drops repeats, so the SDK's per-record dedup map is
		// pure cost on the hot path.
		sdklog.WithAllowKeyDuplication(),
		// The schema bounds every event (its fields, their lengths); the
		// SDK's own limits would only let OTEL_LOGRECORD_ATTRIBUTE_*
		// variables meant for another program cut fields off, and
		// redaction would then refuse every event.
		sdklog.WithAttributeCountLimit(-1),
		sdklog.WithAttributeValueLengthLimit(-1),
		sdklog.WithProcessor(redaction.NewProcessor(next, c.validator)),
	)
	c.logger = c.provider.Logger("caro.sh/telemetry/sdk", log.WithInstrumentationVersion(o.version))
	c.enabled.Store(true)
	return c
}

// Enabled reports whether events are recorded.
func (c *Client) Enabled() bool { return c != nil && c.enabled.Load() }

// SessionID returns today's anonymous session id ("" when disabled).
func (c *Client) SessionID() string {
	if !c.Enabled() {
		return ""
	}
	return c.sessionID
}

// Rejections returns how many events the redaction processor rejected, by
// reason, plus dropped fields (counts only).
func (c *Client) Rejections() map[string]int64 {
	if !c.Enabled() {
		return nil
	}
	return c.validator.Counts()
}

// Shutdown persists every recorded event and the rejection counts, within
// ctx's deadline or DefaultShutdownTimeout. It is safe to call more than
// once; telemetry failures are reported through WithWarn, never returned.
func (c *Client) Shutdown(ctx context.Context) {
	// Only the first of concurrent Shutdowns persists; the others return.
	if c == nil || !c.enabled.CompareAndSwap(true, false) {
		return
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultShutdownTimeout)
		defer cancel()
	}
	if counts := c.validator.Counts(); len(counts) > 0 {
		prefixed := make(map[string]int64, len(counts))
		for k, v := range counts {
			prefixed["rejected_"+k] = v
		}
		c.exporter.AddCounters(prefixed)
	}
	if err := c.provider.Shutdown(ctx); err != nil {
		c.warner.warn(fmt.Sprintf("telemetry: events may be lost: %v", err))
	}
}

// warner passes on the first warning only.
type warner struct {
	once sync.Once
	f    func(string)
}

func (w *warner) warn(msg string) {
	if w.f == nil {
		return
	}
	w.once.Do(func() { w.f(msg) })
}

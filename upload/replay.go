package upload

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/event/otelconv"
	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
)

// AttrRecordUID is the OpenTelemetry semantic convention attribute that
// carries a record's stable id: the spooled event's EventID, so that a
// batch sent twice is deduplicated downstream. The schema declares it as
// the transport field of every event.
const AttrRecordUID = schema.KeyRecordUID

// ScopeName is the instrumentation scope of the records Flush and
// RequestDeletion send.
const ScopeName = "caro.sh/telemetry/upload"

// sender replays records through an sdk/log LoggerProvider whose one
// processor (batchProcessor) collects them; send then hands them to the
// otlploghttp exporter in one synchronous Export and classifies the result.
// A sender belongs to one goroutine.
type sender struct {
	s         settings
	provider  *sdklog.LoggerProvider
	logger    log.Logger
	proc      *batchProcessor
	exporter  *otlploghttp.Exporter
	transport *guard
	ownClient *http.Transport // closed by close; nil for a caller's client
}

func newSender(ctx context.Context, s settings) (*sender, error) {
	snd := &sender{s: s}
	var client http.Client
	if s.HTTPClient != nil {
		client = *s.HTTPClient
	} else {
		snd.ownClient = newTransport()
		client.Transport = snd.ownClient
	}
	snd.transport = &guard{next: client.Transport, resource: otelconv.Resource(s.Version)}
	if snd.transport.next == nil {
		snd.transport.next = http.DefaultTransport
	}
	client.Transport = snd.transport
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	// Every setting is passed explicitly: otlploghttp falls back to the
	// OTEL_EXPORTER_OTLP_* environment for unset ones, and none of that
	// (another endpoint, plain http, extra headers such as credentials)
	// may apply to Caro's telemetry.
	opts := []otlploghttp.Option{
		otlploghttp.WithEndpointURL(s.logsURL.String()), // host, path, and TLS unless http
		otlploghttp.WithCompression(otlploghttp.GzipCompression),
		otlploghttp.WithHeaders(map[string]string{"X-Caro-Version": s.Version}),
		otlploghttp.WithTimeout(s.AttemptTimeout),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}), // the failure table decides
		otlploghttp.WithHTTPClient(&client),
	}
	if s.logsURL.Scheme == "http" {
		opts = append(opts, otlploghttp.WithInsecure())
	}
	exp, err := otlploghttp.New(ctx, opts...)
	if err != nil {
		snd.close()
		return nil, fmt.Errorf("upload exporter for %s: %w", s.logsURL.Redacted(), err)
	}
	snd.exporter = exp
	snd.proc = &batchProcessor{}
	snd.provider = sdklog.NewLoggerProvider(
		sdklog.WithResource(otelconv.Resource(s.Version)), // service.name=caro, service.version: nothing else
		sdklog.WithProcessor(snd.proc),
		// Explicit, so that OTEL_LOGRECORD_ATTRIBUTE_* cannot truncate an
		// id or drop a field on the way out.
		sdklog.WithAttributeCountLimit(-1),
		sdklog.WithAttributeValueLengthLimit(-1),
	)
	snd.logger = snd.provider.Logger(ScopeName, log.WithInstrumentationVersion(s.Version))
	return snd, nil
}

// newTransport is http.DefaultTransport's configuration, private to one
// Flush so that its connections are closed when the flush ends.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func (snd *sender) close() {
	if snd.provider != nil {
		_ = snd.provider.Shutdown(context.Background())
	}
	if snd.exporter != nil {
		_ = snd.exporter.Shutdown(context.Background())
	}
	if snd.ownClient != nil {
		snd.ownClient.CloseIdleConnections()
	}
}

// send emits the records and exports them as one request. It returns nil
// when they were delivered, a *SendError when the failure table applies,
// or ctx's error when ctx ended (the request's fate is then unknown and the
// caller keeps the batch without counting a failure).
func (snd *sender) send(ctx context.Context, recs []log.Record) error {
	if len(recs) == 0 {
		return nil
	}
	// Emit with a fresh context: a span in the caller's ctx must not lend
	// its trace and span ids to Caro's records.
	for i := range recs {
		snd.logger.Emit(context.Background(), recs[i])
	}
	batch := snd.proc.take()
	if len(batch) != len(recs) {
		return fmt.Errorf("replay lost records: %d emitted, %d collected", len(recs), len(batch))
	}
	attempt, cancel := context.WithTimeout(ctx, snd.s.AttemptTimeout)
	defer cancel()
	snd.transport.reset(!batch[0].Resource().Equal(snd.transport.resource) ||
		batch[0].Resource().SchemaURL() != "")
	err := snd.exporter.Export(attempt, batch)
	status, retryAfter := snd.transport.last()
	if e := classify(status, retryAfter, err, snd.s.Now()); e != nil {
		if status == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		return e
	}
	return nil
}

// batchProcessor is the LoggerProvider's only processor: it keeps a copy
// of every emitted record until take. It never exports by itself; the
// sender does, synchronously, and so learns each batch's result. Safe for
// concurrent use, though a sender emits from one goroutine.
type batchProcessor struct {
	mu   sync.Mutex
	recs []sdklog.Record
}

var _ sdklog.Processor = (*batchProcessor)(nil)

// OnEmit keeps a clone: the SDK owns r only for the duration of the call.
func (p *batchProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	p.mu.Lock()
	p.recs = append(p.recs, r.Clone())
	p.mu.Unlock()
	return nil
}

// Enabled is always true: every replayed record is wanted.
func (p *batchProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// take returns the records emitted since the last take.
func (p *batchProcessor) take() []sdklog.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.recs
	p.recs = nil
	return out
}

// Shutdown drops what was not taken: nothing is half-sent.
func (p *batchProcessor) Shutdown(context.Context) error { p.take(); return nil }

// ForceFlush does nothing: the sender exports each batch itself.
func (p *batchProcessor) ForceFlush(context.Context) error { return nil }

// eventRecord is a spooled event as a log record: its name, time and
// fields, its stable id as log.record.uid, observed when it was spooled.
// The same event always makes the same record.
func eventRecord(ev *sqlitespool.Event) log.Record {
	var r log.Record
	r.SetEventName(ev.Name)
	r.SetTimestamp(ev.Time)
	observed := ev.CreatedAt
	if observed.IsZero() {
		observed = ev.Time
	}
	r.SetObservedTimestamp(observed)
	r.SetSeverity(log.SeverityInfo)
	kvs := make([]attribute.KeyValue, 0, len(ev.Attrs)+1)
	kvs = append(kvs, attribute.String(AttrRecordUID, ev.EventID))
	for _, a := range ev.Attrs {
		if kv, ok := otelconv.ToKeyValue(a); ok {
			kvs = append(kvs, kv)
		}
	}
	r.AddAttributes(kvs...)
	return r
}

package caroreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/receiver/caroreceiver/internal/ratelimit"
)

// Paths served.
const (
	// EventsPath is the spec's Endpoint Specification.
	EventsPath = "/v1/events"
	// UploadPath takes an air-gapped export file as the request body (the
	// spec's "Upload to https://caro.sh/telemetry/upload").
	UploadPath = "/telemetry/upload"
	// ExportsPath is UploadPath under the API's version prefix.
	ExportsPath = "/v1/exports"
)

// ScopeName is the instrumentation scope of the log records the receiver
// makes (caro_redaction keeps it).
var ScopeName = otelcolcaro.Receiver.ScopeName

// Sources, the source attribute of the receiver's metrics.
const (
	sourceEvents = "events"
	sourceUpload = "upload"
	sourceDrop   = "drop_folder"
)

// caroReceiver serves the spec's own formats over HTTP and watches the
// drop folder; both feed the same pipeline as OTLP.
//
// Handlers run concurrently; the Validator, the rate limiter and the
// metric instruments are safe for concurrent use.
type caroReceiver struct {
	cfg    *Config
	set    receiver.Settings
	next   consumer.Logs
	v      *redaction.Validator
	limit  *ratelimit.Limiter // nil: no limit
	keyer  *ratelimit.Keyer   // names a request's bucket
	obsrep *receiverhelper.ObsReport
	now    func() time.Time

	events   metric.Int64Counter
	requests metric.Int64Counter

	server   *http.Server
	addr     string // the listener's address, once started
	wg       sync.WaitGroup
	stopDrop chan struct{}
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*caroReceiver, error) {
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	r := &caroReceiver{cfg: cfg, set: set, next: next, v: redaction.New(), obsrep: obsrep, now: time.Now}
	if err := otelcolcaro.Receiver.NewCounters(set.MeterProvider, &r.events, &r.requests); err != nil {
		return nil, err
	}
	if rl := cfg.RateLimit; rl.RequestsPerMinute > 0 {
		if r.keyer, err = rl.keyer(); err != nil {
			return nil, err
		}
		r.limit = ratelimit.New(rl.RequestsPerMinute, rl.Burst, rl.MaxClients, nil)
	}
	return r, nil
}

// Start listens on the configured address and starts the drop folder's
// watcher.
func (r *caroReceiver) Start(ctx context.Context, host component.Host) error {
	mux := http.NewServeMux()
	mux.HandleFunc(EventsPath, r.handleEvents)
	mux.HandleFunc(UploadPath, r.handleUpload)
	mux.HandleFunc(ExportsPath, r.handleUpload)
	var err error
	r.server, err = r.cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings, mux,
		confighttp.WithErrorHandler(r.transportError))
	if err != nil {
		return err
	}
	ln, err := r.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("caro receiver: %w", err)
	}
	r.addr = ln.Addr().String()
	r.set.Logger.Info("Starting the caro receiver", zap.String("endpoint", r.addr))
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := r.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	if r.cfg.Exports.DropFolder != "" {
		stop := make(chan struct{})
		r.stopDrop = stop
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.watchDropFolder(stop)
		}()
	}
	return nil
}

// Shutdown stops the server and the watcher and waits for them.
func (r *caroReceiver) Shutdown(ctx context.Context) error {
	var err error
	if r.server != nil {
		err = r.server.Shutdown(ctx)
	}
	if r.stopDrop != nil {
		close(r.stopDrop)
		r.stopDrop = nil
	}
	r.wg.Wait()
	return err
}

// --- POST /v1/events ---

// eventsRequest is the spec's batch body.
type eventsRequest struct {
	Events          []json.RawMessage `json:"events"`
	BatchID         string            `json:"batch_id"`
	ClientTimestamp string            `json:"client_timestamp"`
}

// problem is one entry of a 400's details that is not about one event.
type problem struct {
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// handleEvents answers as the spec's Endpoint Specification says:
//
//	200 {"accepted": N, "rejected": M}    at least one event accepted, or none sent
//	400 {"error": "validation_failed", "details": [...]}
//	                                      the body is not a valid batch, or every event was rejected
//	429 {"retry_after": S}                the client is over its rate limit (also Retry-After: S)
//	503 {"error": "unavailable", "retry_after": S}
//	                                      the store is away for a moment (also Retry-After: S); the client keeps the batch
//	500 {"error": "internal"}             the pipeline failed; the client keeps the batch
//
// and 405 for another method, 413 for a body over the size limit.
func (r *caroReceiver) handleEvents(w http.ResponseWriter, req *http.Request) {
	if !r.admit(w, req, sourceEvents) {
		return
	}
	if ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); ct != "application/json" {
		r.invalid(w, sourceEvents, problem{Field: "Content-Type", Reason: "must be application/json"})
		return
	}
	body, ok := r.readBody(w, req, sourceEvents)
	if !ok {
		return
	}
	var br eventsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&br); err != nil || dec.More() {
		r.invalid(w, sourceEvents, problem{Reason: "the body is not the spec's JSON batch {events, batch_id, client_timestamp}"})
		return
	}
	var problems []problem
	if br.Events == nil {
		problems = append(problems, problem{Field: "events", Reason: "missing"})
	}
	if len(br.Events) > r.cfg.MaxEventsPerBatch {
		problems = append(problems, problem{Field: "events",
			Reason: fmt.Sprintf("%d events, more than %d", len(br.Events), r.cfg.MaxEventsPerBatch)})
	}
	if !isUUID(br.BatchID) {
		problems = append(problems, problem{Field: "batch_id", Reason: "not a UUID"})
	}
	if _, err := time.Parse(time.RFC3339Nano, br.ClientTimestamp); err != nil {
		problems = append(problems, problem{Field: "client_timestamp", Reason: "not an ISO 8601 (RFC 3339) time"})
	}
	if len(problems) > 0 {
		r.invalid(w, sourceEvents, problems...)
		return
	}
	b := ingest(r.v, br.Events, req.Header.Get("X-Caro-Version"), r.now())
	if b.accepted == 0 && b.rejected > 0 {
		r.countEvents(req.Context(), sourceEvents, b)
		r.reply(w, sourceEvents, http.StatusBadRequest, map[string]any{"error": "validation_failed", "details": b.details})
		return
	}
	if err := r.consume(req.Context(), b); err != nil {
		r.failed(w, sourceEvents, err)
		return
	}
	r.countEvents(req.Context(), sourceEvents, b)
	r.reply(w, sourceEvents, http.StatusOK, map[string]int{"accepted": b.accepted, "rejected": b.rejected})
}

// --- POST /telemetry/upload, /v1/exports ---

// handleUpload ingests one export file sent as the request body. It
// answers 200 {"accepted", "rejected", "event_count"} when the file is
// intact, 400 {"error": "invalid_export", "message"} when it is not a
// valid export (not gzip, a malformed envelope, a checksum that does not
// match: a tampered file), 413 when it inflates past the limit, and 429 and
// 500 as /v1/events.
func (r *caroReceiver) handleUpload(w http.ResponseWriter, req *http.Request) {
	if !r.admit(w, req, sourceUpload) {
		return
	}
	env, err := exportfile.Read(req.Body, r.cfg.Exports.MaxDecompressedBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe), errors.Is(err, exportfile.ErrTooLarge):
			r.reply(w, sourceUpload, http.StatusRequestEntityTooLarge, map[string]string{"error": "too_large", "message": err.Error()})
		case isExportContentError(err):
			r.reply(w, sourceUpload, http.StatusBadRequest, map[string]string{"error": "invalid_export", "message": err.Error()})
		default: // the connection failed while reading
			r.reply(w, sourceUpload, http.StatusBadRequest, map[string]string{"error": "invalid_export", "message": "the upload was cut off"})
		}
		return
	}
	b := ingest(r.v, env.Events, env.CaroVersion, r.now())
	if err := r.consume(req.Context(), b); err != nil {
		r.failed(w, sourceUpload, err)
		return
	}
	r.countEvents(req.Context(), sourceUpload, b)
	r.reply(w, sourceUpload, http.StatusOK, map[string]int{
		"accepted": b.accepted, "rejected": b.rejected, "event_count": env.EventCount})
}

func isExportContentError(err error) bool {
	for _, s := range []error{exportfile.ErrMalformed, exportfile.ErrChecksum, exportfile.ErrVersion, exportfile.ErrTooLarge} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// --- shared ---

// admit checks the method and the client's rate limit, answering 405 or
// 429 itself when the request may not go on.
func (r *caroReceiver) admit(w http.ResponseWriter, req *http.Request, source string) bool {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.reply(w, source, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
		return false
	}
	if r.limit == nil {
		return true
	}
	// The key is the client's address: it goes into the buckets and
	// nowhere else (no log, no metric attribute, nothing stored).
	ok, wait := r.limit.Allow(r.keyer.Key(req.RemoteAddr, req.Header))
	if ok {
		return true
	}
	secs := int64(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	r.reply(w, source, http.StatusTooManyRequests, map[string]int64{"retry_after": secs})
	return false
}

// readBody reads the (already decompressed) body, answering 413 when it is
// over the limit and 400 when it cannot be read.
func (r *caroReceiver) readBody(w http.ResponseWriter, req *http.Request, source string) ([]byte, bool) {
	body, err := io.ReadAll(req.Body)
	if err == nil {
		return body, true
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		r.reply(w, source, http.StatusRequestEntityTooLarge, map[string]string{"error": "too_large"})
	default:
		// confighttp decompresses as the body is read (and drops the
		// Content-Encoding header): a gzip stream cut short or corrupt
		// fails here, not before the handler.
		r.invalid(w, source, problem{Reason: "the body could not be read or decompressed: " + err.Error()})
	}
	return nil, false
}

// consume hands the accepted records to the pipeline.
func (r *caroReceiver) consume(ctx context.Context, b batch) error {
	n := b.logs.LogRecordCount()
	if n == 0 {
		return nil
	}
	ctx = r.obsrep.StartLogsOp(ctx)
	err := r.next.ConsumeLogs(ctx, b.logs)
	r.obsrep.EndLogsOp(ctx, "caro_json", n, err)
	return err
}

// failed answers a pipeline error: 400 for a permanent one (the data will
// never be accepted), else the spec's 500.
func (r *caroReceiver) failed(w http.ResponseWriter, source string, err error) {
	if consumererror.IsPermanent(err) {
		r.set.Logger.Warn("caro receiver: pipeline refused events", zap.String("source", source), zap.Error(err))
		r.invalid(w, source, problem{Reason: "the events were refused by the pipeline"})
		return
	}
	// A store that is away for a moment says how long to wait (a gRPC
	// status with RetryInfo, as the OTLP receiver reads it too). The store
	// logs why, once per interval; a line here for every request would
	// bury it.
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable {
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				secs := max(int64(ri.GetRetryDelay().AsDuration()/time.Second), 1)
				w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
				r.reply(w, source, http.StatusServiceUnavailable, map[string]any{"error": "unavailable", "retry_after": secs})
				return
			}
		}
	}
	r.set.Logger.Warn("caro receiver: pipeline refused events", zap.String("source", source), zap.Error(err))
	r.reply(w, source, http.StatusInternalServerError, map[string]string{"error": "internal"})
}

func (r *caroReceiver) invalid(w http.ResponseWriter, source string, details ...problem) {
	r.reply(w, source, http.StatusBadRequest, map[string]any{"error": "validation_failed", "details": details})
}

// transportError answers what confighttp refuses before our handlers run:
// a body that does not decompress, or one over the size limit.
func (r *caroReceiver) transportError(w http.ResponseWriter, req *http.Request, msg string, status int) {
	source := sourceEvents
	if req.URL.Path != EventsPath {
		source = sourceUpload
	}
	if status == http.StatusRequestEntityTooLarge {
		r.reply(w, source, status, map[string]string{"error": "too_large"})
		return
	}
	if status >= 500 {
		r.reply(w, source, http.StatusInternalServerError, map[string]string{"error": "internal"})
		return
	}
	r.reply(w, source, http.StatusBadRequest, map[string]any{"error": "validation_failed",
		"details": []problem{{Field: "Content-Encoding", Reason: "the body could not be decompressed"}}})
}

func (r *caroReceiver) reply(w http.ResponseWriter, source string, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
	r.requests.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("source", source), attribute.Int("status", status)))
}

func (r *caroReceiver) countEvents(ctx context.Context, source string, b batch) {
	if b.accepted > 0 {
		r.events.Add(ctx, int64(b.accepted), metric.WithAttributes(
			attribute.String("source", source), attribute.String("outcome", "accepted")))
	}
	if b.rejected > 0 {
		r.events.Add(ctx, int64(b.rejected), metric.WithAttributes(
			attribute.String("source", source), attribute.String("outcome", "rejected")))
	}
}

// isUUID accepts the 8-4-4-4-12 hex form, any version, either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

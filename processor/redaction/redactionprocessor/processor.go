package redactionprocessor

import (
	"context"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"caro.sh/telemetry/event/pdataconv"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// Scope names kept on the way through: those of Caro's own senders. Any
// other scope name (free text a client chose) is cleared.
var knownScopes = []string{
	"caro.sh/telemetry/upload",     // upload.ScopeName: caro telemetry flush
	otelcolcaro.Receiver.ScopeName, // the caro receiver's /v1/events and export files
}

// Kinds of removed items, the kind attribute of caro_redaction_removed.
const (
	removedField     = "field"              // an attribute the event does not declare, a duplicate, a body, a severity text
	removedResource  = "resource_attribute" // a resource attribute besides service.name and service.version
	removedScope     = "scope"              // a scope's attributes, or a name or version that is not Caro's
	removedTraceCtx  = "trace_context"      // a trace or span id, trace flags
	outcomeAccepted  = "accepted"
	outcomeRejected  = "rejected"
	attrOutcome      = "outcome"
	attrReason       = "reason"
	attrRemovedKind  = "kind"
	scratchAttrsSize = 16
)

// redactor applies the redaction core (a redaction.Validator, the same
// code as the client SDK's processor) to every log record of a batch:
// records it rejects are removed, accepted ones keep only their allowed
// attributes. It also reduces each resource to service.name and
// service.version, and each scope to Caro's own names.
//
// processLogs is called concurrently by the pipeline; the Validator and
// the metric instruments are safe for concurrent use, and scratch slices
// come from a pool.
type redactor struct {
	cfg     *Config
	v       *redaction.Validator
	records metric.Int64Counter
	removed metric.Int64Counter

	accepted metric.MeasurementOption
	rejected map[redaction.Reason]metric.MeasurementOption
	kinds    map[string]metric.MeasurementOption
	scratch  sync.Pool
}

func newRedactor(cfg *Config, set component.TelemetrySettings) (*redactor, error) {
	r := &redactor{
		cfg: cfg, v: redaction.New(),
		accepted: metric.WithAttributeSet(attribute.NewSet(attribute.String(attrOutcome, outcomeAccepted))),
		rejected: make(map[redaction.Reason]metric.MeasurementOption),
		kinds:    make(map[string]metric.MeasurementOption),
	}
	if err := otelcolcaro.Redaction.NewCounters(set.MeterProvider, &r.records, &r.removed); err != nil {
		return nil, err
	}
	for _, reason := range redaction.Reasons() {
		r.rejected[reason] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String(attrOutcome, outcomeRejected), attribute.String(attrReason, reason.String())))
	}
	for _, k := range []string{removedField, removedResource, removedScope, removedTraceCtx} {
		r.kinds[k] = metric.WithAttributeSet(attribute.NewSet(attribute.String(attrRemovedKind, k)))
	}
	r.scratch.New = func() any {
		s := make([]schema.Attr, 0, scratchAttrsSize)
		return &s
	}
	return r, nil
}

// tally counts one batch's outcomes, reported once per batch.
type tally struct {
	accepted int64
	rejected map[redaction.Reason]int64
	removed  map[string]int64
}

func (t *tally) reject(r redaction.Reason, n int64) {
	if t.rejected == nil {
		t.rejected = make(map[redaction.Reason]int64)
	}
	t.rejected[r] += n
}

func (t *tally) remove(kind string, n int64) {
	if n == 0 {
		return
	}
	if t.removed == nil {
		t.removed = make(map[string]int64)
	}
	t.removed[kind] += n
}

func (p *redactor) report(ctx context.Context, t *tally) {
	if t.accepted > 0 {
		p.records.Add(ctx, t.accepted, p.accepted)
	}
	for r, n := range t.rejected {
		p.records.Add(ctx, n, p.rejected[r])
	}
	for k, n := range t.removed {
		p.removed.Add(ctx, n, p.kinds[k])
	}
}

// processLogs filters the batch in place. A batch left with no record is
// not passed on (ErrSkipProcessingData).
func (p *redactor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var t tally
	bp := p.scratch.Get().(*[]schema.Attr)
	buf := *bp
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		if reason := p.scrubResource(rl.Resource(), &t); reason != redaction.ReasonNone {
			n := int64(0)
			for i := range rl.ScopeLogs().Len() {
				n += int64(rl.ScopeLogs().At(i).LogRecords().Len())
			}
			t.reject(reason, n)
			return true
		}
		rl.SetSchemaUrl("")
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			scrubScope(sl, &t)
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				buf = pdataconv.AppendAttrs(buf[:0], lr.Attributes())
				out, reason, changed := p.v.ApplyChanged(lr.EventName(), buf)
				if reason != redaction.ReasonNone {
					t.reject(reason, 1)
					return true
				}
				if changed {
					t.remove(removedField, int64(lr.Attributes().Len()-len(out)))
					pdataconv.PutAttrs(lr.Attributes(), out)
				}
				scrubRecord(lr, &t)
				t.accepted++
				return false
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	clear(buf[:cap(buf)])
	if cap(buf) <= 4*scratchAttrsSize {
		*bp = buf[:0]
		p.scratch.Put(bp)
	}
	p.report(ctx, &t)
	if ld.ResourceLogs().Len() == 0 {
		return ld, processorhelper.ErrSkipProcessingData
	}
	return ld, nil
}

// scrubResource keeps service.name (which must be one of the configured
// names) and service.version (when it is a clean version) and removes
// every other attribute, or, with RejectResourceAttributes, refuses the
// resource. It returns the reason to drop the resource's records, or
// ReasonNone.
func (p *redactor) scrubResource(res pcommon.Resource, t *tally) redaction.Reason {
	attrs := res.Attributes()
	name, ok := attrs.Get(schema.ResourceServiceName)
	if !ok || name.Type() != pcommon.ValueTypeStr || !slices.Contains(p.cfg.ServiceNames, name.Str()) {
		return redaction.ReasonResource
	}
	var removed int64
	attrs.RemoveIf(func(k string, v pcommon.Value) bool {
		keep := k == schema.ResourceServiceName ||
			(k == schema.ResourceServiceVersion && v.Type() == pcommon.ValueTypeStr &&
				redaction.ValidFormat(schema.FormatVersion, v.Str()))
		if !keep {
			removed++
		}
		return !keep
	})
	if removed > 0 && p.cfg.RejectResourceAttributes {
		return redaction.ReasonResource
	}
	t.remove(removedResource, removed+int64(res.DroppedAttributesCount()))
	res.SetDroppedAttributesCount(0)
	return redaction.ReasonNone
}

// scrubScope keeps a scope's name only when it is one of Caro's senders,
// and its version only then and when it is a clean version; scope
// attributes are removed.
func scrubScope(sl plog.ScopeLogs, t *tally) {
	sl.SetSchemaUrl("")
	sc := sl.Scope()
	n := int64(sc.Attributes().Len())
	sc.Attributes().Clear()
	sc.SetDroppedAttributesCount(0)
	if sc.Name() != "" && !slices.Contains(knownScopes, sc.Name()) {
		sc.SetName("")
		n++
	}
	if v := sc.Version(); v != "" && (sc.Name() == "" || !redaction.ValidFormat(schema.FormatVersion, v)) {
		sc.SetVersion("")
		n++
	}
	t.remove(removedScope, n)
}

// scrubRecord clears what an accepted record may carry beyond its event
// name, times, severity number and allowed attributes: the body and the
// severity text are free text, a trace context links to other telemetry.
func scrubRecord(lr plog.LogRecord, t *tally) {
	if lr.Body().Type() != pcommon.ValueTypeEmpty {
		pcommon.NewValueEmpty().CopyTo(lr.Body())
		t.remove(removedField, 1)
	}
	if lr.SeverityText() != "" {
		lr.SetSeverityText("")
		t.remove(removedField, 1)
	}
	if !lr.TraceID().IsEmpty() || !lr.SpanID().IsEmpty() || lr.Flags() != 0 {
		lr.SetTraceID(pcommon.NewTraceIDEmpty())
		lr.SetSpanID(pcommon.NewSpanIDEmpty())
		lr.SetFlags(0)
		t.remove(removedTraceCtx, 1)
	}
	lr.SetDroppedAttributesCount(0)
}

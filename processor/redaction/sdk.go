package redaction

import (
	"context"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"caro.sh/telemetry/event/otelconv"
	"caro.sh/telemetry/schema"
)

// Processor is the SDK face of the Validator: an sdklog.Processor that wraps
// the next processor of the pipeline (the spool, an exporter) and passes on
// only records that the Validator accepts, with their attributes filtered.
//
// The SDK hands every registered processor the same record, so Processor
// must be the only one registered with the LoggerProvider, with every other
// link behind it as next. Dropping a record means not calling next.OnEmit;
// its attributes, body and severity text are also cleared, so that a
// processor wrongly registered beside this one does not see them either.
//
// On an accepted record Processor clears the body and the severity text
// (free text, not in the schema; counted as dropped fields) and, only when
// the Validator dropped or truncated a field, rewrites the attributes.
//
// The record's resource must carry only schema.ResourceKeys() with clean
// string values: build the provider with sdklog.WithResource and
// resource.NewSchemaless, since resource.Default adds telemetry.sdk.* keys
// and every record would be rejected with ReasonResource. The verdict is
// cached per resource.
//
// Processor is safe for concurrent use. It keeps no reference to a record or
// to any value after OnEmit returns.
type Processor struct {
	next sdklog.Processor
	v    *Validator
	res  atomic.Pointer[resourceVerdict]
}

var _ sdklog.Processor = (*Processor)(nil)

type resourceVerdict struct {
	res    *resource.Resource
	reason Reason
}

// NewProcessor returns a Processor that validates records with v and passes
// accepted ones to next, which must not be nil. A nil v gets a New one; pass
// your own to read its Counts.
func NewProcessor(next sdklog.Processor, v *Validator) *Processor {
	if v == nil {
		v = New()
	}
	return &Processor{next: next, v: v}
}

// attrPool holds the scratch slices of OnEmit; they are cleared before they
// go back, so that the pool never holds a value.
var attrPool = sync.Pool{New: func() any {
	s := make([]schema.Attr, 0, 16)
	return &s
}}

var kvPool = sync.Pool{New: func() any {
	s := make([]attribute.KeyValue, 0, 16)
	return &s
}}

// OnEmit validates r and passes it to next when accepted. A rejected record
// is counted by the Validator and dropped; OnEmit then returns nil.
func (p *Processor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if reason := p.resourceReason(r.Resource()); reason != ReasonNone {
		p.v.count(reason)
		scrub(r)
		return nil
	}

	bp := attrPool.Get().(*[]schema.Attr)
	attrs := (*bp)[:0]
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		attrs = append(attrs, schema.Attr{Key: string(kv.Key), Value: fromOTel(kv.Value)})
		return true
	})
	out, reason, changed := p.v.apply(r.EventName(), attrs)
	if reason != ReasonNone {
		putAttrs(bp, attrs)
		scrub(r)
		return nil
	}
	if changed {
		kp := kvPool.Get().(*[]attribute.KeyValue)
		kvs := (*kp)[:0]
		for _, a := range out {
			kvs = append(kvs, toOTel(a))
		}
		r.SetAttributes(kvs...) // copies kvs
		clear(kvs)
		if cap(kvs) <= maxPooled {
			*kp = kvs[:0]
			kvPool.Put(kp)
		}
	}
	putAttrs(bp, attrs)

	extra := 0
	if r.Body().Type() != attribute.EMPTY {
		r.SetBody(attribute.Value{})
		extra++
	}
	if r.SeverityText() != "" {
		r.SetSeverityText("")
		extra++
	}
	if extra > 0 {
		p.v.dropped.Add(int64(extra))
	}
	return p.next.OnEmit(ctx, r)
}

// maxPooled caps the slices kept in the pools: an event has at most a dozen
// fields, and a record with hundreds of attributes should not pin memory.
const maxPooled = 64

func putAttrs(bp *[]schema.Attr, attrs []schema.Attr) {
	clear(attrs[:cap(attrs)])
	if cap(attrs) > maxPooled {
		return
	}
	*bp = attrs[:0]
	attrPool.Put(bp)
}

// scrub clears what a rejected record carries beyond its event name.
func scrub(r *sdklog.Record) {
	r.SetAttributes()
	r.SetBody(attribute.Value{})
	r.SetSeverityText("")
}

// resourceReason checks the resource's keys and values once per resource.
func (p *Processor) resourceReason(res *resource.Resource) Reason {
	if c := p.res.Load(); c != nil && c.res == res {
		return c.reason
	}
	var attrs []schema.Attr
	if res != nil {
		for it := res.Iter(); it.Next(); {
			kv := it.Attribute()
			attrs = append(attrs, schema.Attr{Key: string(kv.Key), Value: fromOTel(kv.Value)})
		}
	}
	reason := checkResourceAttrs(attrs)
	p.res.Store(&resourceVerdict{res: res, reason: reason})
	return reason
}

// fromOTel converts a value; a kind the schema does not know gets no
// schema type and so fails the field's type check.
func fromOTel(v attribute.Value) schema.Value {
	sv, _ := otelconv.FromValue(v)
	return sv
}

// toOTel converts an accepted value (Apply accepts only typed values).
func toOTel(a schema.Attr) attribute.KeyValue {
	kv, _ := otelconv.ToKeyValue(a)
	return kv
}

// Enabled delegates to next.
func (p *Processor) Enabled(ctx context.Context, param sdklog.EnabledParameters) bool {
	return p.next.Enabled(ctx, param)
}

// Shutdown delegates to next.
func (p *Processor) Shutdown(ctx context.Context) error { return p.next.Shutdown(ctx) }

// ForceFlush delegates to next.
func (p *Processor) ForceFlush(ctx context.Context) error { return p.next.ForceFlush(ctx) }

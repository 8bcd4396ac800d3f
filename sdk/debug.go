package sdk

import (
	"context"
	"fmt"
	"io"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/event/otelconv"
	"caro.sh/telemetry/schema"
)

// debugProcessor sits after redaction: it prints what will be stored, in
// the stored JSON form, then passes the record on unchanged.
type debugProcessor struct {
	mu   sync.Mutex
	w    io.Writer
	next sdklog.Processor
}

func (d *debugProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	attrs := make([]schema.Attr, 0, r.AttributesLen())
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		a, _ := otelconv.FromKeyValue(kv)
		attrs = append(attrs, a)
		return true
	})
	if b, err := event.Encode(r.EventName(), r.Timestamp(), attrs); err == nil {
		d.mu.Lock()
		fmt.Fprintf(d.w, "caro telemetry: %s\n", b)
		d.mu.Unlock()
	}
	return d.next.OnEmit(ctx, r)
}

func (d *debugProcessor) Enabled(ctx context.Context, p sdklog.EnabledParameters) bool {
	return d.next.Enabled(ctx, p)
}
func (d *debugProcessor) Shutdown(ctx context.Context) error   { return d.next.Shutdown(ctx) }
func (d *debugProcessor) ForceFlush(ctx context.Context) error { return d.next.ForceFlush(ctx) }

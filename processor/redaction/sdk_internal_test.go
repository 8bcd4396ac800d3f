package redaction

import (
	"context"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"caro.sh/telemetry/schema"
)

// Discard is an sdklog.Processor that drops every record, the next
// processor of the tests and benchmarks (the external test package has it
// as redaction.Discard: this file is compiled into the package under test).
type Discard struct{}

func (Discard) OnEmit(context.Context, *sdklog.Record) error           { return nil }
func (Discard) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (Discard) Shutdown(context.Context) error                         { return nil }
func (Discard) ForceFlush(context.Context) error                       { return nil }

// TestPooledSlicesHoldNoValue checks that the scratch slices go back to the
// pool zeroed, after an accepted and after a rejected record, so that the
// pool never retains a value.
func TestPooledSlicesHoldNoValue(t *testing.T) {
	lp := sdklog.NewLoggerProvider(
		sdklog.WithResource(resource.NewSchemaless(attribute.String(schema.ResourceServiceName, schema.ServiceName))),
		sdklog.WithProcessor(NewProcessor(Discard{}, New())),
	)
	defer func() { _ = lp.Shutdown(context.Background()) }()
	logger := lp.Logger("caro")
	for _, version := range []string{"1.1.0", "/home/alice"} {
		t.Run("after "+version+" the pool holds zeroed slices", func(t *testing.T) {
			var rec log.Record
			rec.SetEventName(schema.EventSessionStart)
			rec.AddAttributes(
				attribute.String(schema.KeySessionID, "0123456789abcdef"),
				attribute.String("caro_version", version),
				attribute.String("hostname", "alices-macbook"),
			)
			logger.Emit(context.Background(), rec)
			bp := attrPool.Get().(*[]schema.Attr)
			defer attrPool.Put(bp)
			for i, a := range (*bp)[:cap(*bp)] {
				if !reflect.ValueOf(a).IsZero() {
					t.Errorf("pooled slice element %d = %+v, want zero", i, a)
				}
			}
		})
	}
}

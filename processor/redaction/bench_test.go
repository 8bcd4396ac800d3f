package redaction_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// BenchmarkApply validates a typical session.start with all 11 fields.
func BenchmarkApply(b *testing.B) {
	v := redaction.New()
	start := validAttrs(mustEvent(b, schema.EventSessionStart))
	start = with(start, schema.KeySessionID, schema.String("9f86d081884c7d65"))
	buf := make([]schema.Attr, len(start))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, start) // Apply works in place
		if _, r := v.Apply(schema.EventSessionStart, buf); r != redaction.ReasonNone {
			b.Fatal(r)
		}
	}
}

// BenchmarkApplyRejectPath validates a session.start whose version is a path.
func BenchmarkApplyRejectPath(b *testing.B) {
	v := redaction.New()
	start := with(validAttrs(mustEvent(b, schema.EventSessionStart)), "caro_version", schema.String("/home/alice/caro"))
	buf := make([]schema.Attr, len(start))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, start)
		if _, r := v.Apply(schema.EventSessionStart, buf); r != redaction.ReasonPath {
			b.Fatal(r)
		}
	}
}

// BenchmarkApplyCommandGenerated validates a command.generated with a model
// name, the event with the most free strings: a catalog name as the CLI
// records it (one map lookup), and a spelling that is scanned, normalised
// and looked up (as the collector may receive from an older client).
func BenchmarkApplyCommandGenerated(b *testing.B) {
	for _, model := range []string{"qwen2.5-coder:1.5b", "qwen2.5-coder:7b-instruct-q4_K_M", "hunter2"} {
		b.Run(model, func(b *testing.B) {
			v := redaction.New()
			gen := with(validAttrs(mustEvent(b, schema.EventCommandGenerated)), "model_name", schema.String(model))
			buf := make([]schema.Attr, len(gen))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, gen)
				if _, r := v.Apply(schema.EventCommandGenerated, buf); r != redaction.ReasonNone {
					b.Fatal(r)
				}
			}
		})
	}
}

// BenchmarkDetect runs Detect on the free strings of a session.
func BenchmarkDetect(b *testing.B) {
	for _, s := range []string{"1.1.0", "Qwen2.5-Coder-1.5B", "qwen2.5-coder:7b-instruct-q4_K_M", validUUID} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if redaction.Detect(s) != redaction.ReasonNone {
					b.Fatal(s)
				}
			}
		})
	}
}

type noopProcessor struct{}

func (noopProcessor) OnEmit(context.Context, *sdklog.Record) error           { return nil }
func (noopProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (noopProcessor) Shutdown(context.Context) error                         { return nil }
func (noopProcessor) ForceFlush(context.Context) error                       { return nil }

// BenchmarkProcessorOnEmit emits a session.start through a LoggerProvider
// whose only processor is the redaction Processor in front of a no-op. The
// baseline is the same provider with the no-op alone: the difference is
// the cost of redaction.
func BenchmarkProcessorOnEmit(b *testing.B) {
	var rec log.Record
	rec.SetEventName(schema.EventSessionStart)
	rec.AddAttributes(toKVs(validAttrs(mustEvent(b, schema.EventSessionStart)))...)

	for _, bc := range []struct {
		name string
		proc sdklog.Processor
	}{
		{"redaction", redaction.NewProcessor(noopProcessor{}, redaction.New())},
		{"baseline without redaction", noopProcessor{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			lp := sdklog.NewLoggerProvider(sdklog.WithResource(caroResource()), sdklog.WithProcessor(bc.proc))
			defer func() { _ = lp.Shutdown(context.Background()) }()
			logger := lp.Logger("caro")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				logger.Emit(ctx, rec)
			}
		})
	}
}

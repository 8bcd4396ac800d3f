package redaction_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// BenchmarkApply validates a typical session.start with all 11 fields, a
// session.start whose version is a path (the reject path), and a
// command.generated with a model name, the event with the most free
// strings: a catalog name as the CLI records it (one map lookup), and
// spellings that are scanned, normalised and looked up (as the collector
// may receive from an older client).
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		name, event, key, value string
		want                    redaction.Reason
	}{
		{"session.start", schema.EventSessionStart, schema.KeySessionID, "9f86d081884c7d65", redaction.ReasonNone},
		{"session.start with a path as version", schema.EventSessionStart, "caro_version", "/home/alice/caro", redaction.ReasonPath},
		{"command.generated with qwen2.5-coder:1.5b", schema.EventCommandGenerated, "model_name", "qwen2.5-coder:1.5b", redaction.ReasonNone},
		{"command.generated with qwen2.5-coder:7b-instruct-q4_K_M", schema.EventCommandGenerated, "model_name", "qwen2.5-coder:7b-instruct-q4_K_M", redaction.ReasonNone},
		{"command.generated with hunter2", schema.EventCommandGenerated, "model_name", "hunter2", redaction.ReasonNone},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := redaction.New()
			attrs := with(validAttrs(mustEvent(b, bc.event)), bc.key, schema.String(bc.value))
			buf := make([]schema.Attr, len(attrs))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, attrs) // Apply works in place
				if _, r := v.Apply(bc.event, buf); r != bc.want {
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
		{"redaction", redaction.NewProcessor(redaction.Discard{}, redaction.New())},
		{"baseline without redaction", redaction.Discard{}},
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

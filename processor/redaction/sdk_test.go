package redaction_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

// recorder is the next link of the pipeline in these tests: it keeps a
// clone of every record it is handed.
type recorder struct {
	mu       sync.Mutex
	records  []sdklog.Record
	enabled  int
	flushed  int
	shutdown int
}

func (r *recorder) OnEmit(_ context.Context, rec *sdklog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

func (r *recorder) Enabled(context.Context, sdklog.EnabledParameters) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.enabled++
	return true
}

func (r *recorder) Shutdown(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shutdown++
	return nil
}

func (r *recorder) ForceFlush(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushed++
	return nil
}

func (r *recorder) got() []sdklog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sdklog.Record(nil), r.records...)
}

func caroResource() *resource.Resource {
	return resource.NewSchemaless(
		attribute.String(schema.ResourceServiceName, schema.ServiceName),
		attribute.String(schema.ResourceServiceVersion, "1.1.0"),
	)
}

// pipeline is a LoggerProvider with the redaction Processor in front of a
// recorder, and optionally a second recorder registered beside it (the
// misconfiguration that scrubbing guards against).
type pipeline struct {
	logger  log.Logger
	v       *redaction.Validator
	next    *recorder
	sibling *recorder
	lp      *sdklog.LoggerProvider
}

func newPipeline(t *testing.T, res *resource.Resource) *pipeline {
	t.Helper()
	p := &pipeline{v: redaction.New(), next: &recorder{}, sibling: &recorder{}}
	p.lp = sdklog.NewLoggerProvider(
		sdklog.WithResource(res),
		sdklog.WithProcessor(redaction.NewProcessor(p.next, p.v)),
		sdklog.WithProcessor(p.sibling),
	)
	t.Cleanup(func() { _ = p.lp.Shutdown(context.Background()) })
	p.logger = p.lp.Logger("caro")
	return p
}

func toKVs(attrs []schema.Attr) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(attrs))
	for _, a := range attrs {
		switch a.Value.Type {
		case schema.TypeString:
			out = append(out, attribute.String(a.Key, a.Value.Str))
		case schema.TypeInt:
			out = append(out, attribute.Int64(a.Key, a.Value.Int))
		case schema.TypeBool:
			out = append(out, attribute.Bool(a.Key, a.Value.Bool))
		case schema.TypeFloat:
			out = append(out, attribute.Float64(a.Key, a.Value.Float))
		}
	}
	return out
}

func (p *pipeline) emit(event string, kvs ...attribute.KeyValue) {
	var rec log.Record
	rec.SetEventName(event)
	rec.AddAttributes(kvs...)
	p.logger.Emit(context.Background(), rec)
}

func attrsOf(rec sdklog.Record) map[string]attribute.Value {
	out := map[string]attribute.Value{}
	rec.WalkAttributes(func(kv attribute.KeyValue) bool {
		out[string(kv.Key)] = kv.Value
		return true
	})
	return out
}

func TestProcessorPassesAnAcceptedRecordUnchanged(t *testing.T) {
	p := newPipeline(t, caroResource())
	start := validAttrs(mustEvent(t, schema.EventSessionStart))
	p.emit(schema.EventSessionStart, toKVs(start)...)

	got := p.next.got()
	if len(got) != 1 {
		t.Fatalf("next got %d records, want 1", len(got))
	}
	if got[0].EventName() != schema.EventSessionStart {
		t.Errorf("event name = %q", got[0].EventName())
	}
	var keys []string
	got[0].WalkAttributes(func(kv attribute.KeyValue) bool {
		keys = append(keys, string(kv.Key))
		return true
	})
	for i, a := range start {
		if i >= len(keys) || keys[i] != a.Key {
			t.Fatalf("attribute keys = %v, want the schema order of %v", keys, start)
		}
	}
}

func TestProcessorFiltersAnAcceptedRecord(t *testing.T) {
	p := newPipeline(t, caroResource())
	gen := validAttrs(mustEvent(t, schema.EventCommandGenerated))
	gen = with(gen, "model_name", schema.String("hunter2")) // a model outside the catalog
	kvs := append(toKVs(gen),
		attribute.String("command", "ls -la"),
		attribute.String("prompt", "list my files"),
		attribute.ByteSlice("blob", []byte("secret")),
	)
	var rec log.Record
	rec.SetEventName(schema.EventCommandGenerated)
	rec.SetBody(attribute.StringValue("free text the schema does not know"))
	rec.SetSeverityText("INFO")
	rec.AddAttributes(kvs...)
	p.logger.Emit(context.Background(), rec)

	got := p.next.got()
	if len(got) != 1 {
		t.Fatalf("next got %d records, want 1", len(got))
	}
	attrs := attrsOf(got[0])
	t.Run("the keys the schema does not allow are gone", func(t *testing.T) {
		for _, k := range []string{"command", "prompt", "blob"} {
			if _, ok := attrs[k]; ok {
				t.Errorf("attribute %q was passed on", k)
			}
		}
		if len(attrs) != len(gen) {
			t.Errorf("next got %d attributes, want %d", len(attrs), len(gen))
		}
	})
	t.Run("a model outside the catalog is recorded as custom", func(t *testing.T) {
		if s := attrs["model_name"].AsString(); s != schema.ModelCustom {
			t.Errorf("model_name = %q, want %q", s, schema.ModelCustom)
		}
	})
	t.Run("the types are kept", func(t *testing.T) {
		if attrs["inference_time_ms"].Type() != attribute.INT64 || attrs["confidence_score"].Type() != attribute.FLOAT64 {
			t.Errorf("attributes = %v", attrs)
		}
	})
	t.Run("the body and the severity text are cleared", func(t *testing.T) {
		if got[0].Body().Type() != attribute.EMPTY || got[0].SeverityText() != "" {
			t.Errorf("body = %v, severity text = %q", got[0].Body(), got[0].SeverityText())
		}
	})
	t.Run("the drops are counted", func(t *testing.T) {
		if n := p.v.Counts()[redaction.DroppedField]; n != 5 {
			t.Errorf("dropped_field = %d, want 5 (3 keys, body, severity text)", n)
		}
	})
}

func TestProcessorDropsARejectedRecord(t *testing.T) {
	const secret = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
	start := validAttrs(mustEvent(t, schema.EventSessionStart))
	tests := []struct {
		name string
		kvs  []attribute.KeyValue
		want string
	}{
		{"a secret in a field drops the record", toKVs(with(start, "caro_version", schema.String(secret))), "secret"},
		{"a path in an enum field drops the record", toKVs(with(start, "platform.shell", schema.String("/bin/zsh"))), "path"},
		{"a slice in an allowed field drops the record",
			append(toKVs(without(start, "caro_version")), attribute.StringSlice("caro_version", []string{"1.1.0"})), "type"},
		{"a map in an allowed field drops the record",
			append(toKVs(without(start, "caro_version")), attribute.Map("caro_version", attribute.String("a", "b"))), "type"},
		{"bytes in an allowed field drop the record",
			append(toKVs(without(start, "caro_version")), attribute.ByteSlice("caro_version", []byte("1.1.0"))), "type"},
		{"a missing required field drops the record", toKVs(without(start, schema.KeySessionID)), "missing_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, caroResource())
			p.emit(schema.EventSessionStart, tt.kvs...)
			if n := len(p.next.got()); n != 0 {
				t.Fatalf("next got %d records, want 0", n)
			}
			if n := p.v.Counts()[tt.want]; n != 1 {
				t.Errorf("Counts()[%s] = %d, want 1 (counts %v)", tt.want, n, p.v.Counts())
			}
			t.Run("and a processor beside it sees no attribute", func(t *testing.T) {
				sib := p.sibling.got()
				if len(sib) != 1 {
					t.Fatalf("sibling got %d records", len(sib))
				}
				if n := sib[0].AttributesLen(); n != 0 {
					t.Errorf("sibling saw %d attributes: %v", n, attrsOf(sib[0]))
				}
			})
		})
	}
	t.Run("the unknown event drops the record", func(t *testing.T) {
		p := newPipeline(t, caroResource())
		p.emit("debug.dump", attribute.String("path", "/home/alice"))
		if n := len(p.next.got()); n != 0 {
			t.Fatalf("next got %d records, want 0", n)
		}
		if n := p.v.Counts()["unknown_event"]; n != 1 {
			t.Errorf("Counts()[unknown_event] = %d, want 1", n)
		}
	})
	t.Run("nothing of the rejected value is retained", func(t *testing.T) {
		p := newPipeline(t, caroResource())
		p.emit(schema.EventSessionStart, toKVs(with(start, "caro_version", schema.String(secret)))...)
		for k := range p.v.Counts() {
			if strings.Contains(k, "ghp_") {
				t.Errorf("Counts() holds %q", k)
			}
		}
		for _, rec := range append(p.next.got(), p.sibling.got()...) {
			rec.WalkAttributes(func(kv attribute.KeyValue) bool {
				if strings.Contains(kv.Value.String(), "ghp_") {
					t.Errorf("a record still holds %s", kv.Key)
				}
				return true
			})
			if strings.Contains(rec.Body().String(), "ghp_") {
				t.Errorf("a record body still holds the value")
			}
		}
	})
}

func TestProcessorChecksTheResource(t *testing.T) {
	tests := []struct {
		name string
		res  *resource.Resource
		want bool
	}{
		{"the caro resource is accepted", caroResource(), true},
		{"an empty resource is accepted", resource.Empty(), true},
		{"the default resource with its sdk keys is rejected", resource.Default(), false},
		{"a host name is rejected", resource.NewSchemaless(
			attribute.String("service.name", "caro"), attribute.String("host.name", "alices-macbook")), false},
		{"a path as the service version is rejected", resource.NewSchemaless(
			attribute.String("service.name", "caro"), attribute.String("service.version", "/home/alice")), false},
		{"a number as the service version is rejected", resource.NewSchemaless(
			attribute.Int("service.version", 1)), false},
		{"a phone number as the service version is rejected", resource.NewSchemaless(
			attribute.String("service.name", "caro"), attribute.String("service.version", "415-555-0132")), false},
		{"a version with a leading zero is rejected", resource.NewSchemaless(
			attribute.String("service.name", "caro"), attribute.String("service.version", "1.01.0")), false},
		{"a pre-release version is accepted", resource.NewSchemaless(
			attribute.String("service.name", "caro"), attribute.String("service.version", "1.2.0-beta.1+r42")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPipeline(t, tt.res)
			start := toKVs(validAttrs(mustEvent(t, schema.EventSessionStart)))
			p.emit(schema.EventSessionStart, start...)
			p.emit(schema.EventSessionStart, start...) // second time through the cached verdict
			n := len(p.next.got())
			if tt.want && n != 2 {
				t.Errorf("next got %d records, want 2", n)
			}
			if !tt.want {
				if n != 0 {
					t.Errorf("next got %d records, want 0", n)
				}
				if c := p.v.Counts()["resource"]; c != 2 {
					t.Errorf("Counts()[resource] = %d, want 2", c)
				}
			}
		})
	}
}

func TestProcessorDelegatesToNext(t *testing.T) {
	next := &recorder{}
	p := redaction.NewProcessor(next, redaction.New())
	ctx := context.Background()
	if !p.Enabled(ctx, sdklog.EnabledParameters{EventName: schema.EventSessionStart}) {
		t.Error("Enabled = false, want next's true")
	}
	if err := p.ForceFlush(ctx); err != nil {
		t.Errorf("ForceFlush: %v", err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if next.enabled != 1 || next.flushed != 1 || next.shutdown != 1 {
		t.Errorf("next saw Enabled %d, ForceFlush %d, Shutdown %d times, want 1 each",
			next.enabled, next.flushed, next.shutdown)
	}
}

func TestProcessorIsSafeForConcurrentUse(t *testing.T) {
	p := newPipeline(t, caroResource())
	start := toKVs(validAttrs(mustEvent(t, schema.EventSessionStart)))
	bad := toKVs(with(validAttrs(mustEvent(t, schema.EventSessionStart)), "caro_version", schema.String("10.0.0.1")))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				p.emit(schema.EventSessionStart, start...)
				p.emit(schema.EventSessionStart, bad...)
			}
		})
	}
	wg.Wait()
	if n := len(p.next.got()); n != 800 {
		t.Errorf("next got %d records, want 800", n)
	}
	if n := p.v.Counts()["ip"]; n != 800 {
		t.Errorf("Counts()[ip] = %d, want 800", n)
	}
}

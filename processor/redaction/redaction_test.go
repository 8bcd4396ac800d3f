package redaction_test

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

func TestEveryEventWithEveryFieldIsAccepted(t *testing.T) {
	v := redaction.New()
	for _, ev := range schema.Events() {
		t.Run(ev.Name+" is accepted", func(t *testing.T) {
			in := validAttrs(ev)
			out, r := v.Apply(ev.Name, in)
			if r != redaction.ReasonNone {
				t.Fatalf("Apply = %v, want none", r)
			}
			if len(out) != len(ev.Fields) {
				t.Errorf("Apply kept %d fields, want %d", len(out), len(ev.Fields))
			}
		})
	}
}

func TestEveryEventWithOnlyRequiredFieldsIsAccepted(t *testing.T) {
	v := redaction.New()
	for _, ev := range schema.Events() {
		t.Run(ev.Name+" is accepted", func(t *testing.T) {
			var in []schema.Attr
			for i := range ev.Fields {
				if f := &ev.Fields[i]; f.Required {
					in = append(in, schema.Attr{Key: f.Key, Value: validValue(f)})
				}
			}
			if _, r := v.Apply(ev.Name, in); r != redaction.ReasonNone {
				t.Fatalf("Apply = %v, want none", r)
			}
		})
	}
}

func TestEveryNumberFieldAcceptsBothOfItsBounds(t *testing.T) {
	v := redaction.New()
	for _, ev := range schema.Events() {
		for i := range ev.Fields {
			f := &ev.Fields[i]
			var bounds []schema.Value
			switch f.Type {
			case schema.TypeInt:
				bounds = []schema.Value{schema.Int(int64(f.Min)), schema.Int(int64(f.Max))}
			case schema.TypeFloat:
				bounds = []schema.Value{schema.Float(f.Min), schema.Float(f.Max)}
			}
			for _, b := range bounds {
				t.Run(fmt.Sprintf("%s accepts %s at %v", ev.Name, f.Key, b.Any()), func(t *testing.T) {
					if _, r := v.Apply(ev.Name, with(validAttrs(ev), f.Key, b)); r != redaction.ReasonNone {
						t.Fatalf("Apply = %v, want none", r)
					}
				})
			}
		}
	}
}

// TestSensitiveLinesAreRejectedInEveryStringField puts every line of
// testdata/sensitive.txt into every string field of every event.
func TestSensitiveLinesAreRejectedInEveryStringField(t *testing.T) {
	v := redaction.New()
	fields := stringFields()
	for _, l := range readLines(t, "testdata/sensitive.txt") {
		t.Run("line "+itoa(l.no)+" is rejected in every string field", func(t *testing.T) {
			want := redaction.Detect(l.value)
			for _, sf := range fields {
				in := with(validAttrs(sf.ev), sf.f.Key, schema.String(l.value))
				out, r := v.Apply(sf.ev.Name, in)
				if r == redaction.ReasonNone {
					t.Errorf("%s.%s = %q was accepted", sf.ev.Name, sf.f.Key, l.value)
					continue
				}
				if out != nil {
					t.Errorf("%s.%s: rejected Apply returned %d attributes", sf.ev.Name, sf.f.Key, len(out))
				}
				if r != want {
					t.Errorf("%s.%s = %q: Apply = %v, want Detect's %v", sf.ev.Name, sf.f.Key, l.value, r, want)
				}
			}
		})
	}
}

func TestLegitLinesAreAcceptedInTheirField(t *testing.T) {
	v := redaction.New()
	for _, l := range readLines(t, "testdata/legit.txt") {
		t.Run("line "+itoa(l.no)+" is accepted as "+l.section, func(t *testing.T) {
			var evName string
			switch l.section {
			case "caro_version":
				evName = schema.EventSessionStart
			case "model_name":
				evName = schema.EventCommandGenerated
			default:
				t.Fatalf("unknown section %q", l.section)
			}
			in := with(validAttrs(mustEvent(t, evName)), l.section, schema.String(l.value))
			out, r := v.Apply(evName, in)
			if r != redaction.ReasonNone {
				t.Fatalf("Apply with %s=%q = %v, want none", l.section, l.value, r)
			}
			// A model name is recorded as its catalog name, or as custom.
			want := l.value
			if l.section == "model_name" {
				var ok bool
				if want, ok = schema.CatalogModel(l.value); !ok {
					want = schema.ModelCustom
				}
			}
			if got, _ := get(out, l.section); got.Str != want {
				t.Errorf("%s = %q after Apply, want %q", l.section, got.Str, want)
			}
		})
	}
}

func TestEveryEnumValueIsAcceptedInItsField(t *testing.T) {
	v := redaction.New()
	for _, ev := range schema.Events() {
		for i := range ev.Fields {
			f := &ev.Fields[i]
			for _, val := range f.Enum {
				t.Run(ev.Name+"."+f.Key+" accepts "+val, func(t *testing.T) {
					in := with(validAttrs(ev), f.Key, schema.String(val))
					if _, r := v.Apply(ev.Name, in); r != redaction.ReasonNone {
						t.Errorf("Apply = %v, want none", r)
					}
				})
			}
		}
	}
}

func TestApplyRejects(t *testing.T) {
	start := validAttrs(mustEvent(t, schema.EventSessionStart))
	gen := validAttrs(mustEvent(t, schema.EventCommandGenerated))
	tests := []struct {
		name  string
		event string
		attrs []schema.Attr
		want  redaction.Reason
	}{
		{"an unknown event is rejected", "session.begin", start, redaction.ReasonUnknownEvent},
		{"an empty event name is rejected", "", start, redaction.ReasonUnknownEvent},
		{"a missing required field is rejected", schema.EventSessionStart, without(start, "caro_version"), redaction.ReasonMissingRequired},
		{"a missing session id is rejected", schema.EventSessionStart, without(start, schema.KeySessionID), redaction.ReasonMissingRequired},
		{"no attributes at all are rejected", schema.EventSessionEnd, nil, redaction.ReasonMissingRequired},
		{"an int in a string field is rejected", schema.EventSessionStart, with(start, "caro_version", schema.Int(1)), redaction.ReasonType},
		{"a string in a bool field is rejected", schema.EventSessionStart, with(start, "is_first_run", schema.String("true")), redaction.ReasonType},
		{"a float in an int field is rejected", schema.EventCommandGenerated, with(gen, "inference_time_ms", schema.Float(1.5)), redaction.ReasonType},
		{"an untyped value is rejected", schema.EventCommandGenerated, with(gen, "retry_count", schema.Value{}), redaction.ReasonType},
		{"a path in an int field is rejected as a path", schema.EventCommandGenerated, with(gen, "inference_time_ms", schema.String("/home/alice")), redaction.ReasonPath},
		{"a negative count is rejected", schema.EventCommandGenerated, with(gen, "inference_time_ms", schema.Int(-1)), redaction.ReasonRange},
		{"a count above its bound is rejected", schema.EventCommandGenerated, with(gen, "safety_result.patterns_matched", schema.Int(1001)), redaction.ReasonRange},
		{"a confidence above one is rejected", schema.EventCommandGenerated, with(gen, "confidence_score", schema.Float(1.01)), redaction.ReasonRange},
		{"a negative confidence is rejected", schema.EventCommandGenerated, with(gen, "confidence_score", schema.Float(-0.1)), redaction.ReasonRange},
		{"a NaN confidence is rejected", schema.EventCommandGenerated, with(gen, "confidence_score", schema.Float(math.NaN())), redaction.ReasonRange},
		{"an infinite confidence is rejected", schema.EventCommandGenerated, with(gen, "confidence_score", schema.Float(math.Inf(1))), redaction.ReasonRange},
		{"a value outside the enum is rejected", schema.EventSessionStart, with(start, "platform.os", schema.String("plan9")), redaction.ReasonEnum},
		{"an enum value in the wrong case is rejected", schema.EventSessionStart, with(start, "platform.os", schema.String("Linux")), redaction.ReasonEnum},
		{"an enum value of another field is rejected", schema.EventSessionStart, with(start, "platform.os", schema.String("zsh")), redaction.ReasonEnum},
		{"a path in an enum field is rejected as a path", schema.EventSessionStart, with(start, "platform.shell", schema.String("/bin/zsh")), redaction.ReasonPath},
		{"a version that starts with a letter is rejected", schema.EventSessionStart, with(start, "caro_version", schema.String("v1.1.0")), redaction.ReasonFormat},
		{"an empty version is rejected", schema.EventSessionStart, with(start, "caro_version", schema.String("")), redaction.ReasonFormat},
		{"a version with an underscore is rejected", schema.EventSessionStart, with(start, "caro_version", schema.String("1.1.0_beta")), redaction.ReasonFormat},
		{"an upper-case session id is rejected", schema.EventSessionStart, with(start, schema.KeySessionID, schema.String("0123456789ABCDEF")), redaction.ReasonFormat},
		{"a 17-digit session id is rejected", schema.EventSessionStart, with(start, schema.KeySessionID, schema.String(validSessionID+"0")), redaction.ReasonFormat},
		{"a uuid v1 is rejected", schema.EventCommandGenerated, with(gen, schema.KeyGenerationID, schema.String("f47ac10b-58cc-1372-a567-0e02b2c3d479")), redaction.ReasonFormat},
		{"a uuid of the wrong variant is rejected", schema.EventCommandGenerated, with(gen, schema.KeyGenerationID, schema.String("f47ac10b-58cc-4372-c567-0e02b2c3d479")), redaction.ReasonFormat},
		{"an upper-case uuid is rejected", schema.EventCommandGenerated, with(gen, schema.KeyGenerationID, schema.String(strings.ToUpper(validUUID))), redaction.ReasonFormat},
		{"a secret wins over the format", schema.EventCommandGenerated, with(gen, "model_name", schema.String("ghp_"+strings.Repeat("aB3", 12))), redaction.ReasonSecret},
		{"a long model name that is sensitive is rejected", schema.EventCommandGenerated,
			with(gen, "model_name", schema.String(strings.Repeat("Qwen2.5-Coder-", 5)+"example.com")), redaction.ReasonURL},
		{"a sensitive spelling of a catalog model is rejected", schema.EventCommandGenerated,
			with(gen, "model_name", schema.String("/home/alice/models/qwen2.5-coder:7b")), redaction.ReasonPath},
		{"a phone number as the version is rejected", schema.EventSessionStart, with(start, "caro_version", schema.String("415-555-0132")), redaction.ReasonFormat},
		{"a two-part version is rejected", schema.EventSessionStart, with(start, "caro_version", schema.String("1.1")), redaction.ReasonFormat},
		{"a version with a leading zero is rejected", schema.EventSessionStart, with(start, "caro_version", schema.String("1.01.0")), redaction.ReasonFormat},
		{"a version whose pre-release has a leading zero is rejected", schema.EventSessionStart, with(start, "caro_version", schema.String("1.1.0-beta.01")), redaction.ReasonFormat},
		{"a long version that stays no version when shortened is rejected", schema.EventSessionStart,
			with(start, "caro_version", schema.String("1.1.0-alpha.betaa.01x")), redaction.ReasonFormat},
		{"a long version whose prefix is an ip is rejected", schema.EventSessionStart,
			with(start, "caro_version", schema.String("1.1.0-rcx.10.0.0.1234")), redaction.ReasonIP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := redaction.New()
			in := append([]schema.Attr(nil), tt.attrs...)
			out, r := v.Apply(tt.event, in)
			if r != tt.want {
				t.Fatalf("Apply = %v, want %v", r, tt.want)
			}
			if out != nil {
				t.Errorf("rejected Apply returned %d attributes, want nil", len(out))
			}
			for i, a := range in {
				if !isZero(a) {
					t.Errorf("attrs[%d] = %+v after rejection, want zeroed", i, a)
				}
			}
			if got := v.Counts()[tt.want.String()]; got != 1 {
				t.Errorf("Counts()[%q] = %d, want 1", tt.want, got)
			}
		})
	}
}

func TestUnknownKeysAreDroppedAndCounted(t *testing.T) {
	v := redaction.New()
	in := validAttrs(mustEvent(t, schema.EventSessionStart))
	in = append(in,
		schema.Attr{Key: "hostname", Value: schema.String("alices-macbook")},
		schema.Attr{Key: "exception.message", Value: schema.String("open /home/alice: denied")},
		schema.Attr{Key: "os", Value: schema.String("linux")}, // a key of the spec's prose, not of the schema
	)
	in = append([]schema.Attr{{Key: "user", Value: schema.String("alice")}}, in...)
	want := len(in) - 4
	out, r := v.Apply(schema.EventSessionStart, in)
	if r != redaction.ReasonNone {
		t.Fatalf("Apply = %v, want none", r)
	}
	if len(out) != want {
		t.Errorf("Apply kept %d fields, want %d", len(out), want)
	}
	for _, a := range out {
		if _, ok := mustEvent(t, schema.EventSessionStart).Field(a.Key); !ok {
			t.Errorf("Apply kept key %q that the schema does not allow", a.Key)
		}
	}
	if got := v.Counts()[redaction.DroppedField]; got != 4 {
		t.Errorf("Counts()[dropped_field] = %d, want 4", got)
	}
	for i, a := range in[len(out):] {
		if !isZero(a) {
			t.Errorf("attrs[%d] = %+v beyond the result, want zeroed", len(out)+i, a)
		}
	}
}

func TestDuplicateKeys(t *testing.T) {
	t.Run("the first value is kept and the second counted as dropped", func(t *testing.T) {
		v := redaction.New()
		in := validAttrs(mustEvent(t, schema.EventSessionStart))
		in = append(in, schema.Attr{Key: "caro_version", Value: schema.String("9.9.9")})
		out, r := v.Apply(schema.EventSessionStart, in)
		if r != redaction.ReasonNone {
			t.Fatalf("Apply = %v", r)
		}
		if got, _ := get(out, "caro_version"); got.Str != "1.1.0" {
			t.Errorf("caro_version = %q, want the first value 1.1.0", got.Str)
		}
		if len(out) != len(in)-1 {
			t.Errorf("Apply kept %d fields, want %d", len(out), len(in)-1)
		}
		if got := v.Counts()[redaction.DroppedField]; got != 1 {
			t.Errorf("dropped_field = %d, want 1", got)
		}
	})
	t.Run("a sensitive second value rejects the event", func(t *testing.T) {
		v := redaction.New()
		in := validAttrs(mustEvent(t, schema.EventSessionStart))
		in = append(in, schema.Attr{Key: "caro_version", Value: schema.String("/home/alice")})
		if _, r := v.Apply(schema.EventSessionStart, in); r != redaction.ReasonPath {
			t.Fatalf("Apply = %v, want path", r)
		}
	})
}

func TestTruncation(t *testing.T) {
	tests := []struct {
		name  string
		event string
		key   string
		in    string
		want  string
	}{
		{"a 70-character model name outside the catalog is custom", schema.EventCommandGenerated, "model_name",
			"Qwen2.5-Coder-1.5B-Instruct-MLX-4bit-plus-some-more-words-to-be-long-x", schema.ModelCustom},
		{"a long version loses its build metadata first", schema.EventSessionStart, "caro_version",
			"1.2.0-beta.1+build.123", "1.2.0-beta.1"},
		{"a long pre-release is cut to 20", schema.EventSessionStart, "caro_version",
			"1.2.0-nightly.20260215", "1.2.0-nightly.202602"},
		{"a cut that would end in a dot drops the dot", schema.EventSessionStart, "caro_version",
			"1.2.0-alpha.beta.ab.c", "1.2.0-alpha.beta.ab"},
		{"a 20-character version is kept", schema.EventSessionStart, "caro_version",
			"1.2.0-beta.1+build.1", "1.2.0-beta.1+build.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := redaction.New()
			in := with(validAttrs(mustEvent(t, tt.event)), tt.key, schema.String(tt.in))
			out, r := v.Apply(tt.event, in)
			if r != redaction.ReasonNone {
				t.Fatalf("Apply = %v, want none", r)
			}
			got, _ := get(out, tt.key)
			if got.Str != tt.want {
				t.Errorf("%s = %q (%d chars), want %q (%d chars)", tt.key, got.Str, len(got.Str), tt.want, len(tt.want))
			}
		})
	}
	t.Run("the 70-character test value really is 70 characters", func(t *testing.T) {
		if n := len(tests[0].in); n != 70 {
			t.Errorf("len = %d", n)
		}
	})
}

func TestCountsByReason(t *testing.T) {
	v := redaction.New()
	start := validAttrs(mustEvent(t, schema.EventSessionStart))
	apply := func(event string, attrs []schema.Attr) {
		v.Apply(event, append([]schema.Attr(nil), attrs...))
	}
	apply(schema.EventSessionStart, start)
	apply(schema.EventSessionStart, append(start, schema.Attr{Key: "user", Value: schema.String("alice")}))
	apply("nope", start)
	apply(schema.EventSessionStart, with(start, "caro_version", schema.String("/home/alice")))
	apply(schema.EventSessionStart, with(start, "caro_version", schema.String("C:\\Users")))
	apply(schema.EventSessionStart, with(start, "caro_version", schema.String("alice@example.com")))

	want := map[string]int64{"unknown_event": 1, "path": 2, "email": 1, redaction.DroppedField: 1}
	got := v.Counts()
	if len(got) != len(want) {
		t.Errorf("Counts() = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("Counts()[%q] = %d, want %d", k, got[k], n)
		}
	}
	t.Run("counts hold reason names, never values", func(t *testing.T) {
		for k := range got {
			if strings.Contains(k, "alice") || strings.Contains(k, "/") {
				t.Errorf("Counts() has key %q", k)
			}
		}
	})
}

func TestApplyIsSafeForConcurrentUse(t *testing.T) {
	v := redaction.New()
	start := validAttrs(mustEvent(t, schema.EventSessionStart))
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	var accepted atomic.Int64
	for g := 0; g < goroutines; g++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				in := append([]schema.Attr(nil), start...)
				if i%2 == 1 {
					in = with(in, "caro_version", schema.String("/tmp"))
				}
				if _, r := v.Apply(schema.EventSessionStart, in); r == redaction.ReasonNone {
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := accepted.Load(); got != goroutines*each/2 {
		t.Errorf("accepted %d, want %d", got, goroutines*each/2)
	}
	if got := v.Counts()["path"]; got != goroutines*each/2 {
		t.Errorf("Counts()[path] = %d, want %d", got, goroutines*each/2)
	}
}

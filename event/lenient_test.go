package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

func get(attrs []schema.Attr, key string) (schema.Value, bool) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return schema.Value{}, false
}

func TestTheSpecsExampleDecodes(t *testing.T) {
	raw := `{"event":"session.start","timestamp":"2025-12-30T10:15:30.123Z","session_id":"a1b2c3d4e5f60718",
		"caro_version":"1.1.0","platform":{"os":"macos","arch":"aarch64","shell":"zsh"},
		"backend_config":{"primary":"embedded-mlx","fallback_enabled":true}}`
	name, ts, attrs, err := DecodeLenient([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if name != schema.EventSessionStart || !ts.Equal(time.Date(2025, 12, 30, 10, 15, 30, 123e6, time.UTC)) {
		t.Errorf("name %s time %v", name, ts)
	}
	for key, want := range map[string]schema.Value{
		"platform.os":                     schema.String("macos"),
		"backend_config.fallback_enabled": schema.Bool(true),
		"session_id":                      schema.String("a1b2c3d4e5f60718"),
	} {
		if got, ok := get(attrs, key); !ok || got.Type != want.Type || got.Str != want.Str || got.Bool != want.Bool {
			t.Errorf("%s = %+v, want %+v", key, got, want)
		}
	}
	if len(attrs) != 7 {
		t.Errorf("%d attributes, want 7", len(attrs))
	}
}

func TestNumbersAreTypedByTheSchema(t *testing.T) {
	raw := `{"event":"command.generated","timestamp":"2025-12-30T10:15:30Z","inference_time_ms":1823,
		"confidence_score":1,"retry_count":1.5,"extra":2.5,"big":12345678901234567890}`
	_, _, attrs, err := DecodeLenient([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]schema.Type{
		"inference_time_ms": schema.TypeInt, "confidence_score": schema.TypeFloat,
		"retry_count": 0, "extra": schema.TypeFloat, "big": schema.TypeFloat,
	} {
		if got, _ := get(attrs, key); got.Type != want {
			t.Errorf("%s typed %v, want %v", key, got.Type, want)
		}
	}
}

func TestListsAndOddValues(t *testing.T) {
	raw := `{"event":"deletion.request","timestamp":"2025-12-30T10:15:30Z","session_ids":["a","b"],
		"mixed":["a",1],"nothing":null}`
	_, _, attrs, err := DecodeLenient([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := get(attrs, "session_ids"); v.Type != schema.TypeStringList || len(v.List) != 2 {
		t.Errorf("session_ids %+v", v)
	}
	for _, k := range []string{"mixed", "nothing"} {
		if v, ok := get(attrs, k); !ok || v.Type != 0 {
			t.Errorf("%s %+v, want present and untyped", k, v)
		}
	}
}

func TestMalformedEventsAreRefused(t *testing.T) {
	for name, c := range map[string]struct{ raw, why string }{
		"not JSON":          {`{"event":`, "unexpected EOF"},
		"an array":          {`[1,2]`, "cannot unmarshal"},
		"null":              {`null`, "not an object"},
		"no event":          {`{"timestamp":"2025-12-30T10:15:30Z"}`, `missing "event"`},
		"no timestamp":      {`{"event":"session.start"}`, `missing "timestamp"`},
		"a bad timestamp":   {`{"event":"session.start","timestamp":"yesterday"}`, "not RFC 3339"},
		"two objects":       {`{"event":"a","timestamp":"2025-12-30T10:15:30Z"}{}`, "data after the event object"},
		"too deep":          {`{"event":"a","timestamp":"2025-12-30T10:15:30Z","a":{"b":{"c":{"d":{"e":1}}}}}`, "nested deeper"},
		"too many fields":   {`{"event":"a","timestamp":"2025-12-30T10:15:30Z",` + manyFields(200) + `}`, "more than"},
		"a number as event": {`{"event":1,"timestamp":"2025-12-30T10:15:30Z"}`, `missing "event"`},
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			_, _, _, err := DecodeLenient([]byte(c.raw))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.why) {
				t.Errorf("err = %q, want it to say %q", err, c.why)
			}
		})
	}
}

func manyFields(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"f`)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(string(rune('a' + i/26)))
		b.WriteString(`":1`)
	}
	return b.String()
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"event":"session.start","timestamp":"2025-12-30T10:15:30.123Z","platform":{"os":"macos"}}`)
	f.Add(`{"event":"deletion.request","timestamp":"2025-12-30T10:15:30Z","session_ids":["0123456789abcdef"]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, raw string) {
		name, _, attrs, err := DecodeLenient([]byte(raw))
		if err != nil {
			return
		}
		if name == "" || len(attrs) > MaxKeys {
			t.Fatalf("accepted %q with %d attributes", name, len(attrs))
		}
	})
}

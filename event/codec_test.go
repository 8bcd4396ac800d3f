package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestEncodePayloadMatchesGolden(t *testing.T) {
	var got bytes.Buffer
	for _, def := range schema.Events() {
		b, err := Encode(def.Name, t0, sampleAttrs(def))
		if err != nil {
			t.Fatalf("%s: %v", def.Name, err)
		}
		if !json.Valid(b) {
			t.Fatalf("%s: invalid JSON %s", def.Name, b)
		}
		got.Write(b)
		got.WriteByte('\n')
	}
	golden := filepath.Join("testdata", "payloads.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("payloads differ from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", golden, got.Bytes(), want)
	}
}

func TestEncodePayloadNestsDottedKeysInSchemaOrder(t *testing.T) {
	def := lookup(t, schema.EventSessionStart)
	// Attributes in reverse order: the output follows the schema anyway.
	attrs := sampleAttrs(def)
	for i, j := 0, len(attrs)-1; i < j; i, j = i+1, j-1 {
		attrs[i], attrs[j] = attrs[j], attrs[i]
	}
	b, err := Encode(def.Name, t0, attrs)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"event":"session.start","timestamp":"2025-12-30T10:15:30.123Z","session_id":"0123456789abcdef",` +
		`"caro_version":"1.1.0","platform":{"os":"macos","arch":"x86_64","shell":"bash"},` +
		`"backend_config":{"primary":"static","fallback_enabled":true},"safety_level":"strict",` +
		`"output_format":"plain","is_first_run":true,"config_source":"file"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestEncodePayloadOmitsEmptyGroups(t *testing.T) {
	b, err := Encode(schema.EventSessionStart, t0, []schema.Attr{
		{Key: "platform.os", Value: schema.String("linux")},
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"event":"session.start","timestamp":"2025-12-30T10:15:30.123Z","platform":{"os":"linux"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestPayloadRoundTripsEveryEvent(t *testing.T) {
	for _, def := range schema.Events() {
		for _, variant := range []string{"all fields", "required fields", "no fields"} {
			t.Run(def.Name+" with "+variant, func(t *testing.T) {
				var attrs []schema.Attr
				for _, a := range sampleAttrs(def) {
					f, _ := def.Field(a.Key)
					if variant == "all fields" || (variant == "required fields" && f.Required) {
						attrs = append(attrs, a)
					}
				}
				b, err := Encode(def.Name, t0, attrs)
				if err != nil {
					t.Fatal(err)
				}
				name, ts, got, err := Decode(b)
				if err != nil {
					t.Fatalf("decode %s: %v", b, err)
				}
				if name != def.Name {
					t.Errorf("name = %q, want %q", name, def.Name)
				}
				if want := t0.Truncate(time.Millisecond); !ts.Equal(want) || ts.Location() != time.UTC {
					t.Errorf("timestamp = %v, want %v in UTC", ts, want)
				}
				if !reflect.DeepEqual(got, attrs) {
					t.Errorf("attrs:\ngot  %v\nwant %v", got, attrs)
				}
			})
		}
	}
}

func TestEncodePayloadRejectsWhatTheSchemaDoesNot(t *testing.T) {
	end := schema.EventSessionEnd
	tests := []struct {
		name  string
		event string
		ts    time.Time
		attrs []schema.Attr
		want  string
	}{
		{"an unknown event", "session.middle", t0, nil, "unknown event"},
		{"an empty event name", "", t0, nil, "unknown event"},
		{"a field of another event", end, t0, []schema.Attr{{Key: "caro_version", Value: schema.String("1.1.0")}}, "not in the schema"},
		{"a made-up field", end, t0, []schema.Attr{{Key: "prompt", Value: schema.String("rm -rf /")}}, "not in the schema"},
		{"a group name as a field", schema.EventSessionStart, t0, []schema.Attr{{Key: "platform", Value: schema.String("x")}}, "not in the schema"},
		{"the envelope's keys as fields", end, t0, []schema.Attr{{Key: "event", Value: schema.String("x")}}, "not in the schema"},
		{"a field given twice", end, t0, []schema.Attr{
			{Key: "retries", Value: schema.Int(1)}, {Key: "retries", Value: schema.Int(2)}}, "twice"},
		{"a string for an int", end, t0, []schema.Attr{{Key: "retries", Value: schema.String("1")}}, "is string, want int"},
		{"an int for a float", schema.EventCommandGenerated, t0, []schema.Attr{{Key: "confidence_score", Value: schema.Int(1)}}, "is int, want float"},
		{"a value without a type", end, t0, []schema.Attr{{Key: "retries"}}, "want int"},
		{"NaN", schema.EventCommandGenerated, t0, []schema.Attr{{Key: "confidence_score", Value: schema.Float(math.NaN())}}, "finite"},
		{"infinity", schema.EventCommandGenerated, t0, []schema.Attr{{Key: "confidence_score", Value: schema.Float(math.Inf(1))}}, "finite"},
		{"a timestamp past year 9999", end, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), nil, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.event, tt.ts, tt.attrs)
			if err == nil {
				t.Fatalf("encoded %s, want an error", b)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrInvalid mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "rm -rf") {
				t.Errorf("error %q repeats a value", err)
			}
		})
	}
}

func TestEncodePayloadEscapesStrings(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"quotes and backslashes", `a"b\c`},
		{"control characters", "a\nb\tc\x00d\x1f"},
		{"non-ASCII", "é€𝄞"},
		{"invalid UTF-8", "a\xffb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(schema.EventSessionEnd, t0, []schema.Attr{{Key: "exit_reason", Value: schema.String(tt.in)}})
			if err != nil {
				t.Fatal(err)
			}
			var v struct {
				ExitReason string `json:"exit_reason"`
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			want := string([]rune(tt.in)) // each invalid byte becomes U+FFFD
			if v.ExitReason != want {
				t.Errorf("encoding/json reads %q, want %q", v.ExitReason, want)
			}
		})
	}
}

func TestEncodePayloadFloatsReadBackExactly(t *testing.T) {
	for _, f := range []float64{0, 0.92, 1, 1e-7, 0.1 + 0.2, 123456789.125, 1e21, -0.5} {
		b, err := Encode(schema.EventCommandGenerated, t0, []schema.Attr{{Key: "confidence_score", Value: schema.Float(f)}})
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			C float64 `json:"confidence_score"`
		}
		if err := json.Unmarshal(b, &v); err != nil || v.C != f {
			t.Errorf("%v encoded as %s reads back as %v (%v)", f, b, v.C, err)
		}
	}
}

func TestDecodePayload(t *testing.T) {
	const head = `{"event":"session.end","timestamp":"2025-12-30T10:15:30.123Z"`
	tests := []struct {
		name    string
		in      string
		want    []schema.Attr
		wantErr string
	}{
		{name: "fields typed by the schema", in: head + `,"retries":3,"exit_reason":"error"}`,
			want: []schema.Attr{{Key: "exit_reason", Value: schema.String("error")}, {Key: "retries", Value: schema.Int(3)}}},
		{name: "unknown keys dropped", in: head + `,"retries":3,"prompt":"ls ~/secret","nested":{"a":1}}`,
			want: []schema.Attr{{Key: "retries", Value: schema.Int(3)}}},
		{name: "a float where an int is declared", in: head + `,"retries":1.5}`, wantErr: "not an int64"},
		{name: "an exponent where an int is declared", in: head + `,"retries":1e3}`, wantErr: "not an int64"},
		{name: "an int beyond int64", in: head + `,"retries":9223372036854775808}`, wantErr: "not an int64"},
		{name: "a string where an int is declared", in: head + `,"retries":"3"}`, wantErr: "want int, got string"},
		{name: "null for a field", in: head + `,"retries":null}`, wantErr: "got null"},
		{name: "a leaf where a group is declared", in: `{"event":"session.start","timestamp":"2025-12-30T10:15:30.123Z","platform":"linux"}`,
			wantErr: `"platform" is not an object`},
		{name: "an object where a leaf is declared", in: head + `,"retries":{"n":3}}`, wantErr: "got object"},
		{name: "a missing event", in: `{"timestamp":"2025-12-30T10:15:30.123Z"}`, wantErr: `missing "event"`},
		{name: "an unknown event", in: `{"event":"x","timestamp":"2025-12-30T10:15:30.123Z"}`, wantErr: "unknown event"},
		{name: "a missing timestamp", in: `{"event":"session.end"}`, wantErr: `missing "timestamp"`},
		{name: "a malformed timestamp", in: `{"event":"session.end","timestamp":"yesterday"}`, wantErr: "timestamp"},
		{name: "trailing data", in: head + `}{}`, wantErr: "data after"},
		{name: "not JSON", in: `SQLite format 3`, wantErr: "invalid character"},
		{name: "JSON null", in: `null`, wantErr: "not an object"},
		{name: "an array", in: `[1]`, wantErr: "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, got, err := Decode([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want ErrInvalid mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzDecodePayload: decoding never panics, and whatever decodes encodes
// again to a payload that decodes to the same event.
func FuzzDecodePayload(f *testing.F) {
	for _, def := range schema.Events() {
		b, _ := Encode(def.Name, t0, sampleAttrs(def))
		f.Add(b)
	}
	f.Add([]byte(`{"event":"session.end","timestamp":"2025-12-30T10:15:30Z","retries":-0}`))
	f.Add([]byte(`{"event":"command.generated","timestamp":"2025-12-30T10:15:30+02:00","confidence_score":1e-400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		name, ts, attrs, err := Decode(b)
		if err != nil {
			return
		}
		if ts.Year() > 9999 || ts.Year() < 0 {
			return
		}
		again, err := Encode(name, ts, attrs)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode it back: %v", b, err)
		}
		name2, ts2, attrs2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", again, err)
		}
		if name2 != name || !ts2.Equal(ts.Truncate(time.Millisecond)) || !reflect.DeepEqual(attrs2, attrs) {
			t.Fatalf("round trip changed the event:\n%s\n%s", b, again)
		}
	})
}

// FuzzEncodePayloadString: any string value encodes to valid JSON that
// reads back as the same string (made valid UTF-8).
func FuzzEncodePayloadString(f *testing.F) {
	f.Add("user_complete")
	f.Add("a\"\\\n\x00\xff</script>\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Encode(schema.EventSessionEnd, t0, []schema.Attr{{Key: "exit_reason", Value: schema.String(s)}})
		if err != nil {
			t.Fatal(err)
		}
		_, _, attrs, err := Decode(b)
		if err != nil {
			t.Fatalf("%q encoded as %s: %v", s, b, err)
		}
		if want := string([]rune(s)); len(attrs) != 1 || attrs[0].Value.Str != want {
			t.Fatalf("%q came back as %v", s, attrs)
		}
	})
}

func BenchmarkEncodePayload(b *testing.B) {
	def := lookup(b, schema.EventCommandGenerated)
	attrs := sampleAttrs(def)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(def.Name, t0, attrs); err != nil {
			b.Fatal(err)
		}
	}
}

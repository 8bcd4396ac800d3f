package exportfile

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestCanonicalize(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{
			// RFC 8785 section 3.2.4 (and the reference implementation's
			// values.json).
			name: "the RFC 8785 example sorts members and normalises numbers and strings",
			in: `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			// RFC 8785 section 3.2.3: names compare as UTF-16 code units,
			// so the emoji (a surrogate pair, 0xD83D...) sorts before
			// U+FB33, unlike a UTF-8 byte comparison.
			name: "member names sort by UTF-16 code units, not by UTF-8 bytes",
			in:   `{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{
			name: "a prefix sorts before the longer name",
			in:   `{"ab":1,"a":2,"":3}`,
			want: `{"":3,"a":2,"ab":1}`,
		},
		{
			name: "two supplementary characters with the same high surrogate sort by the low one",
			in:   `{"😂":1,"😀":2}`,
			want: `{"😀":2,"😂":1}`,
		},
		{
			name: "nested objects are sorted and arrays keep their order",
			in:   `{"b":[3,1,2,{"z":null,"y":[]}],"a":{"d":{},"c":true}}`,
			want: `{"a":{"c":true,"d":{}},"b":[3,1,2,{"y":[],"z":null}]}`,
		},
		{
			name: "whitespace of every kind between tokens disappears",
			in:   " \t\r\n[ 1 ,\n\t\"a\" , { \"k\" : false } ] \n",
			want: `[1,"a",{"k":false}]`,
		},
		{
			name: "every control character is escaped, the short forms where they exist",
			in:   `"\u0000\u0001\u0007\b\t\n\u000b\f\r\u000e\u001f"`,
			want: `"\u0000\u0001\u0007\b\t\n\u000b\f\r\u000e\u001f"`,
		},
		{
			name: "characters spelled as \\u escapes get their short escapes where they exist",
			in:   `"\u0008\u000c\u000a\u000d\u0009\u0022\u005c\u002f"`,
			want: `"\b\f\n\r\t\"\\/"`,
		},
		{
			name: "slash, DEL, HTML characters and line separators are not escaped",
			in:   `"\/ \u007f <>& \u2028\u2029"`,
			want: "\"/ \x7f <>& \u2028\u2029\"",
		},
		{
			name: "escaped letters and non-ASCII become raw UTF-8",
			in:   `"\u0041\u00e9\u4e2d\ud83d\ude00"`,
			want: `"Aé中😀"`,
		},
		{
			name: "quote and backslash keep their two-character escapes",
			in:   `"a\"b\\c"`,
			want: `"a\"b\\c"`,
		},
		{
			name: "a bare scalar is canonicalised too",
			in:   ` 1.0E+2 `,
			want: `100`,
		},
		{
			name: "an event of the spec keeps its values and sorts its fields",
			in:   `{"event":"command.generated","timestamp":"2025-12-30T10:15:32.456Z","session_id":"a1b2c3d4e5f60718","backend_used":"ollama","inference_time_ms":1823,"safety_result":{"risk_level":"safe","patterns_matched":0},"confidence_score":0.92}`,
			want: `{"backend_used":"ollama","confidence_score":0.92,"event":"command.generated","inference_time_ms":1823,"safety_result":{"patterns_matched":0,"risk_level":"safe"},"session_id":"a1b2c3d4e5f60718","timestamp":"2025-12-30T10:15:32.456Z"}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCanonical(t, c.in, c.want) })
	}
}

// wantCanonical fails t unless Canonicalize turns in into want.
func wantCanonical(t *testing.T, in, want string) {
	t.Helper()
	got, err := Canonicalize([]byte(in))
	if err != nil {
		t.Fatalf("Canonicalize(%s): %v", in, err)
	}
	if string(got) != want {
		t.Errorf("Canonicalize(%s)\ngot  %s\nwant %s", in, got, want)
	}
}

func TestCanonicalizeNumbers(t *testing.T) {
	// The JSON literal on the left, its ECMAScript serialization on the
	// right; -0 becomes 0, the plain/exponent switch is at 1e21 and 1e-6.
	cases := []struct{ in, want string }{
		{"0", "0"},
		{"-0", "0"},
		{"-0.0e-5", "0"},
		{"1", "1"},
		{"-1", "-1"},
		{"4.50", "4.5"},
		{"2e-3", "0.002"},
		{"1E30", "1e+30"},
		{"1e+30", "1e+30"},
		{"1e21", "1e+21"},
		{"1e20", "100000000000000000000"},
		{"123e18", "123000000000000000000"},
		{"1234e18", "1.234e+21"},
		{"0.000001", "0.000001"},
		{"0.0000012345", "0.0000012345"},
		{"1e-7", "1e-7"},
		{"1.5e-7", "1.5e-7"},
		{"0.000000000000000000000000001", "1e-27"},
		{"123.456", "123.456"},
		{"0.1", "0.1"},
		{"100", "100"},
		{"1e2", "100"},
		{"9007199254740993", "9007199254740992"},
		{"12345678901234567890", "12345678901234567000"},
		{"1e-400", "0"},
		{"5e-324", "5e-324"},
		{"1.7976931348623157e308", "1.7976931348623157e+308"},
	}
	for _, c := range cases {
		t.Run(c.in+" serialises as "+c.want, func(t *testing.T) { wantCanonical(t, c.in, c.want) })
	}
}

func TestNumberSerializationMatchesRFC8785AppendixB(t *testing.T) {
	// RFC 8785 Appendix B: IEEE 754 bit patterns and their serialization.
	cases := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			f := math.Float64frombits(c.bits)
			if got := string(appendNumber(nil, f)); got != c.want {
				t.Errorf("%016x: got %s, want %s", c.bits, got, c.want)
			}
			// And through the parser: the serialization reads back as the
			// same double and is its own canonical form.
			wantCanonical(t, c.want, c.want)
		})
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	cases := []struct{ name, in, why string }{
		{"empty input is rejected", ``, "end of JSON input"},
		{"only whitespace is rejected", "  \n", "end of JSON input"},
		{"two values are rejected", `1 2`, "after the JSON value"},
		{"a trailing comma in an array is rejected", `[1,]`, "where a value was expected"},
		{"a trailing comma in an object is rejected", `{"a":1,}`, "member name expected"},
		{"a duplicate member name is rejected", `{"a":1,"b":2,"a":3}`, `duplicate object member "a"`},
		{"a duplicate spelled with an escape is rejected", `{"a":1,"\u0061":2}`, `duplicate object member "a"`},
		{"a lone high surrogate is rejected", `"\ud83d"`, "lone high surrogate"},
		{"a high surrogate followed by a letter is rejected", `"\ud83d\u0041"`, "lone high surrogate"},
		{"a lone low surrogate is rejected", `"\ude00"`, "lone low surrogate"},
		{"invalid UTF-8 is rejected", "\"\xff\"", "invalid UTF-8"},
		{"an encoded surrogate in UTF-8 is rejected", "\"\xed\xa0\x80\"", "invalid UTF-8"},
		{"a raw control character in a string is rejected", "\"a\tb\"", "control character"},
		{"a number beyond the double range is rejected", `1e400`, "outside the range"},
		{"a leading zero is rejected", `01`, "after the JSON value"},
		{"a leading plus is rejected", `+1`, "where a value was expected"},
		{"a bare decimal point is rejected", `1.`, "after the decimal point"},
		{"a missing exponent is rejected", `1e`, "in the exponent"},
		{"NaN is rejected", `NaN`, "where a value was expected"},
		{"a single-quoted string is rejected", `'a'`, "where a value was expected"},
		{"an unknown escape is rejected", `"\x"`, "invalid escape"},
		{"a short unicode escape is rejected", `"\u12"`, "invalid \\u escape"},
		{"an unterminated string is rejected", `"abc`, "unterminated string"},
		{"an unterminated object is rejected", `{"a":1`, "end of JSON input in an object"},
		{"an unterminated array is rejected", `[1`, "end of JSON input in an array"},
		{"array elements without a comma are rejected", `[1 2]`, "after an array element"},
		{"object members without a comma are rejected", `{"a":1 "b":2}`, "after an object member"},
		{"an object closed by a bracket is rejected", `{"a":1]`, "after an object member"},
		{"a byte order mark is rejected", "\xef\xbb\xbf{}", "where a value was expected"},
		{"a misspelt literal is rejected", `tru`, "invalid literal"},
		{"nesting beyond the limit is rejected", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), "nesting deeper"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Canonicalize([]byte(c.in))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.why) {
				t.Errorf("err = %q, want it to mention %q", err, c.why)
			}
		})
	}
}

func TestCanonicalizeAcceptsNestingAtTheLimit(t *testing.T) {
	in := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	got, err := Canonicalize([]byte(in))
	if err != nil || string(got) != in {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestCanonicalizeLargeObjectDetectsDuplicatesLate(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 1000 {
		b.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `_` + strconv.Itoa(i) + `":1,`)
	}
	b.WriteString(`"k_5":1,"k_5":2}`)
	_, err := Canonicalize([]byte(b.String()))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("err = %v, want a duplicate member error", err)
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
		`{"\u20ac":"Euro Sign","\r":"CR","\ufb33":"x","1":"One","\ud83d\ude00":"e","\u0080":"c","\u00f6":"o"}`,
		`[0,-0,1e21,1e20,1e-7,0.000001,5e-324,1.7976931348623157e308]`,
		`{"event":"session.end","timestamp":"2025-12-30T10:16:00.000Z","session_id":"abc123def4567890","session_duration_ms":29877}`,
		`"\ud83d"`, `{"a":1,"a":2}`, `[[[[]]]]`, `"\u0000\u001f\u007f"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c1, err := Canonicalize(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		if !json.Valid(c1) {
			t.Fatalf("canonical output is not JSON: %q", c1)
		}
		c2, err := Canonicalize(c1)
		if err != nil {
			t.Fatalf("canonical output rejected: %v (%q)", err, c1)
		}
		if string(c1) != string(c2) {
			t.Fatalf("not idempotent:\n%q\n%q", c1, c2)
		}
		var v1, v2 any
		if err := json.Unmarshal(in, &v1); err != nil {
			t.Fatalf("encoding/json rejects accepted input: %v", err)
		}
		if err := json.Unmarshal(c1, &v2); err != nil {
			t.Fatalf("encoding/json rejects canonical output: %v", err)
		}
		if !reflect.DeepEqual(v1, v2) {
			t.Fatalf("canonical form changed the value:\n%#v\n%#v", v1, v2)
		}
	})
}

func BenchmarkCanonicalize(b *testing.B) {
	in := []byte(`{"event":"command.generated","timestamp":"2025-12-30T10:15:32.456Z","session_id":"a1b2c3d4e5f60718","generation_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","backend_used":"ollama","inference_time_ms":1823,"safety_result":{"risk_level":"safe","patterns_matched":0},"model_name":"Qwen2.5-Coder-1.5B","input_token_count":45,"output_token_count":23,"confidence_score":0.92,"retry_count":0}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Canonicalize(in); err != nil {
			b.Fatal(err)
		}
	}
}

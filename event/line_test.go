package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Staged lines are written by hand (AppendLine) and read with
// encoding/json (ParseLine): each must be one line that encoding/json reads back as the
// Line it would have written itself (it writes <, > and & escaped,
// which decodes the same).
func TestStagedLinesReadBackAsWritten(t *testing.T) {
	for _, tc := range []struct {
		name, id, at, payload string
	}{
		{"typical", "0193a0c4-8f2e-7d4b-9a1c-2b3d4e5f6a7b", "2026-11-26T15:47:15.123456789Z",
			`{"event":"session.start","timestamp":"2026-11-26T15:47:15Z","backend":"static"}`},
		{"quotes and controls", "a\"b\\c\n\t\x01\r", "\u2028<>&", `{"event":"x"}`},
		{"invalid UTF-8", "\xff\xfe", "é", `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendLine([]byte("kept "), tc.id, tc.at, []byte(tc.payload))
			line, ok := strings.CutPrefix(string(got), "kept ")
			if !ok || strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "}\n") {
				t.Fatalf("not one line appended: %q", got)
			}
			g, err := ParseLine([]byte(strings.TrimSuffix(line, "\n")))
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			want, _ := json.Marshal(Line{ID: tc.id, At: tc.at, Event: json.RawMessage(tc.payload)})
			var w Line
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if g.ID != w.ID || g.At != w.At || string(g.Event) != string(w.Event) || g.Counters != nil {
				t.Errorf("read back %+v, want %+v", g, w)
			}
		})
	}
}

func TestCountersLinesReadBack(t *testing.T) {
	got := AppendCountersLine(nil, map[string]int64{"dropped_cap": 3})
	l, err := ParseLine(bytes.TrimSuffix(got, []byte("\n")))
	if err != nil || l.Counters["dropped_cap"] != 3 || len(l.Event) != 0 {
		t.Fatalf("%q read back as %+v, %v", got, l, err)
	}
}

func TestMalformedLinesAreRefused(t *testing.T) {
	for _, raw := range []string{`{"id":"a","event":{"ev`, `[1,2]`, `not json`} {
		if _, err := ParseLine([]byte(raw)); !errors.Is(err, ErrLine) {
			t.Errorf("ParseLine(%q) error %v, want ErrLine", raw, err)
		}
	}
}

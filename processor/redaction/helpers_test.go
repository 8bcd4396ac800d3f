package redaction_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"caro.sh/telemetry/internal/eventtest"
	"caro.sh/telemetry/schema"
)

// line is one value of a testdata file, with the section ("#> NAME") it is in.
type line struct {
	no      int
	section string
	value   string
}

// readLines reads a testdata file: one value per line, "#" comments, blank
// lines ignored, "#> NAME" starting a section.
func readLines(tb testing.TB, path string) []line {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []line
	section := ""
	sc := bufio.NewScanner(f)
	for no := 1; sc.Scan(); no++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "#>"):
			section = strings.TrimSpace(text[2:])
		case text == "" || strings.HasPrefix(text, "#"):
		default:
			out = append(out, line{no: no, section: section, value: text})
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return out
}

const (
	validSessionID = "0123456789abcdef"
	validUUID      = eventtest.UUID
	// validRecordUID is a UUID v7, as the spool makes them.
	validRecordUID = eventtest.RecordUID
)

// isZero reports whether a is the zero Attr (Attr holds a slice, so it
// cannot be compared with ==).
func isZero(a schema.Attr) bool {
	return a.Key == "" && a.Value.Type == 0 && a.Value.Str == "" && a.Value.Int == 0 &&
		!a.Value.Bool && a.Value.Float == 0 && a.Value.List == nil
}

// validValue returns a value that f accepts.
func validValue(f *schema.Field) schema.Value { return eventtest.Value(f) }

// validAttrs returns every field of ev, required and optional, with a valid
// value, in schema order: eventtest's payload fields, then the transport
// field, which a collector receives with the others.
func validAttrs(ev *schema.Event) []schema.Attr {
	out := eventtest.Attrs(ev)
	for i := range ev.Fields {
		if f := &ev.Fields[i]; f.Transport {
			out = append(out, schema.Attr{Key: f.Key, Value: validValue(f)})
		}
	}
	return out
}

// with returns a copy of attrs with key set to val.
func with(attrs []schema.Attr, key string, val schema.Value) []schema.Attr {
	out := make([]schema.Attr, len(attrs))
	copy(out, attrs)
	for i := range out {
		if out[i].Key == key {
			out[i].Value = val
			return out
		}
	}
	return append(out, schema.Attr{Key: key, Value: val})
}

// without returns a copy of attrs without key.
func without(attrs []schema.Attr, key string) []schema.Attr {
	var out []schema.Attr
	for _, a := range attrs {
		if a.Key != key {
			out = append(out, a)
		}
	}
	return out
}

func mustEvent(tb testing.TB, name string) *schema.Event {
	tb.Helper()
	return eventtest.Lookup(tb, name)
}

// eventField is one field of one event.
type eventField struct {
	ev *schema.Event
	f  *schema.Field
}

// stringFields lists every string field of every event.
func stringFields() []eventField { return fieldsOfType(schema.TypeString) }

// listFields lists every string list field of every event.
func listFields() []eventField { return fieldsOfType(schema.TypeStringList) }

func fieldsOfType(typ schema.Type) []eventField {
	var out []eventField
	for _, ev := range schema.Events() {
		for i := range ev.Fields {
			if ev.Fields[i].Type == typ {
				out = append(out, eventField{ev, &ev.Fields[i]})
			}
		}
	}
	return out
}

func get(attrs []schema.Attr, key string) (schema.Value, bool) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return schema.Value{}, false
}

func itoa(n int) string {
	return strconv.Itoa(n)
}

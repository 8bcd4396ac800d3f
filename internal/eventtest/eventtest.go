// Package eventtest gives tests valid events built from the schema: one
// valid value per field, so that a field added to the schema is covered by
// every test that uses these samples without editing them.
package eventtest

import (
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

// T0 is the fixed event time of the samples (the spec's example session).
var T0 = time.Date(2025, 12, 30, 10, 15, 30, 123456789, time.UTC)

const (
	// UUID is a v4 UUID, the shape of a generation id.
	UUID = "5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b"
	// RecordUID is a v7 UUID, as the spool makes them.
	RecordUID = "019abc12-3456-7def-8123-456789abcdef"
)

// Value returns a valid value for the field: the first enum value, a
// typical string of each format, an int in range, true, 0.92.
func Value(f *schema.Field) schema.Value {
	switch f.Type {
	case schema.TypeString:
		switch f.Format {
		case schema.FormatEnum:
			return schema.String(f.Enum[0])
		case schema.FormatVersion:
			return schema.String("1.1.0")
		case schema.FormatModelName:
			return schema.String("Qwen2.5-Coder-1.5B")
		case schema.FormatSessionID:
			return schema.String("0123456789abcdef")
		case schema.FormatUUID:
			return schema.String(UUID)
		case schema.FormatRecordUID:
			return schema.String(RecordUID)
		}
		panic("eventtest: no sample for format " + f.Format.String())
	case schema.TypeInt:
		return schema.Int(int64(min(1823, f.Max)))
	case schema.TypeBool:
		return schema.Bool(true)
	case schema.TypeFloat:
		return schema.Float(0.92)
	case schema.TypeStringList:
		return schema.StringList([]string{"0123456789abcdef", "fedcba9876543210"})
	}
	panic("eventtest: no sample for type " + f.Type.String())
}

// Attrs returns every payload field of the event with a valid value, in
// schema order (not the transport field log.record.uid, which stores keep
// in their own column).
func Attrs(def *schema.Event) []schema.Attr {
	out := make([]schema.Attr, 0, len(def.Fields))
	for i := range def.Fields {
		f := &def.Fields[i]
		if f.Transport {
			continue
		}
		out = append(out, schema.Attr{Key: f.Key, Value: Value(f)})
	}
	return out
}

// Lookup returns the named event's definition or fails the test.
func Lookup(t testing.TB, name string) *schema.Event {
	t.Helper()
	def, ok := schema.Lookup(name)
	if !ok {
		t.Fatalf("schema has no event %s", name)
	}
	return def
}

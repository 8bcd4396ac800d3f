// Package events decodes events in the spec's JSON shape, as POST
// /v1/events batches and air-gapped export files carry them:
//
//	{"event": "session.start", "timestamp": "2025-12-30T10:15:30.123Z",
//	 "session_id": "...", "platform": {"os": "macos", ...}, ...}
//
// into the event name, its time and its flattened attributes (nested
// objects joined with dots: platform.os), typed by the schema where the
// key is declared and by the JSON kind elsewhere. It judges nothing but
// the shape: every attribute, declared or not, is handed on so that the
// redaction Validator drops what is undeclared (and counts it) and
// rejects what is sensitive.
package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"caro.sh/telemetry/schema"
)

// Limits on one event: far above any event of the schema (a dozen fields,
// two levels), low enough that a hostile event costs little.
const (
	MaxDepth = 4
	MaxKeys  = 128
)

// ErrMalformed is wrapped by every error of Decode.
var ErrMalformed = errors.New("malformed event")

// DecodeLenient parses one event object as a client sent it.
func DecodeLenient(raw []byte) (name string, ts time.Time, attrs []schema.Attr, err error) {
	obj, err := readObject(raw)
	if err != nil {
		return "", time.Time{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	name, ok := obj["event"].(string)
	if !ok || name == "" {
		return "", time.Time{}, nil, fmt.Errorf("%w: missing \"event\"", ErrMalformed)
	}
	tsText, ok := obj["timestamp"].(string)
	if !ok {
		return "", time.Time{}, nil, fmt.Errorf("%w: missing \"timestamp\"", ErrMalformed)
	}
	if ts, err = time.Parse(time.RFC3339Nano, tsText); err != nil {
		return "", time.Time{}, nil, fmt.Errorf("%w: timestamp is not RFC 3339", ErrMalformed)
	}
	def, _ := schema.Lookup(name) // nil for an unknown event: the Validator rejects it
	d := decoder{def: def}
	delete(obj, "event")
	delete(obj, "timestamp")
	if err := d.flatten(obj, "", 1); err != nil {
		return "", time.Time{}, nil, err
	}
	return name, ts.UTC(), d.attrs, nil
}

type decoder struct {
	def   *schema.Event
	attrs []schema.Attr
}

func (d *decoder) flatten(obj map[string]any, prefix string, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, MaxDepth)
	}
	for k, v := range obj {
		key := prefix + k
		if sub, ok := v.(map[string]any); ok {
			if err := d.flatten(sub, key+".", depth+1); err != nil {
				return err
			}
			continue
		}
		if len(d.attrs) >= MaxKeys {
			return fmt.Errorf("%w: more than %d fields", ErrMalformed, MaxKeys)
		}
		d.attrs = append(d.attrs, schema.Attr{Key: key, Value: d.value(key, v)})
	}
	return nil
}

// value types v by the declared field where there is one (a JSON number
// is an int or a float as the field says), by its JSON kind otherwise. A
// value that fits no schema type (null, an array of non-strings, a number
// out of range for an int field) gets Type 0, which the Validator rejects
// in a declared field and drops elsewhere.
func (d *decoder) value(key string, v any) schema.Value {
	var want schema.Type
	if d.def != nil {
		if f, ok := d.def.Field(key); ok {
			want = f.Type
		}
	}
	switch x := v.(type) {
	case string:
		return schema.String(x)
	case bool:
		return schema.Bool(x)
	case json.Number:
		if want == schema.TypeFloat {
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				return schema.Float(f)
			}
			return schema.Value{}
		}
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return schema.Int(i)
		}
		if want == schema.TypeInt {
			return schema.Value{} // 1.5, 1e3 or too large: not an int
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return schema.Float(f)
		}
	case []any:
		list := make([]string, len(x))
		for i, it := range x {
			s, ok := it.(string)
			if !ok {
				return schema.Value{}
			}
			list[i] = s
		}
		return schema.StringList(list)
	}
	return schema.Value{}
}

package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"caro.sh/telemetry/schema"
)

// ErrInvalid is wrapped by every error of Encode and Decode:
// an unknown event, a field that the schema does not declare for the event
// (on encode), a value of the wrong type, or malformed JSON.
var ErrInvalid = errors.New("invalid event payload")

// node is one key of an event's JSON object: either a leaf holding the
// field at index field of the event's schema, or a group ("platform")
// holding the fields whose dotted keys share its prefix.
type node struct {
	name     string
	field    int // index into schema.Event.Fields; -1 for a group
	children []*node
	leaves   []int // for a group: the field indices beneath it
}

// layout is the precomputed JSON shape of one event, derived from the
// schema at init so that encoding neither sorts nor splits keys.
type layout struct {
	def  *schema.Event
	pos  map[string]int // flattened key -> field index
	root node
}

var layouts = buildLayouts()

func buildLayouts() map[string]*layout {
	out := make(map[string]*layout)
	for _, def := range schema.Events() {
		l := &layout{def: def, pos: make(map[string]int, len(def.Fields)), root: node{field: -1}}
		for i, f := range def.Fields {
			l.pos[f.Key] = i
			if f.Transport {
				continue // kept in its own column, never in the payload
			}
			if err := l.root.insert(strings.Split(f.Key, "."), i); err != nil {
				// The schema is fixed at compile time: a key that is both a
				// leaf and a group is a programmer error in package schema.
				panic(fmt.Sprintf("event: event %s: %v", def.Name, err))
			}
		}
		out[def.Name] = l
	}
	return out
}

// insert adds the field at index i under the path segs, creating groups in
// order of first appearance so that the output follows the schema's order.
func (n *node) insert(segs []string, i int) error {
	n.leaves = append(n.leaves, i)
	if segs[0] == "event" || segs[0] == "timestamp" {
		if n.isRootLevel() {
			return fmt.Errorf("field %q collides with the envelope", segs[0])
		}
	}
	var child *node
	for _, c := range n.children {
		if c.name == segs[0] {
			child = c
			break
		}
	}
	if len(segs) == 1 {
		if child != nil {
			return fmt.Errorf("key %q declared twice or also a group", segs[0])
		}
		n.children = append(n.children, &node{name: segs[0], field: i})
		return nil
	}
	if child == nil {
		child = &node{name: segs[0], field: -1}
		n.children = append(n.children, child)
	} else if child.field >= 0 {
		return fmt.Errorf("key %q is both a field and a group", segs[0])
	}
	return child.insert(segs[1:], i)
}

// isRootLevel is true for the event object itself (a group without a name).
func (n *node) isRootLevel() bool { return n.name == "" }

// Encode returns the event as the spec's JSON object: "event" and
// "timestamp" (TimestampLayout) first, then the fields in the order the
// schema declares them, dotted keys nested back into objects
// (platform.os -> "platform": {"os": ...}). The output is stable: the same
// event always encodes to the same bytes.
//
// It checks the payload's shape against the schema: the event must be known,
// every key declared for it, at most once, with the declared type (and
// floats finite). It does not judge content (enum domains, formats, ranges):
// that is the redaction processor's job, upstream of the spool.
//
// Transport fields (schema.Field.Transport: log.record.uid) are checked
// for their type like any field but left out of the payload: the spool
// keeps the event's id in its own column (Event.EventID).
func Encode(name string, ts time.Time, attrs []schema.Attr) ([]byte, error) {
	return AppendEncode(make([]byte, 0, 96+32*len(attrs)), name, ts, attrs)
}

// AppendEncode is Encode appending to buf, for callers that write many
// events into one buffer.
func AppendEncode(buf []byte, name string, ts time.Time, attrs []schema.Attr) ([]byte, error) {
	l, ok := layouts[name]
	if !ok {
		return nil, fmt.Errorf("%w: unknown event %q", ErrInvalid, name)
	}
	ts = ts.UTC()
	if y := ts.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("%w: %s: timestamp year %d out of range", ErrInvalid, name, y)
	}
	// Index the attributes by field; events have at most a dozen fields, so
	// a small array avoids a map on the hot path.
	var small [16]int
	at := small[:0]
	for range l.def.Fields {
		at = append(at, -1)
	}
	for j, a := range attrs {
		i, ok := l.pos[a.Key]
		if !ok {
			return nil, fmt.Errorf("%w: %s: field %q is not in the schema", ErrInvalid, name, a.Key)
		}
		if at[i] >= 0 {
			return nil, fmt.Errorf("%w: %s: field %q given twice", ErrInvalid, name, a.Key)
		}
		f := &l.def.Fields[i]
		if a.Value.Type != f.Type {
			return nil, fmt.Errorf("%w: %s: field %q is %s, want %s", ErrInvalid, name, a.Key, a.Value.Type, f.Type)
		}
		if f.Type == schema.TypeFloat && (math.IsNaN(a.Value.Float) || math.IsInf(a.Value.Float, 0)) {
			return nil, fmt.Errorf("%w: %s: field %q is not a finite number", ErrInvalid, name, a.Key)
		}
		if f.Type == schema.TypeStringList && a.Value.List == nil {
			return nil, fmt.Errorf("%w: %s: field %q is a nil list", ErrInvalid, name, a.Key)
		}
		at[i] = j
	}

	buf = append(buf, `{"event":`...)
	buf = appendString(buf, name)
	buf = append(buf, `,"timestamp":"`...)
	buf = ts.AppendFormat(buf, TimestampLayout)
	buf = append(buf, '"')
	buf = l.root.appendMembers(buf, attrs, at, false)
	buf = append(buf, '}')
	return buf, nil
}

// appendMembers writes the present members of group n, each preceded by a
// comma unless it is the first member of an object that has none yet.
func (n *node) appendMembers(buf []byte, attrs []schema.Attr, at []int, first bool) []byte {
	for _, c := range n.children {
		if c.field >= 0 {
			j := at[c.field]
			if j < 0 {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, c.name)
			buf = append(buf, ':')
			buf = appendValue(buf, attrs[j].Value)
			continue
		}
		present := false
		for _, i := range c.leaves {
			if at[i] >= 0 {
				present = true
				break
			}
		}
		if !present {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendString(buf, c.name)
		buf = append(buf, ":{"...)
		buf = c.appendMembers(buf, attrs, at, true)
		buf = append(buf, '}')
	}
	return buf
}

func appendValue(buf []byte, v schema.Value) []byte {
	switch v.Type {
	case schema.TypeString:
		return appendString(buf, v.Str)
	case schema.TypeInt:
		return strconv.AppendInt(buf, v.Int, 10)
	case schema.TypeBool:
		return strconv.AppendBool(buf, v.Bool)
	case schema.TypeFloat:
		// The same choice of notation as encoding/json, so that any JSON
		// reader parses it back to the same float64.
		f, format := v.Float, byte('f')
		if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
			format = 'e'
		}
		return strconv.AppendFloat(buf, f, format, -1, 64)
	case schema.TypeStringList:
		buf = append(buf, '[')
		for i, s := range v.List {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, s)
		}
		return append(buf, ']')
	}
	return append(buf, "null"...) // unreachable: types are checked first
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does, so that the stored payload is always valid JSON.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// Decode parses a payload written by Encode back into the
// event's name, timestamp and flattened attributes, typed by the schema
// (a JSON number becomes an int or a float as the field declares) and
// returned in the schema's field order.
//
// Keys that the schema does not declare for the event are dropped, not
// reported: a row written under another version of the schema still
// decodes, and only declared fields can come out of the spool. Everything
// else is an error wrapping ErrInvalid: malformed JSON, a missing or unknown
// "event", a missing or malformed "timestamp", a declared field whose JSON
// type does not match (a string for an int, 1.5 for an int, an object for a
// leaf), or an int out of the int64 range.
func Decode(b []byte) (name string, ts time.Time, attrs []schema.Attr, err error) {
	obj, err := readObject(b)
	if err != nil {
		return "", time.Time{}, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	name, ok := obj["event"].(string)
	if !ok {
		return "", time.Time{}, nil, fmt.Errorf("%w: missing \"event\"", ErrInvalid)
	}
	l, ok := layouts[name]
	if !ok {
		return "", time.Time{}, nil, fmt.Errorf("%w: unknown event %q", ErrInvalid, name)
	}
	tsText, ok := obj["timestamp"].(string)
	if !ok {
		return "", time.Time{}, nil, fmt.Errorf("%w: %s: missing \"timestamp\"", ErrInvalid, name)
	}
	ts, err = time.Parse(time.RFC3339Nano, tsText)
	if err != nil {
		return "", time.Time{}, nil, fmt.Errorf("%w: %s: timestamp: %v", ErrInvalid, name, err)
	}
	vals := make([]*schema.Value, len(l.def.Fields))
	if err := l.root.decodeMembers(l.def, obj, vals, ""); err != nil {
		return "", time.Time{}, nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	for i, v := range vals {
		if v != nil {
			attrs = append(attrs, schema.Attr{Key: l.def.Fields[i].Key, Value: *v})
		}
	}
	return name, ts.UTC(), attrs, nil
}

// readObject parses b as exactly one JSON object, keeping numbers as
// json.Number so that the schema, not the JSON decoder, says whether one
// is an int or a float. Decode and DecodeLenient wrap its errors in their
// own sentinel.
func readObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the event object")
	}
	if obj == nil {
		return nil, errors.New("not an object")
	}
	return obj, nil
}

func (n *node) decodeMembers(def *schema.Event, obj map[string]any, vals []*schema.Value, prefix string) error {
	for _, c := range n.children {
		raw, ok := obj[c.name]
		if !ok {
			continue
		}
		if c.field < 0 {
			sub, ok := raw.(map[string]any)
			if !ok {
				return fmt.Errorf("%q is not an object", prefix+c.name)
			}
			if err := c.decodeMembers(def, sub, vals, prefix+c.name+"."); err != nil {
				return err
			}
			continue
		}
		f := &def.Fields[c.field]
		v, err := decodeValue(f, raw)
		if err != nil {
			return fmt.Errorf("field %q: %v", f.Key, err)
		}
		vals[c.field] = &v
	}
	return nil
}

func decodeValue(f *schema.Field, raw any) (schema.Value, error) {
	switch f.Type {
	case schema.TypeString:
		if s, ok := raw.(string); ok {
			return schema.String(s), nil
		}
	case schema.TypeBool:
		if b, ok := raw.(bool); ok {
			return schema.Bool(b), nil
		}
	case schema.TypeInt:
		if n, ok := raw.(json.Number); ok {
			i, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil {
				return schema.Value{}, fmt.Errorf("%s is not an int64", n)
			}
			return schema.Int(i), nil
		}
	case schema.TypeFloat:
		if n, ok := raw.(json.Number); ok {
			x, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return schema.Value{}, fmt.Errorf("%s is not a float64", n)
			}
			return schema.Float(x), nil
		}
	case schema.TypeStringList:
		if items, ok := raw.([]any); ok {
			list := make([]string, len(items))
			for i, it := range items {
				s, ok := it.(string)
				if !ok {
					return schema.Value{}, fmt.Errorf("item %d: want string, got %s", i, jsonKind(it))
				}
				list[i] = s
			}
			return schema.StringList(list), nil
		}
	}
	return schema.Value{}, fmt.Errorf("want %s, got %s", f.Type, jsonKind(raw))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

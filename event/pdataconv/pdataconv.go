// Package pdataconv converts between the Collector's pdata log attributes
// and schema values, for the Collector faces of the redaction processor,
// the store exporter and the caro receiver: the twin of package otelconv,
// with the same names, so that every face reads and writes attributes the
// same way.
//
// A pdata value of a kind the schema has no type for (bytes, maps, slices
// that are not all strings, empty) becomes a schema.Value with Type 0:
// the redaction Validator drops it when its key is undeclared and rejects
// the event with ReasonType when it is declared, as for the SDK face.
package pdataconv

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"caro.sh/telemetry/schema"
)

// AppendAttrs appends the attributes of m to dst, in m's order, and
// returns the extended slice. String slices share nothing with m.
func AppendAttrs(dst []schema.Attr, m pcommon.Map) []schema.Attr {
	for k, v := range m.All() {
		dst = append(dst, schema.Attr{Key: k, Value: FromValue(v)})
	}
	return dst
}

// FromValue converts one pdata value.
func FromValue(v pcommon.Value) schema.Value {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return schema.String(v.Str())
	case pcommon.ValueTypeInt:
		return schema.Int(v.Int())
	case pcommon.ValueTypeBool:
		return schema.Bool(v.Bool())
	case pcommon.ValueTypeDouble:
		return schema.Float(v.Double())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		list := make([]string, s.Len())
		for i := range s.Len() {
			it := s.At(i)
			if it.Type() != pcommon.ValueTypeStr {
				return schema.Value{}
			}
			list[i] = it.Str()
		}
		return schema.StringList(list)
	}
	return schema.Value{}
}

// PutAttrs replaces the content of m by attrs. Attributes with no schema
// type are skipped (the Validator never accepts one).
func PutAttrs(m pcommon.Map, attrs []schema.Attr) {
	m.Clear()
	m.EnsureCapacity(len(attrs))
	for _, a := range attrs {
		PutValue(m, a.Key, a.Value)
	}
}

// PutValue sets key in m to v; a value with no schema type is not set.
func PutValue(m pcommon.Map, key string, v schema.Value) {
	switch v.Type {
	case schema.TypeString:
		m.PutStr(key, v.Str)
	case schema.TypeInt:
		m.PutInt(key, v.Int)
	case schema.TypeBool:
		m.PutBool(key, v.Bool)
	case schema.TypeFloat:
		m.PutDouble(key, v.Float)
	case schema.TypeStringList:
		s := m.PutEmptySlice(key)
		s.EnsureCapacity(len(v.List))
		for _, it := range v.List {
			s.AppendEmpty().SetStr(it)
		}
	}
}

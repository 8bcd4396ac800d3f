// Package otelconv converts between the schema's typed values and OTel Go
// attributes, once, for every face that sits on the OTel Go SDK (the
// redaction processor, the spool exporter, the SDK's debug printer, the
// upload's replay), and builds the one resource Caro's telemetry carries.
// Package pdataconv is its twin for the Collector's pdata, with the same
// names. Package schema itself stays free of OTel imports.
package otelconv

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"caro.sh/telemetry/schema"
)

// FromValue converts the kinds the schema knows (string, int64, bool,
// float64, string slice). Any other kind reports false and a zero Value,
// which fails every field's type check.
func FromValue(v attribute.Value) (schema.Value, bool) {
	switch v.Type() {
	case attribute.STRING:
		return schema.String(v.AsString()), true
	case attribute.INT64:
		return schema.Int(v.AsInt64()), true
	case attribute.BOOL:
		return schema.Bool(v.AsBool()), true
	case attribute.FLOAT64:
		return schema.Float(v.AsFloat64()), true
	case attribute.STRINGSLICE:
		return schema.StringList(v.AsStringSlice()), true
	}
	return schema.Value{}, false
}

// FromKeyValue converts one attribute; ok is false for a kind the schema
// does not know.
func FromKeyValue(kv attribute.KeyValue) (schema.Attr, bool) {
	v, ok := FromValue(kv.Value)
	return schema.Attr{Key: string(kv.Key), Value: v}, ok
}

// ToKeyValue converts a schema attribute; ok is false for an untyped value.
func ToKeyValue(a schema.Attr) (attribute.KeyValue, bool) {
	switch a.Value.Type {
	case schema.TypeString:
		return attribute.String(a.Key, a.Value.Str), true
	case schema.TypeInt:
		return attribute.Int64(a.Key, a.Value.Int), true
	case schema.TypeBool:
		return attribute.Bool(a.Key, a.Value.Bool), true
	case schema.TypeFloat:
		return attribute.Float64(a.Key, a.Value.Float), true
	case schema.TypeStringList:
		return attribute.StringSlice(a.Key, a.Value.List), true
	}
	return attribute.KeyValue{}, false
}

// Resource is the only resource Caro's telemetry carries: service.name
// caro and the Caro version, nothing about the host, process or user.
func Resource(version string) *resource.Resource {
	return resource.NewSchemaless(
		attribute.String(schema.ResourceServiceName, schema.ServiceName),
		attribute.String(schema.ResourceServiceVersion, version),
	)
}

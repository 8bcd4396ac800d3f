package otelconv

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"caro.sh/telemetry/schema"
)

func TestEverySchemaTypeRoundTrips(t *testing.T) {
	for _, a := range []schema.Attr{
		{Key: "s", Value: schema.String("linux")},
		{Key: "i", Value: schema.Int(-42)},
		{Key: "b", Value: schema.Bool(true)},
		{Key: "f", Value: schema.Float(0.92)},
		{Key: "l", Value: schema.StringList([]string{"0123456789abcdef", "fedcba9876543210"})},
	} {
		t.Run(a.Value.Type.String()+" survives the trip to OTel and back", func(t *testing.T) {
			kv, ok := ToKeyValue(a)
			if !ok {
				t.Fatal("KeyValue refused it")
			}
			back, ok := FromKeyValue(kv)
			if !ok || !reflect.DeepEqual(back, a) {
				t.Errorf("got %+v, want %+v", back, a)
			}
		})
	}
}

func TestKindsOutsideTheSchemaAreRefused(t *testing.T) {
	for _, kv := range []attribute.KeyValue{
		attribute.Int64Slice("x", []int64{1}),
		attribute.BoolSlice("x", []bool{true}),
		{Key: "x"},
	} {
		if v, ok := FromValue(kv.Value); ok || v.Type != 0 {
			t.Errorf("%v converted to %+v", kv.Value.Type(), v)
		}
	}
	if _, ok := ToKeyValue(schema.Attr{Key: "x"}); ok {
		t.Error("an untyped value converted")
	}
}

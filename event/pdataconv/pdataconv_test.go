package pdataconv

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"caro.sh/telemetry/schema"
)

func TestAttrsRoundTripThroughAPdataMap(t *testing.T) {
	in := []schema.Attr{
		{Key: "s", Value: schema.String("macos")},
		{Key: "i", Value: schema.Int(-3)},
		{Key: "b", Value: schema.Bool(true)},
		{Key: "f", Value: schema.Float(0.5)},
		{Key: "l", Value: schema.StringList([]string{"0123456789abcdef"})},
	}
	m := pcommon.NewMap()
	PutAttrs(m, in)
	got := AppendAttrs(nil, m)
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("round trip:\ngot  %+v\nwant %+v", got, in)
	}
}

func TestKindsWithoutASchemaTypeBecomeUntyped(t *testing.T) {
	m := pcommon.NewMap()
	m.PutEmptyBytes("bytes").FromRaw([]byte("x"))
	m.PutEmptyMap("map").PutStr("k", "v")
	mixed := m.PutEmptySlice("mixed")
	mixed.AppendEmpty().SetStr("a")
	mixed.AppendEmpty().SetInt(1)
	m.PutEmpty("empty")
	for _, a := range AppendAttrs(nil, m) {
		if a.Value.Type != 0 {
			t.Errorf("%s converted to %v, want no type", a.Key, a.Value.Type)
		}
	}
}

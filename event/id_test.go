package event

import (
	"testing"

	"github.com/google/uuid"

	"caro.sh/telemetry/schema"
)

func TestNameBasedUIDsAreStableAndDistinct(t *testing.T) {
	a := NameBasedUID([]byte(`{"event":"session.start"}`))
	b := NameBasedUID([]byte(`{"event":"session.end"}`))
	if a != NameBasedUID([]byte(`{"event":"session.start"}`)) || a == b {
		t.Fatalf("ids %s %s", a, b)
	}
	if len(a) != 36 || a[14] != '5' {
		t.Errorf("%s is not a UUID v5", a)
	}
}

func TestNewRecordUIDsAreV7InTimeOrder(t *testing.T) {
	prev := ""
	for range 100 {
		id, err := NewRecordUID()
		if err != nil {
			t.Fatal(err)
		}
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("%s: version %d, %v", id, u.Version(), err)
		}
		if id <= prev {
			t.Fatalf("%s after %s: not increasing", id, prev)
		}
		prev = id
	}
}

func TestSplitRecordUIDTakesTheFirstStringUID(t *testing.T) {
	attrs := []schema.Attr{
		{Key: schema.KeySessionID, Value: schema.String("0123456789abcdef")},
		{Key: schema.KeyRecordUID, Value: schema.Int(1)},
		{Key: schema.KeyRecordUID, Value: schema.String("a")},
		{Key: schema.KeyRecordUID, Value: schema.String("b")},
	}
	uid, rest := SplitRecordUID(attrs)
	if uid != "a" || len(rest) != 1 || rest[0].Key != schema.KeySessionID {
		t.Fatalf("uid %q, rest %v", uid, rest)
	}
}

package insights

import (
	"math/rand/v2"
	"testing"
)

// TestIDTableHoldsWhatAMapHolds puts the same keys into an idTable and a
// Go map, values overwritten, and asks both for every key and for keys
// never put: ids of every kind, numbered ids that count up (the keys
// that hash worst), and enough of them for the table to grow many times.
func TestIDTableHoldsWhatAMapHolds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		key  func(i int) idKey
	}{
		{"UUIDs", func(int) idKey { return idKey{hi: idUUID | r.Uint64()>>16, lo: r.Uint64()} }},
		{"hex16", func(int) idKey { return idKey{hi: idHex16, lo: r.Uint64()} }},
		{"numbered", func(i int) idKey { return idKey{hi: idNumbered, lo: uint64(i)} }},
		{"one bit apart", func(i int) idKey { return idKey{hi: idHex16, lo: 1 << (i % 64)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tab idTable
			want := map[idKey]int32{}
			var keys []idKey
			for i := range 50_000 {
				k := tc.key(i)
				keys = append(keys, k)
				tab.set(k, int32(i))
				want[k] = int32(i)
				if i%7 == 0 { // a value overwritten
					tab.set(keys[i/2], -int32(i))
					want[keys[i/2]] = -int32(i)
				}
			}
			if tab.n != len(want) {
				t.Fatalf("the table holds %d ids, the map %d", tab.n, len(want))
			}
			for k, v := range want {
				if got, ok := tab.get(k); !ok || got != v {
					t.Fatalf("get(%+v) = %d, %v; want %d", k, got, ok, v)
				}
			}
			for range 10_000 {
				k := idKey{hi: idUUID | r.Uint64()>>16, lo: r.Uint64()}
				if _, in := want[k]; tab.has(k) != in {
					t.Fatalf("has(%+v) = %v, want %v", k, !in, in)
				}
			}
		})
	}
	var empty idTable
	if empty.has(idKey{hi: idHex16, lo: 1}) {
		t.Error("an empty table holds an id")
	}
}

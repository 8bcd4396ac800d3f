package insights

import "math/bits"

// idTable maps idKeys to int32s: a scan's sessions (id -> index) and its
// unmodified generations (a set), millions of ids each, looked up once
// for each event of the window. Open addressing with linear probing over
// one slice: a lookup reads one slot (24 bytes, a cache line at most
// twice), where a Go map of that size reads its directory, a group's
// control word and then the slot, each a cache miss. Measured on the
// weekly review of 10 million events (BenchmarkWeekly, 2 cores): through
// Go maps, the lookups of sess and unmodified took 2.6 of its 20.5 CPU
// seconds; with idTable, the review went from 9.4 and 9.8 s to 9.0 and
// 9.3 s (one after the other, twice). The zero idKey is no id's (ids.key
// gives every id a kind), so it marks an empty slot.
type idTable struct {
	slots []idSlot
	n     int // ids held
	shift uint8
}

type idSlot struct {
	k idKey
	v int32
}

// idTableMin is the slots of a new table; it doubles past half full.
const idTableMin = 1 << 10

// slot is where a probe for k starts: Fibonacci hashing of both halves
// (a numbered id's lo counts up from 0).
func (t *idTable) slot(k idKey) uint64 {
	return ((k.lo ^ bits.RotateLeft64(k.hi, 31)) * 0x9e3779b97f4a7c15) >> t.shift
}

// get returns k's value, and whether k is held.
func (t *idTable) get(k idKey) (int32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.k == k {
			return s.v, true
		}
		if s.k == (idKey{}) {
			return 0, false
		}
	}
}

// has says whether k is held.
func (t *idTable) has(k idKey) bool {
	_, ok := t.get(k)
	return ok
}

// set holds k with value v, in its place if k is held already.
func (t *idTable) set(k idKey, v int32) {
	if k == (idKey{}) {
		panic("insights: the zero idKey in an idTable")
	}
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.k == k {
			s.v = v
			return
		}
		if s.k == (idKey{}) {
			s.k, s.v = k, v
			t.n++
			return
		}
	}
}

// grow doubles the slots (or makes the first ones) and places every id
// again.
func (t *idTable) grow() {
	old := t.slots
	size := max(idTableMin, 2*len(old))
	t.slots = make([]idSlot, size)
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	t.n = 0
	for _, s := range old {
		if s.k != (idKey{}) {
			t.set(s.k, s.v)
		}
	}
}

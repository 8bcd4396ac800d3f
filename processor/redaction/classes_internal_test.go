package redaction

import (
	"slices"
	"testing"
)

func TestTheScannersStepsVisitEveryPlaceInOrder(t *testing.T) {
	for _, tc := range []struct {
		name, s string
		indexes []int    // of '-'
		runs    []string // of isIPv6Byte
	}{
		{"an empty string has neither", "", nil, nil},
		{"a string without either has neither", "~~~", nil, nil},
		{"places at both ends are visited", "-ab~~-~c:d-", []int{0, 5, 10}, []string{"ab", "c:d"}},
		{"adjacent places are each visited", "--fe80::1", []int{0, 1}, []string{"fe80::1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := slices.Collect(indexes(tc.s, '-')); !slices.Equal(got, tc.indexes) {
				t.Errorf("indexes(%q, '-') = %v, want %v", tc.s, got, tc.indexes)
			}
			if got := slices.Collect(runs(tc.s, isIPv6Byte)); !slices.Equal(got, tc.runs) {
				t.Errorf("runs(%q, isIPv6Byte) = %q, want %q", tc.s, got, tc.runs)
			}
		})
	}
}

func TestTheScannersStopWhenTheLoopDoes(t *testing.T) {
	for i := range indexes("a-b-c", '-') {
		if i != 1 {
			t.Fatalf("first index %d, want 1", i)
		}
		break
	}
	for run := range runs("ab~cd", isIPv6Byte) {
		if run != "ab" {
			t.Fatalf("first run %q, want ab", run)
		}
		break
	}
}

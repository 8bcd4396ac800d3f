package event

import "time"

// TimestampLayout is the wire form of an event's "timestamp": RFC 3339 in
// UTC with exactly three fractional digits, as in the spec's examples
// (2025-12-30T10:15:30.123Z). Decoding accepts any RFC 3339 time.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// StoreTimeLayout is how stores keep times as text: fixed-width UTC with
// nanoseconds, so that text order is time order and an index on it serves
// range queries.
const StoreTimeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatStoreTime formats t in StoreTimeLayout.
func FormatStoreTime(t time.Time) string { return t.UTC().Format(StoreTimeLayout) }

// ParseStoreTime parses a time written by FormatStoreTime.
func ParseStoreTime(s string) (time.Time, error) { return time.Parse(StoreTimeLayout, s) }

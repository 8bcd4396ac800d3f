package event

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Line is one line of a staging file (the spool's inbox): either an event,
// with the record uid and the time it was staged, or counters that the
// writer could only stage (events dropped for the cap).
type Line struct {
	ID       string           `json:"id,omitempty"`
	At       string           `json:"at,omitempty"`
	Event    json.RawMessage  `json:"event,omitempty"`
	Counters map[string]int64 `json:"counters,omitempty"`
}

// ErrLine is wrapped by every error of ParseLine.
var ErrLine = errors.New("malformed staged line")

// AppendLine appends the Line of one event, newline included, exactly as
// encoding/json would write it. By hand because this runs in every
// recording caro process, once: there encoding/json's first use of a type
// (reflection, then compacting a payload it cannot know is compact) costs
// a tenth of a millisecond. encoded is the event's compact JSON object
// (Encode).
func AppendLine(buf []byte, id, at string, encoded []byte) []byte {
	buf = append(buf, `{"id":`...)
	buf = appendString(buf, id)
	buf = append(buf, `,"at":`...)
	buf = appendString(buf, at)
	buf = append(buf, `,"event":`...)
	buf = append(buf, encoded...)
	return append(buf, "}\n"...)
}

// AppendCountersLine appends a Line holding only counters, newline
// included.
func AppendCountersLine(buf []byte, counters map[string]int64) []byte {
	b, _ := json.Marshal(Line{Counters: counters}) // a map of ints always encodes
	return append(append(buf, b...), '\n')
}

// ParseLine reads one line (without its newline). The event, if any, is
// returned still encoded: Decode checks it against the schema.
func ParseLine(raw []byte) (Line, error) {
	var l Line
	if err := json.Unmarshal(raw, &l); err != nil {
		return Line{}, fmt.Errorf("%w: %v", ErrLine, err)
	}
	return l, nil
}

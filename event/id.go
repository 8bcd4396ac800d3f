package event

import (
	"fmt"

	"github.com/google/uuid"

	"caro.sh/telemetry/schema"
)

// NewRecordUID returns a fresh record uid: a UUID v7, so that ids made in
// time order sort in time order and a B-tree keyed on them appends.
func NewRecordUID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("record uid: %w", err)
	}
	return u.String(), nil
}

// NameBasedUID returns the record uid of an event that arrived without
// one (an air-gapped export file, a POST /v1/events batch): a UUID v5 of
// its encoded form (Encode), so that the same event uploaded twice is
// stored once.
func NameBasedUID(encoded []byte) string {
	return uuid.NewSHA1(uidSpace, encoded).String()
}

// uidSpace is the UUID namespace of NameBasedUID (a v5 UUID of the URL
// namespace and "https://caro.sh/telemetry/event"). Changing it changes
// every derived id, so stored events would no longer deduplicate.
var uidSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://caro.sh/telemetry/event"))

// SplitRecordUID removes the transport field log.record.uid from attrs (in
// place) and returns its value ("" when absent) and the remaining fields.
// Stores keep the id in its own column, never in the encoded form.
func SplitRecordUID(attrs []schema.Attr) (string, []schema.Attr) {
	uid := ""
	n := 0
	for _, a := range attrs {
		if a.Key == schema.KeyRecordUID {
			if a.Value.Type == schema.TypeString && uid == "" {
				uid = a.Value.Str
			}
			continue
		}
		attrs[n] = a
		n++
	}
	clear(attrs[n:])
	return uid, attrs[:n]
}

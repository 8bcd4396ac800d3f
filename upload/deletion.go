package upload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
)

// The deletion request event: the schema's control event
// (schema.EventDeletionRequest). It is never spooled or recorded by the SDK,
// only built here from the ids; the collector's redaction checks it like
// any event and its store acts on it.
const (
	// EventDeletionRequest is the event name the collector acts on.
	EventDeletionRequest = schema.EventDeletionRequest
	// AttrSessionIDs holds the anonymous session ids to erase, as one
	// string slice.
	AttrSessionIDs = schema.KeySessionIDs
	// MaxDeletionIDs bounds one request: two years of daily ids, longer
	// than any retention of the spec.
	MaxDeletionIDs = schema.MaxDeletionSessionIDs
)

// ErrNoSessionIDs is returned for a deletion request without ids.
var ErrNoSessionIDs = errors.New("deletion request has no session ids")

// DeletionRequest asks the server to erase everything it holds under the
// listed anonymous session ids (`caro telemetry delete-remote`). The device
// recomputes them with sdk.SessionIDsSince(machineID, now minus the longest
// server retention, now): they are hashes of the machine id and the date,
// and nothing else about the device is sent.
//
// The request is one log record, event name deletion.request, whose only
// attributes are session_ids (a string slice) and log.record.uid (the
// RequestID). One record rather than one per id: the request is a single
// act, delivered or not as a whole, and one uid lets the collector drop a
// retried copy.
type DeletionRequest struct {
	// RequestID is a UUID v7, the record's log.record.uid.
	RequestID string
	// Time is when the user asked.
	Time time.Time
	// SessionIDs are the ids to erase, sorted, without duplicates.
	SessionIDs []string
}

// NewDeletionRequest checks the ids (each 16 lowercase hex digits, as
// sdk.SessionID makes them, at most MaxDeletionIDs) and returns the request.
// It refuses anything else, so that the request can carry nothing but
// anonymous ids.
func NewDeletionRequest(ids []string, now time.Time) (DeletionRequest, error) {
	var d DeletionRequest
	if len(ids) == 0 {
		return d, ErrNoSessionIDs
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if len(sorted) > MaxDeletionIDs {
		return d, fmt.Errorf("deletion request has %d session ids, more than %d", len(sorted), MaxDeletionIDs)
	}
	for _, id := range sorted {
		if !isSessionID(id) {
			return d, fmt.Errorf("deletion request: %q is not a session id (16 lowercase hex digits)", id)
		}
	}
	u, err := uuid.NewV7()
	if err != nil {
		return d, fmt.Errorf("deletion request id: %w", err)
	}
	return DeletionRequest{RequestID: u.String(), Time: now.UTC(), SessionIDs: sorted}, nil
}

func isSessionID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// RequestDeletion builds the deletion request for ids (NewDeletionRequest,
// at opts.Now) and sends it (DeletionRequest.Send).
func RequestDeletion(ctx context.Context, ids []string, opts Options) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	d, err := NewDeletionRequest(ids, now())
	if err != nil {
		return err
	}
	return d.Send(ctx, opts)
}

// Send posts the request as one OTLP log record through the same replay
// path and failure table as Flush, in one attempt with the attempt
// deadline, and without touching the spool or its state. The error is a
// *SendError (errors.Is ErrRejected or ErrUnavailable) when the server did
// not take it, ErrAirGapped when air-gapped. Sending the same request
// again is safe: the collector deduplicates by RequestID.
func (d DeletionRequest) Send(ctx context.Context, opts Options) error {
	s, err := opts.settings()
	if err != nil {
		return err
	}
	if s.AirGapped {
		return ErrAirGapped
	}
	if len(d.SessionIDs) == 0 {
		return ErrNoSessionIDs
	}
	snd, err := newSender(ctx, s)
	if err != nil {
		return err
	}
	defer snd.close()
	if err := snd.send(ctx, []log.Record{d.record()}); err != nil {
		return fmt.Errorf("deletion request %s: %w", d.RequestID, err)
	}
	return nil
}

func (d DeletionRequest) record() log.Record {
	var r log.Record
	r.SetEventName(EventDeletionRequest)
	r.SetTimestamp(d.Time)
	r.SetObservedTimestamp(d.Time)
	r.SetSeverity(log.SeverityInfo)
	r.AddAttributes(
		attribute.String(AttrRecordUID, d.RequestID),
		attribute.StringSlice(AttrSessionIDs, d.SessionIDs),
	)
	return r
}

// Encoded returns the request as an event of the air-gapped export, in
// the one encoding of every event (event.Encode):
// {"event":"deletion.request","timestamp":...,"session_ids":[...]}. In
// air-gapped mode `caro telemetry delete-remote` puts it in the next
// export instead of sending it. Its uid is not in it, as for every
// exported event: the collector derives a name-based one from these bytes,
// so the same request submitted twice is applied once.
func (d DeletionRequest) Encoded() ([]byte, error) {
	return event.Encode(EventDeletionRequest, d.Time,
		[]schema.Attr{{Key: AttrSessionIDs, Value: schema.StringList(d.SessionIDs)}})
}

package upload

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/otlptest"
)

var deletionIDs = []string{"ffeeddccbbaa9988", "0123456789abcdef", "0123456789abcdef", "a1b2c3d4e5f60718"}

// TestDeletionRequestCarriesOnlyTheIDs: one record, deletion.request, with
// session_ids (sorted, without duplicates) and its uid, nothing else; the
// resource is the only one allowed.
func TestDeletionRequestCarriesOnlyTheIDs(t *testing.T) {
	c := newClock()
	srv := newOTLPServer(t)
	if err := RequestDeletion(context.Background(), deletionIDs, testOptions(srv.URL, c)); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || len(reqs[0].Records) != 1 {
		t.Fatalf("server got %d requests, want one with one record", len(reqs))
	}
	r := reqs[0].Records[0]
	if r.Name != EventDeletionRequest || !r.Time.Equal(c.Now()) || r.UID == "" {
		t.Errorf("record %s at %v uid %q, want %s at %v with a uid", r.Name, r.Time, r.UID, EventDeletionRequest, c.Now())
	}
	want := map[string]any{AttrSessionIDs: []any{"0123456789abcdef", "a1b2c3d4e5f60718", "ffeeddccbbaa9988"}}
	if !reflect.DeepEqual(r.Attrs, want) {
		t.Errorf("attributes %#v, want only %#v", r.Attrs, want)
	}
	if !reflect.DeepEqual(r.AttrOrder, []string{AttrRecordUID, AttrSessionIDs}) {
		t.Errorf("attribute keys %v, want only %s and %s", r.AttrOrder, AttrRecordUID, AttrSessionIDs)
	}
	checkRequests(t, srv, LogsPath)
}

func TestDeletionRequestRefusesAnythingButSessionIDs(t *testing.T) {
	opts := testOptions(otlptest.Untouchable(t), newClock())
	for _, ids := range [][]string{
		nil,
		{"0123456789ABCDEF"},
		{"0123456789abcde"},
		{"/home/user/.ssh"},
		{"0123456789abcdef", "rm -rf /tmp/xyz0"},
	} {
		if err := RequestDeletion(context.Background(), ids, opts); err == nil {
			t.Errorf("RequestDeletion(%q) sent", ids)
		}
	}
	many := make([]string, MaxDeletionIDs+1)
	for i := range many {
		many[i] = "00000000" + hex8(i)
	}
	if _, err := NewDeletionRequest(many, time.Now()); err == nil {
		t.Errorf("%d ids accepted", len(many))
	}
	if err := (DeletionRequest{}).Send(context.Background(), opts); !errors.Is(err, ErrNoSessionIDs) {
		t.Errorf("empty request Send = %v", err)
	}
}

func hex8(i int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for j := 7; j >= 0; j-- {
		b[j] = digits[i&15]
		i >>= 4
	}
	return string(b)
}

// TestDeletionRequestFailures: the caller learns whether to give up or
// try later, and when.
func TestDeletionRequestFailures(t *testing.T) {
	c := newClock()
	for _, tc := range []struct {
		name       string
		answer     action
		is         error
		retryAfter time.Duration
	}{
		{"a 400 is final", code(400), ErrRejected, 0},
		{"a 503 says when to try again", code(503, "Retry-After", "3600"), ErrUnavailable, time.Hour},
		{"a 500 may pass later", code(500), ErrUnavailable, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newOTLPServer(t, tc.answer)
			err := RequestDeletion(context.Background(), deletionIDs, testOptions(srv.URL, c))
			var se *SendError
			if !errors.Is(err, tc.is) || !errors.As(err, &se) || se.RetryAfter != tc.retryAfter {
				t.Errorf("RequestDeletion = %v, want %v with Retry-After %v", err, tc.is, tc.retryAfter)
			}
		})
	}
	t.Run("no server is unavailable", func(t *testing.T) {
		err := RequestDeletion(context.Background(), deletionIDs, testOptions(closedPort(t), c))
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("RequestDeletion = %v, want ErrUnavailable", err)
		}
	})
}

// TestDeletionRequestForTheExport: the air-gapped export carries the same
// request in the events' one encoding, and nothing the schema does not
// declare.
func TestDeletionRequestForTheExport(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 30, 0, 123e6, time.UTC)
	d, err := NewDeletionRequest(deletionIDs, at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"event":"deletion.request","timestamp":"2026-11-26T09:30:00.123Z",` +
		`"session_ids":["0123456789abcdef","a1b2c3d4e5f60718","ffeeddccbbaa9988"]}`
	if string(b) != want {
		t.Errorf("encoded %s, want %s", b, want)
	}
	name, ts, attrs, err := event.Decode(b)
	if err != nil || name != EventDeletionRequest || !ts.Equal(at) || len(attrs) != 1 {
		t.Errorf("decoded %s %v %v, %v", name, ts, attrs, err)
	}
}

package upload

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Outcome is what the failure table makes of one request's result.
type Outcome uint8

// Outcomes of one request.
const (
	// Delivered: a 2xx. The batch is marked transmitted.
	Delivered Outcome = iota + 1
	// Retry: no response (network down, connection reset, deadline), a 5xx
	// other than 503, or a status the table does not name (1xx, 3xx). The
	// batch is kept and the next attempt backs off exponentially.
	Retry
	// Throttled: a 429 or a 503. The batch is kept; the next attempt waits
	// for the server's Retry-After, or backs off when it gave none.
	Throttled
	// Rejected: any other 4xx. The batch is deleted and counted
	// (CounterDroppedRejected): sending it again would fail again.
	Rejected
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Throttled:
		return "throttled"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Sentinel errors a caller branches on; every *SendError matches one.
var (
	// ErrRejected: the server refused the request with a 4xx other than
	// 429. Sending the same data again will not help.
	ErrRejected = errors.New("telemetry server rejected the request")
	// ErrUnavailable: the request may succeed later (no response, 5xx,
	// 429, unexpected status).
	ErrUnavailable = errors.New("telemetry server unavailable")
)

// SendError describes a request that was not delivered.
type SendError struct {
	Outcome Outcome
	// StatusCode is the HTTP status, 0 when no response arrived.
	StatusCode int
	// RetryAfter is the server's Retry-After (0 when absent or unparsable).
	RetryAfter time.Duration
	// HasRetryAfter tells a Retry-After of 0 from an absent one.
	HasRetryAfter bool
	// Err is the exporter's error, if any.
	Err error
}

func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString("send telemetry: ")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "server answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	} else {
		b.WriteString("no response")
	}
	if e.HasRetryAfter {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the exporter's error.
func (e *SendError) Unwrap() error { return e.Err }

// Is matches ErrRejected for Rejected and ErrUnavailable for Retry and
// Throttled.
func (e *SendError) Is(target error) bool {
	switch target {
	case ErrRejected:
		return e.Outcome == Rejected
	case ErrUnavailable:
		return e.Outcome == Retry || e.Outcome == Throttled
	}
	return false
}

// classify applies the failure table to one request: the status of its
// response (0: none), that response's Retry-After header and the exporter's
// error. It returns nil for Delivered.
//
// A 2xx counts as delivered even when the exporter reports an error: the
// server has the batch (a partial-success notice or a body cut short after
// the status line change nothing about that), and sending it again would
// only make duplicates.
func classify(status int, retryAfter string, err error, now time.Time) *SendError {
	e := &SendError{StatusCode: status, Err: err}
	switch {
	case status >= 200 && status <= 299:
		return nil
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		e.Outcome = Throttled
		e.RetryAfter, e.HasRetryAfter = parseRetryAfter(retryAfter, now)
	case status >= 400 && status <= 499:
		e.Outcome = Rejected
	default: // no response, 5xx, 1xx, 3xx
		e.Outcome = Retry
	}
	if e.Err == nil && status == 0 {
		e.Err = errors.New("no response and no error")
	}
	return e
}

// maxRetryAfter bounds what parseRetryAfter returns, so that adding it to a
// time cannot overflow; the backoff caps it much lower anyway.
const maxRetryAfter = 100 * 365 * 24 * time.Hour

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): a number
// of seconds, or an HTTP date taken relative to now (a date in the past is
// 0). ok is false when the header is absent or malformed.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			var numErr *strconv.NumError
			if errors.As(err, &numErr) && numErr.Err == strconv.ErrRange {
				return maxRetryAfter, true
			}
			return 0, false
		}
		if secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > maxRetryAfter:
		return maxRetryAfter, true
	}
	return d, true
}

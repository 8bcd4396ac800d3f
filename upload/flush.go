package upload

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/log"

	"caro.sh/telemetry/exporter/sqlitespool"
)

// CounterDroppedRejected is the spool counter of events deleted because
// the server rejected their batch with a 4xx.
const CounterDroppedRejected = "dropped_rejected"

// Result tells what one Flush did.
type Result struct {
	// Sent is the number of events delivered and marked transmitted.
	Sent int
	// Kept is the number of events still pending in the spool when Flush
	// returned: those of a failed batch, those after it, and any that Caro
	// recorded meanwhile.
	Kept int
	// Dropped is the number of events deleted because the server rejected
	// their batch (also added to CounterDroppedRejected).
	Dropped int
	// Batches is the number of requests made.
	Batches int
	// RetryAfter is the server's Retry-After on the failure that stopped
	// the flush (0 when it sent none).
	RetryAfter time.Duration
	// NextAttempt is the earliest time of the next attempt after a failure
	// (backoff or Retry-After); zero when the flush did not fail. Due also
	// applies the batch interval on top of it.
	NextAttempt time.Time
	// Failure is the *SendError that stopped the flush, or else the last
	// rejection; nil when every request was delivered.
	Failure error
}

// Flush sends the pending events of sp, oldest first, in batches of
// Options.BatchSize, until none is left or a batch fails. Each batch is one
// OTLP/HTTP request: delivered, it is marked transmitted; rejected (a 4xx
// other than 429), it is deleted and counted and the next batch goes; kept
// (no response, a deadline, a 5xx, a 429), the flush stops and the state
// file records the backoff or Retry-After. See the package documentation
// for the whole failure table.
//
// The error is for what the table does not cover: invalid Options, a spool
// or state file that cannot be read or written, or ctx ending (the batch in
// flight is then kept and sent again by the next flush; the server drops
// the duplicate by log.record.uid). A failed request is not an error: it
// is in Result.Failure. With an error, Result still counts what was done
// before it.
//
// Flush does not take the upload lock: the caller holds Lock(LockPath(
// sp.Path())) around it, so that two uploaders never send the same batch.
// Flush does not consult Due either: `caro telemetry flush` run by hand
// sends at once.
func Flush(ctx context.Context, sp *sqlitespool.Spool, opts Options) (Result, error) {
	var res Result
	s, err := opts.settings()
	if err != nil {
		return res, err
	}
	if s.AirGapped {
		return res, ErrAirGapped
	}
	statePath := StatePath(sp.Path())
	st, _ := LoadState(statePath) // a malformed state starts afresh
	st.LastAttempt = s.Now()
	if err := st.save(statePath); err != nil {
		return res, err
	}

	snd, err := newSender(ctx, s)
	if err != nil {
		return res, err
	}
	defer snd.close()

	var failure *SendError
	recs := make([]log.Record, 0, s.BatchSize)
	ids := make([]int64, 0, s.BatchSize)
	for failure == nil {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		evs, err := sp.Pending(ctx, s.BatchSize)
		if err != nil {
			return res, fmt.Errorf("flush: %w", err)
		}
		if len(evs) == 0 {
			break
		}
		recs, ids = recs[:0], ids[:0]
		for i := range evs {
			recs = append(recs, eventRecord(&evs[i]))
			ids = append(ids, evs[i].ID)
		}
		res.Batches++
		err = snd.send(ctx, recs)
		var se *SendError
		switch {
		case err == nil:
			if err := sp.MarkTransmitted(ctx, ids, s.Now()); err != nil {
				return res, fmt.Errorf("flush: delivered %d events but could not mark them (they will be sent again): %w",
					len(ids), err)
			}
			res.Sent += len(ids)
			st.Failures, st.NextAttempt, st.LastError = 0, time.Time{}, ""
			st.LastSuccess = s.Now()
		case errors.As(err, &se) && se.Outcome == Rejected:
			n, err := sp.Delete(ctx, ids)
			if err != nil {
				return res, fmt.Errorf("flush: drop rejected batch: %w", err)
			}
			if err := sp.AddCounters(ctx, map[string]int64{CounterDroppedRejected: int64(n)}); err != nil {
				return res, fmt.Errorf("flush: count rejected batch: %w", err)
			}
			res.Dropped += n
			res.Failure = se
			st.Failures, st.NextAttempt = 0, time.Time{}
			st.LastError = se.Error()
		case se != nil:
			failure = se
		default: // ctx ended, or the replay itself failed
			return res, fmt.Errorf("flush: %w", err)
		}
		if len(evs) < s.BatchSize {
			break
		}
	}

	if failure != nil {
		st.Failures++
		now := s.Now()
		st.NextAttempt = now.Add(delayAfter(failure, st.Failures, s))
		st.LastError = failure.Error()
		res.Failure = failure
		res.RetryAfter = failure.RetryAfter
		res.NextAttempt = st.NextAttempt
	}
	if err := st.save(statePath); err != nil {
		return res, err
	}
	stats, err := sp.Stats(ctx)
	if err != nil {
		return res, fmt.Errorf("flush: %w", err)
	}
	res.Kept = stats.Pending
	return res, nil
}

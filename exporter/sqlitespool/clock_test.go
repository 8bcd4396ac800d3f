package sqlitespool

import (
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/schema"
)

// A clock set a year ahead, then corrected: what was stored or staged
// meanwhile must expire Retention after the correction, not a year later,
// and must not shelter the events stored after it from the purge.
func TestAClockAheadThenCorrectedExtendsNoRetention(t *testing.T) {
	const day = 24 * time.Hour
	ahead := t0.Add(365 * day)
	for _, tc := range []struct {
		name string
		// ahead stores event 1 while the clock is a year ahead.
		ahead func(t *testing.T, path string, s *Spool, now *time.Time)
	}{
		{"stored while ahead", func(t *testing.T, _ string, s *Spool, now *time.Time) {
			*now = ahead
			if _, err := s.Append(ctx, []Event{seqEvent(1, ahead)}); err != nil {
				t.Fatal(err)
			}
		}},
		{"staged while ahead, stored after the correction", func(t *testing.T, path string, _ *Spool, _ *time.Time) {
			exp := NewInboxExporter(Options{Path: path, Now: func() time.Time { return ahead }}, nil)
			provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
			var r log.Record
			r.SetEventName(schema.EventSessionEnd)
			r.SetTimestamp(ahead)
			r.AddAttributes(kvs(seqEvent(1, ahead).Attrs)...)
			provider.Logger("caro").Emit(ctx, r)
			if err := provider.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "telemetry.db")
			now := t0
			opts := Options{Path: path, Now: func() time.Time { return now }}
			s := openTemp(t, opts)
			if _, err := s.Append(ctx, []Event{seqEvent(0, t0)}); err != nil {
				t.Fatal(err)
			}
			tc.ahead(t, path, s, &now)
			s.Close()

			now = t0.Add(day) // corrected
			s = openTemp(t, opts)
			if _, err := s.Append(ctx, []Event{seqEvent(2, now)}); err != nil {
				t.Fatal(err)
			}
			s.Close()

			now = t0.Add(9 * day) // all three are more than 7 days old
			s = openTemp(t, opts)
			res, err := s.Append(ctx, []Event{seqEvent(3, now)})
			if err != nil {
				t.Fatal(err)
			}
			if got := storedSeqs(t, s); len(got) != 1 || got[3] != 1 {
				t.Errorf("kept %v after 9 days (purged %d); want only event 3", got, res.Purged)
			}
		})
	}
}

// storedSeqs counts the stored events by sequence number.
func storedSeqs(t *testing.T, sp *Spool) map[int]int {
	t.Helper()
	evs, err := sp.List(ctx, ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[int]int{}
	for _, e := range evs {
		seqs[seqOf(t, e)]++
	}
	return seqs
}

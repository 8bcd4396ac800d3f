package upload

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/log"

	"caro.sh/telemetry/exporter/sqlitespool"
)

// BenchmarkFlush flushes 1,000 spooled events per iteration to a loopback
// OTLP/HTTP server that decodes every request: spool read, replay, protobuf,
// gzip, HTTP, and marking the batch transmitted. Refilling the spool is
// not timed.
func BenchmarkFlush(b *testing.B) {
	const perOp = 1000
	for _, size := range []int{50, 200, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			c := newClock()
			sp := newSpool(b, c)
			srv := newOTLPServer(b)
			opts := testOptions(srv.URL, c)
			opts.BatchSize = size
			b.ReportAllocs()
			sent := 0
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				fillSpoolQuick(b, sp, perOp, c.Now())
				b.StartTimer()
				start := time.Now()
				res, err := Flush(context.Background(), sp, opts)
				elapsed += time.Since(start)
				if err != nil || res.Sent != perOp {
					b.Fatalf("Flush = %+v, %v", res, err)
				}
				sent += res.Sent
			}
			b.ReportMetric(float64(sent)/elapsed.Seconds(), "events/s")
		})
	}
}

// BenchmarkSend is one batch of 200 records through the replay path and
// the exporter to the loopback server, without the spool.
func BenchmarkSend(b *testing.B) {
	c := newClock()
	srv := newOTLPServer(b)
	s, err := testOptions(srv.URL, c).settings()
	if err != nil {
		b.Fatal(err)
	}
	snd, err := newSender(context.Background(), s)
	if err != nil {
		b.Fatal(err)
	}
	defer snd.close()
	evs := testEvents(200, c.Now())
	recs := make([]log.Record, len(evs))
	for i := range evs {
		evs[i].EventID = fmt.Sprintf("0190a000-0000-7000-8000-%012d", i)
		recs[i] = eventRecord(&evs[i])
	}
	b.ReportAllocs()
	n := 0
	start := time.Now()
	for b.Loop() {
		if err := snd.send(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
		n += len(recs)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}

// fillSpoolQuick appends n events without reading them back.
func fillSpoolQuick(b *testing.B, sp *sqlitespool.Spool, n int, now time.Time) {
	b.Helper()
	if _, err := sp.Append(context.Background(), testEvents(n, now)); err != nil {
		b.Fatal(err)
	}
}

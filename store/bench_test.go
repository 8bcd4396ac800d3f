package store

import (
	"sync/atomic"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/loadgen"
)

// BenchmarkAppend stores the load generator's requests (33 six-event
// sessions, every field, uids in the last hour's time order) from 4
// concurrent callers, as the collector's exporter does (Accept), timed
// until the last event is in the table (Flush). The batches are
// built before the clock starts; events/s and the CPU of a run (go test
// -cpuprofile, or time) are the store's own cost.
func BenchmarkAppend(b *testing.B) {
	for _, op := range backends {
		b.Run(op.name, func(b *testing.B) {
			epoch := time.Now().UTC()
			s := op.open(b, Options{Now: func() time.Time { return epoch }})
			gen, err := loadgen.NewGenerator(1, epoch, 33, 0)
			if err != nil {
				b.Fatal(err)
			}
			batches := make([][]Event, b.N)
			for i := range batches {
				for _, r := range gen.Batch(uint64(i)).Records {
					uid, attrs := event.SplitRecordUID(r.Attrs)
					batches[i] = append(batches[i], Event{UID: uid, Name: r.Event, Time: r.Time, Attrs: attrs})
				}
			}
			var next, events atomic.Int64
			b.SetParallelism(2) // 2 x GOMAXPROCS callers
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					batch := batches[next.Add(1)-1]
					if _, err := s.Accept(ctx, batch); err != nil {
						b.Error(err)
						return
					}
					events.Add(int64(len(batch)))
				}
			})
			// Until the last event is in the table, not only durable.
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(events.Load())/b.Elapsed().Seconds(), "events/s")
		})
	}
}

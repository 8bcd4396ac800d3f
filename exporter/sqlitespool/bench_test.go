package sqlitespool

import (
	"context"
	"path/filepath"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/schema"
)

// The figures depend on the disk: with synchronous=NORMAL a commit does not
// sync, but every WAL checkpoint syncs the WAL and the database.

func benchAppend(b *testing.B, batch int, opts Options) {
	opts.Path = filepath.Join(b.TempDir(), "telemetry.db")
	s := openTemp(b, opts)
	evs := make([]Event, batch)
	for i := range evs {
		evs[i] = seqEvent(i, t0)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Append(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppend: one event per transaction, as a SimpleProcessor exports.
func BenchmarkAppend(b *testing.B) { benchAppend(b, 1, Options{}) }

// BenchmarkAppendBatch100: a hundred events per transaction, as a
// BatchProcessor exports.
func BenchmarkAppendBatch100(b *testing.B) { benchAppend(b, 100, Options{}) }

// BenchmarkAppendAtCap: single events into a full spool of the default
// cap, so that the cost of eviction is included, amortized.
func BenchmarkAppendAtCap(b *testing.B) {
	s := openTemp(b, Options{Path: filepath.Join(b.TempDir(), "telemetry.db")})
	batch := make([]Event, 100)
	for i := range batch {
		batch[i] = seqEvent(i, t0)
	}
	for {
		res, err := s.Append(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		if res.DroppedForCap > 0 {
			break
		}
	}
	ev := []Event{seqEvent(0, t0)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Append(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkOpenClose: what a Caro process pays to open an existing spool
// and close it (the close checkpoints the WAL).
func BenchmarkOpenClose(b *testing.B) {
	path := filepath.Join(b.TempDir(), "telemetry.db")
	s := openTemp(b, Options{Path: path})
	if _, err := s.Append(ctx, []Event{seqEvent(0, t0)}); err != nil {
		b.Fatal(err)
	}
	s.Close()
	b.ReportAllocs()
	for b.Loop() {
		s, err := Open(ctx, Options{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInboxSessionStored is a whole Caro session made durable and
// then stored: a new InboxExporter and LoggerProvider, the schema's events
// emitted through the OTel API, Shutdown (one append to the inbox), and
// the Open that ingests them into SQLite.
func BenchmarkInboxSessionStored(b *testing.B) {
	path := filepath.Join(b.TempDir(), "telemetry.db")
	type rec struct {
		name  string
		attrs []schema.Attr
	}
	var events []rec
	for _, def := range schema.Events() {
		events = append(events, rec{def.Name, sampleAttrs(def)})
	}
	b.ReportAllocs()
	for b.Loop() {
		exp := NewInboxExporter(Options{Path: path}, func(err error) { b.Fatal(err) })
		provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
		s := &inboxSession{exp: exp, provider: provider, logger: provider.Logger("caro")}
		for _, e := range events {
			s.emit(e.name, t0, kvs(e.attrs)...)
		}
		if err := provider.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		sp, err := Open(context.Background(), Options{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		if err := sp.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
}

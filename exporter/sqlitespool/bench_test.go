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

// benchSession runs one Caro session per iteration: a new Exporter and
// LoggerProvider, the six events of the schema emitted through the OTel
// API, and Shutdown, which persists them and closes the file.
func benchSession(b *testing.B, processor func(sdklog.Exporter) sdklog.Processor) {
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
		exp := NewExporter(Options{Path: path}, func(err error) { b.Fatal(err) })
		provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(processor(exp)))
		s := &session{exp: exp, provider: provider, logger: provider.Logger("caro")}
		for _, e := range events {
			s.emit(e.name, t0, kvs(e.attrs)...)
		}
		if err := provider.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkExporterSession: six events persisted, one transaction each
// (SimpleProcessor), plus opening and closing the spool.
func BenchmarkExporterSession(b *testing.B) {
	benchSession(b, func(e sdklog.Exporter) sdklog.Processor { return sdklog.NewSimpleProcessor(e) })
}

// BenchmarkExporterSessionBatched: the same session through a
// BatchProcessor, whose Shutdown exports the six events in one transaction.
func BenchmarkExporterSessionBatched(b *testing.B) {
	benchSession(b, func(e sdklog.Exporter) sdklog.Processor { return sdklog.NewBatchProcessor(e) })
}

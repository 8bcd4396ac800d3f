package redactionprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	contrib "github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"caro.sh/telemetry/internal/collectortest"
	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/schema"
)

// benchSessions is the batch both processors get: 100 full sessions (600
// records, every field set), as a gateway receives them from clients.
const benchSessions = 100

func benchBatch() plog.Logs {
	var recs []plogtest.Record
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for i := range benchSessions {
		recs = append(recs, plogtest.Session(fmt.Sprintf("%016x", i+1), t0, 6*i)...)
	}
	return plogtest.Logs(recs...)
}

// contribConfig is the nearest equivalent of caro_redaction in contrib's
// redaction processor: the schema's keys as the allowlist, and value
// patterns for what Detect looks for (paths, keys and tokens, e-mail and IP
// addresses, URLs). It checks no types, enum domains, formats or ranges,
// and masks values instead of dropping events.
func contribConfig() *contrib.Config {
	cfg := contrib.NewFactory().CreateDefaultConfig().(*contrib.Config)
	keys := map[string]bool{}
	for _, e := range schema.Events() {
		for _, f := range e.Fields {
			keys[f.Key] = true
		}
	}
	for k := range keys {
		cfg.AllowedKeys = append(cfg.AllowedKeys, k)
	}
	cfg.BlockedValues = []string{
		`(?:^|[\s"'=])(?:/|~/|\./|\.\./)[^\s]*`, // Unix paths
		`[A-Za-z]:\\`,                           // Windows paths
		`(?:sk-|ghp_|gho_|glpat-|xox[abprs]-|AKIA|AIza|hf_)[A-Za-z0-9_-]{10,}`, // provider keys
		`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+`,                                // JWTs
		`[0-9a-fA-F]{32,}`,                                                     // long hex
		`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+`,                                     // e-mail, user@host
		`\b(?:\d{1,3}\.){3}\d{1,3}\b`,                                          // IPv4
		`(?i)[a-z][a-z0-9+.-]*://`,                                             // URLs
	}
	cfg.Summary = "silent"
	return cfg
}

func newLogs(b *testing.B, f processor.Factory, cfg any) processor.Logs {
	b.Helper()
	return collectortest.StartLogsProcessor(b, f, processortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
}

// runBatches feeds a fresh copy of the batch per iteration (processors
// mutate it) and reports ns per record; BenchmarkCopyOnly measures the copy
// alone, to subtract.
func runBatches(b *testing.B, p processor.Logs) {
	src := benchBatch()
	n := src.LogRecordCount()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ld := plog.NewLogs()
		src.CopyTo(ld)
		if p != nil {
			if err := p.ConsumeLogs(context.Background(), ld); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}

// BenchmarkRedactionCaro is this processor on the 600-record batch.
func BenchmarkRedactionCaro(b *testing.B) {
	runBatches(b, newLogs(b, NewFactory(), createDefaultConfig()))
}

// BenchmarkRedactionContrib is contrib's redaction processor on the same
// batch, configured as close to ours as it goes (contribConfig).
func BenchmarkRedactionContrib(b *testing.B) {
	runBatches(b, newLogs(b, contrib.NewFactory(), contribConfig()))
}

// BenchmarkRedactionCopyOnly is the per-iteration copy of the batch that
// both benchmarks above include.
func BenchmarkRedactionCopyOnly(b *testing.B) {
	runBatches(b, nil)
}

// TestTheContribComparisonSeesTheSameRecords guards the benchmark: both
// processors pass all 600 valid records.
func TestTheContribComparisonSeesTheSameRecords(t *testing.T) {
	for name, mk := range map[string]func() (processor.Factory, any){
		"caro_redaction": func() (processor.Factory, any) { return NewFactory(), createDefaultConfig() },
		"redaction":      func() (processor.Factory, any) { return contrib.NewFactory(), contribConfig() },
	} {
		t.Run(name+" passes every record of the batch", func(t *testing.T) {
			f, cfg := mk()
			sink := new(consumertest.LogsSink)
			p := collectortest.StartLogsProcessor(t, f, processortest.NewNopSettings(f.Type()), cfg, sink)
			if err := p.ConsumeLogs(context.Background(), benchBatch()); err != nil {
				t.Fatal(err)
			}
			if got := sink.LogRecordCount(); got != 6*benchSessions {
				t.Fatalf("%d records passed, want %d", got, 6*benchSessions)
			}
		})
	}
}

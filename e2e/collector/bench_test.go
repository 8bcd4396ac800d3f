package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/event/pdataconv"
	"caro.sh/telemetry/exporter/sqlitespool/sqlitespoolexporter"
	"caro.sh/telemetry/internal/otelcoltest"
	"caro.sh/telemetry/internal/otlptest"
	"caro.sh/telemetry/internal/plogtest"
	"caro.sh/telemetry/processor/redaction/redactionprocessor"
	"caro.sh/telemetry/receiver/caroreceiver"
)

// sessionsPerBatch: each request carries 100 full sessions (600 events),
// about what `caro telemetry flush` sends in 3 batches of 200.
const sessionsPerBatch = 100

// seq makes every benchmark batch's events distinct (session ids and
// log.record.uid), so that the store inserts them all instead of dropping
// duplicates.
var seq atomic.Int64

func uniqueBatch(t0 time.Time) plog.Logs {
	var recs []plogtest.Record
	for range sessionsPerBatch {
		n := int(seq.Add(1))
		recs = append(recs, plogtest.Session(fmt.Sprintf("%016x", n), t0, 6*n)...)
	}
	return plogtest.Logs(recs...)
}

func reportEventsPerSecond(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// redactionAndStore starts caro_redaction -> sqlitespool (a real SQLite
// file in a temporary folder) by their factories, as the collector does,
// and returns the processor, the pipeline's entry. Both are shut down
// with the benchmark, after whatever is started later.
func redactionAndStore(b *testing.B, ctx context.Context) processor.Logs {
	b.Helper()
	ecfg := sqlitespoolexporter.NewFactory().CreateDefaultConfig().(*sqlitespoolexporter.Config)
	ecfg.Path = filepath.Join(b.TempDir(), "caro.db")
	exp, err := sqlitespoolexporter.NewFactory().CreateLogs(ctx, exportertest.NewNopSettings(sqlitespoolexporter.NewFactory().Type()), ecfg)
	if err != nil {
		b.Fatal(err)
	}
	pf := redactionprocessor.NewFactory()
	proc, err := pf.CreateLogs(ctx, processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), exp)
	if err != nil {
		b.Fatal(err)
	}
	host := componenttest.NewNopHost()
	if err := exp.Start(ctx, host); err != nil {
		b.Fatal(err)
	}
	if err := proc.Start(ctx, host); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = proc.Shutdown(ctx); _ = exp.Shutdown(ctx) })
	return proc
}

// postBatches is the loop of a benchmark whose op is one gzipped POST of
// 600 events to url: the bodies are made by mk, 16 at a time, off the
// clock; an answer other than 200 fails the benchmark, with detail()
// (if not nil). It returns the events sent.
func postBatches(b *testing.B, url, contentType string, mk func() []byte, detail func() string) int {
	b.Helper()
	var bodies [][]byte
	n := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if len(bodies) == 0 {
			for range 16 {
				bodies = append(bodies, mk())
			}
		}
		body := bodies[len(bodies)-1]
		bodies = bodies[:len(bodies)-1]
		b.StartTimer()
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			if detail != nil {
				b.Fatalf("status %d\n%s", resp.StatusCode, detail())
			}
			b.Fatalf("status %d", resp.StatusCode)
		}
		n += 6 * sessionsPerBatch
	}
	return n
}

// BenchmarkPipelineInProcess wires the three components by their
// factories, as the collector does, with the receiver on a loopback port:
// POST /v1/events (gzipped JSON, 600 events) -> caro receiver ->
// caro_redaction -> sqlitespool (a real SQLite file). One op is one
// request.
func BenchmarkPipelineInProcess(b *testing.B) {
	ctx := context.Background()
	proc := redactionAndStore(b, ctx)
	rf := caroreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*caroreceiver.Config)
	addr := otelcoltest.FreePort(b)
	rcfg.NetAddr.Endpoint = addr
	rcfg.RateLimit.RequestsPerMinute = 0
	rcv, err := rf.CreateLogs(ctx, receivertest.NewNopSettings(rf.Type()), rcfg, proc)
	if err != nil {
		b.Fatal(err)
	}
	if err := rcv.Start(ctx, componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rcv.Shutdown(ctx) })

	// The request bodies are made off the clock.
	t0 := time.Now().UTC()
	mk := func() []byte {
		ld := uniqueBatch(t0)
		var evs []json.RawMessage
		lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := range lrs.Len() {
			lr := lrs.At(i)
			attrs := pdataconv.AppendAttrs(nil, lr.Attributes())
			_, attrs = event.SplitRecordUID(attrs)
			p, err := event.Encode(lr.EventName(), lr.Timestamp().AsTime(), attrs)
			if err != nil {
				b.Fatal(err)
			}
			evs = append(evs, p)
		}
		body, _ := json.Marshal(map[string]any{"events": evs, "batch_id": "5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b",
			"client_timestamp": t0.Format(time.RFC3339)})
		return otlptest.Gzip(body)
	}
	url := "http://" + addr + caroreceiver.EventsPath
	b.ReportAllocs()
	n := postBatches(b, url, "application/json", mk, nil)
	reportEventsPerSecond(b, n)
}

// BenchmarkRedactionAndStoreInProcess is the pipeline without HTTP:
// batches of 600 records straight into caro_redaction -> sqlitespool.
func BenchmarkRedactionAndStoreInProcess(b *testing.B) {
	ctx := context.Background()
	proc := redactionAndStore(b, ctx)
	t0 := time.Now().UTC()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		b.StopTimer()
		ld := uniqueBatch(t0)
		b.StartTimer()
		if err := proc.ConsumeLogs(ctx, ld); err != nil {
			b.Fatal(err)
		}
		n += 6 * sessionsPerBatch
	}
	reportEventsPerSecond(b, n)
}

// BenchmarkOTLPThroughTheBinary posts OTLP/HTTP (protobuf, gzip, as
// upload sends it) to the real otelcol-caro running local.yaml: otlp
// receiver -> memory_limiter -> caro_redaction -> sqlitespool (and the
// debug exporter). One op is one request of 600 events; the answer comes
// once the store has committed. Needs OTELCOL_CARO.
func BenchmarkOTLPThroughTheBinary(b *testing.B) {
	col := startCollector(b, "local.yaml", "CARO_LOG_LEVEL=warn")
	url := "http://" + col.otlp + "/v1/logs"
	t0 := time.Now().UTC()
	mk := func() []byte {
		raw, err := plogotlp.NewExportRequestFromLogs(uniqueBatch(t0)).MarshalProto()
		if err != nil {
			b.Fatal(err)
		}
		return otlptest.Gzip(raw)
	}
	n := postBatches(b, url, "application/x-protobuf", mk, col.out.String)
	reportEventsPerSecond(b, n)
	b.StopTimer()
	if got := len(col.rows(b)); got != n {
		b.Errorf("%d events stored, want %d", got, n)
	}
}

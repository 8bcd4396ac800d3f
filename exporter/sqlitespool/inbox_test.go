package sqlitespool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/schema"
)

// inboxSession is a real LoggerProvider whose only processor is a
// SimpleProcessor on an InboxExporter.
type inboxSession struct {
	exp      *InboxExporter
	provider *sdklog.LoggerProvider
	logger   log.Logger
	errs     *errorLog
}

func newInboxSession(t testing.TB, opts Options) *inboxSession {
	t.Helper()
	errs := &errorLog{}
	exp := NewInboxExporter(opts, errs.add)
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	t.Cleanup(func() { provider.Shutdown(context.Background()) })
	return &inboxSession{exp: exp, provider: provider, logger: provider.Logger("caro"), errs: errs}
}

func (s *inboxSession) emit(name string, ts time.Time, attrs ...attribute.KeyValue) {
	var r log.Record
	r.SetEventName(name)
	r.SetTimestamp(ts)
	r.AddAttributes(attrs...)
	s.logger.Emit(context.Background(), r)
}

func TestInboxEventsReachTheSpoolAtTheNextOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caro", "telemetry.db")
	s := newInboxSession(t, Options{Path: path})
	for i, def := range schema.Events() {
		s.emit(def.Name, t0.Add(time.Duration(i)*time.Second), kvs(sampleAttrs(def))...)
	}
	s.exp.AddCounters(map[string]int64{"rejected_path": 2})
	if err := s.provider.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if errs := s.errs.all(); len(errs) > 0 {
		t.Fatalf("onError got %v", errs)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the exporter touched the database (%v)", err)
	}
	st, err := os.Stat(InboxPath(path))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("inbox: %v, %v", st, err)
	}
	if !Exists(path) {
		t.Error("Exists says nothing is staged")
	}

	sp := openTemp(t, Options{Path: path})
	got := storedOnePerEvent(t, sp)
	defs := schema.Events()
	for i, def := range defs {
		if got[i].Name != def.Name || len(got[i].EventID) != 36 {
			t.Errorf("event %d: %s %q", i, got[i].Name, got[i].EventID)
		}
	}
	stats, _ := sp.Stats(ctx)
	if stats.Counters["rejected_path"] != 2 {
		t.Errorf("counters %v", stats.Counters)
	}
	if _, err := os.Stat(InboxPath(path)); !os.IsNotExist(err) {
		t.Errorf("the inbox is still there after ingesting (%v)", err)
	}
	sp.Close()
	// Opening again stores nothing twice.
	again := openTemp(t, Options{Path: path})
	if n, _ := again.List(ctx, ListOptions{IncludeTransmitted: true}); len(n) != len(defs) {
		t.Errorf("%d events after a second open, want %d", len(n), len(defs))
	}
}

func TestAClaimIngestedTwiceStoresEachEventOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newInboxSession(t, Options{Path: path})
	for i := range 5 {
		s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(i, t0).Attrs)...)
	}
	// An ingester that stored the claim and was killed before removing it
	// leaves the claim behind: the same lines again.
	data, err := os.ReadFile(InboxPath(path))
	if err != nil {
		t.Fatal(err)
	}
	sp := openTemp(t, Options{Path: path})
	sp.Close()
	if err := os.WriteFile(InboxPath(path)+claimInfix+"1-1", data, 0o600); err != nil {
		t.Fatal(err)
	}
	sp = openTemp(t, Options{Path: path})
	evs, _ := sp.List(ctx, ListOptions{IncludeTransmitted: true})
	if len(evs) != 5 {
		t.Errorf("%d events, want 5", len(evs))
	}
	if claims, _ := filepath.Glob(InboxPath(path) + claimInfix + "*"); len(claims) != 0 {
		t.Errorf("claims left: %v", claims)
	}
}

func TestAHalfWrittenLineIsSkippedAndCounted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newInboxSession(t, Options{Path: path})
	s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(1, t0).Attrs)...)
	appendCutLine(t, path) // a writer killed here
	sp := openTemp(t, Options{Path: path})
	evs, _ := sp.List(ctx, ListOptions{IncludeTransmitted: true})
	st, _ := sp.Stats(ctx)
	if len(evs) != 1 || st.Counters[CounterInboxMalformed] != 1 {
		t.Errorf("%d events, counters %v; want 1 event and 1 malformed line", len(evs), st.Counters)
	}
}

// appendCutLine appends to the inbox of the spool at path the start of a
// line whose writer stopped mid-write.
func appendCutLine(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(InboxPath(path), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(`{"id":"0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","at":"2026-11-`); err != nil {
		t.Fatal(err)
	}
}

func TestTheInboxStaysWithinTheCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newInboxSession(t, Options{Path: path, MaxBytes: MinMaxBytes})
	const n = 3000 // about 3x the cap of staged session.end lines
	for i := range n {
		s.emit(schema.EventSessionEnd, t0, kvs(seqEvent(i, t0).Attrs)...)
	}
	if err := s.provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(InboxPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > MinMaxBytes+4096 { // the cap, and one line counting the drops
		t.Errorf("inbox is %d bytes, cap %d", st.Size(), MinMaxBytes)
	}
	sp := openTemp(t, Options{Path: path, MaxBytes: MinMaxBytes})
	evs, _ := sp.List(ctx, ListOptions{IncludeTransmitted: true})
	stats, _ := sp.Stats(ctx)
	if int64(len(evs))+stats.Counters[CounterDroppedCap] != n || stats.Counters[CounterDroppedCap] == 0 {
		t.Errorf("%d stored + %d dropped, want %d written with some dropped", len(evs), stats.Counters[CounterDroppedCap], n)
	}
}

// helperInboxWriter is a process like caro: it stages count events one
// Export at a time through an InboxExporter.
func helperInboxWriter(worker, count int) error {
	exp := NewInboxExporter(Options{Path: os.Getenv(envPath)}, func(err error) { fmt.Fprintln(os.Stderr, err) })
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	logger := provider.Logger("caro")
	for i := range count {
		var r log.Record
		r.SetEventName(schema.EventSessionEnd)
		r.SetTimestamp(t0)
		r.AddAttributes(kvs(seqEvent(worker*100000+i, t0).Attrs)...)
		logger.Emit(ctx, r)
	}
	return provider.Shutdown(ctx)
}

func TestEightProcessesStagingWhileTheSpoolIngestsLoseNothing(t *testing.T) {
	const procs, each = 8, 200
	path := filepath.Join(t.TempDir(), "caro", "telemetry.db")
	start := time.Now().Add(300 * time.Millisecond).UnixNano()
	wait := startWriters(t, "inbox", path, procs, each, start)
	// Meanwhile, readers open the spool again and again, each claiming and
	// ingesting whatever is staged at that moment.
	done := make(chan struct{})
	ingests := 0
	go func() {
		defer close(done)
		for time.Now().Before(time.Unix(0, start).Add(3 * time.Second)) {
			if sp, err := Open(ctx, Options{Path: path, BusyTimeout: 30 * time.Second}); err == nil {
				sp.Close()
				ingests++
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wait()
	<-done
	sp := openTemp(t, Options{Path: path})
	evs, err := sp.List(ctx, ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[int]bool{}
	ids := map[string]bool{}
	for _, e := range evs {
		seqs[seqOf(t, e)] = true
		ids[e.EventID] = true
	}
	if len(evs) != procs*each || len(seqs) != procs*each || len(ids) != procs*each {
		t.Errorf("%d events (%d distinct, %d ids), want %d", len(evs), len(seqs), len(ids), procs*each)
	}
	t.Logf("%d ingests ran while the writers staged", ingests)
}

// BenchmarkInboxSession is what a caro process pays at exit for its
// events: six events staged in one append.
func BenchmarkInboxSession(b *testing.B) {
	path := filepath.Join(b.TempDir(), "telemetry.db")
	exp := NewInboxExporter(Options{Path: path, MaxBytes: 1 << 40}, nil)
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
	logger := provider.Logger("caro")
	var recs [][]attribute.KeyValue
	for _, def := range schema.Events()[:6] {
		recs = append(recs, kvs(sampleAttrs(def)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i, def := range schema.Events()[:6] {
			var r log.Record
			r.SetEventName(def.Name)
			r.SetTimestamp(t0)
			r.AddAttributes(recs[i]...)
			logger.Emit(ctx, r)
		}
		provider.ForceFlush(ctx)
	}
	b.StopTimer()
	provider.Shutdown(ctx)
}

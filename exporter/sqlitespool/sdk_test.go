package sqlitespool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"caro.sh/telemetry/internal/otelattr"
	"caro.sh/telemetry/schema"
)

// errorLog collects what the Exporter hands to onError.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// session is a real LoggerProvider whose only processor is a
// SimpleProcessor on the Exporter, as Caro's SDK wires it.
type session struct {
	exp      *Exporter
	provider *sdklog.LoggerProvider
	logger   log.Logger
	errs     *errorLog
}

func newSession(t testing.TB, opts Options) *session {
	t.Helper()
	errs := &errorLog{}
	exp := NewExporter(opts, errs.add)
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	t.Cleanup(func() { provider.Shutdown(context.Background()) })
	return &session{exp: exp, provider: provider, logger: provider.Logger("caro"), errs: errs}
}

// emit sends one event through the OTel log API.
func (s *session) emit(name string, ts time.Time, attrs ...attribute.KeyValue) {
	var r log.Record
	r.SetEventName(name)
	r.SetTimestamp(ts)
	r.AddAttributes(attrs...)
	s.logger.Emit(context.Background(), r)
}

// kv converts a schema attribute into the OTel attribute the SDK emits.
func kv(a schema.Attr) attribute.KeyValue {
	out, ok := otelattr.KeyValue(a)
	if !ok {
		panic("no attribute for type " + a.Value.Type.String())
	}
	return out
}

func kvs(attrs []schema.Attr) []attribute.KeyValue {
	out := make([]attribute.KeyValue, len(attrs))
	for i, a := range attrs {
		out[i] = kv(a)
	}
	return out
}

func TestExporterStoresEverySchemaEventThroughTheSDK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caro", "telemetry.db")
	s := newSession(t, Options{Path: path})
	for i, def := range schema.Events() {
		s.emit(def.Name, t0.Add(time.Duration(i)*time.Second), kvs(sampleAttrs(def))...)
	}
	if err := s.provider.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if errs := s.errs.all(); len(errs) > 0 {
		t.Fatalf("onError got %v", errs)
	}

	sp := openTemp(t, Options{Path: path})
	got, err := sp.List(ctx, ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	defs := schema.Events()
	if len(got) != len(defs) {
		t.Fatalf("%d events stored, want %d", len(got), len(defs))
	}
	for i, def := range defs {
		t.Run(def.Name, func(t *testing.T) {
			e := got[i]
			if e.Name != def.Name {
				t.Errorf("name %q, want %q", e.Name, def.Name)
			}
			if want := t0.Add(time.Duration(i) * time.Second).Truncate(time.Millisecond); !e.Time.Equal(want) {
				t.Errorf("time %v, want %v", e.Time, want)
			}
			// Exactly the schema's fields, each with its declared type.
			if want := sampleAttrs(def); !reflect.DeepEqual(e.Attrs, want) {
				t.Errorf("attrs:\ngot  %v\nwant %v", e.Attrs, want)
			}
			for _, a := range e.Attrs {
				if f, ok := def.Field(a.Key); !ok || f.Type != a.Value.Type {
					t.Errorf("field %s: type %v not the schema's", a.Key, a.Value.Type)
				}
			}
		})
	}
}

func TestExporterOpensNoFileUntilItHasARecord(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "caro")
	s := newSession(t, Options{Path: filepath.Join(dir, "telemetry.db")})
	if err := s.exp.Export(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if s.exp.Spool() != nil {
		t.Error("the spool is open before any record")
	}
	if err := s.provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s exists after a session without records (%v)", dir, err)
	}
}

func TestExporterWarnsOnceAboutARecoveredFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("garbage ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSession(t, Options{Path: path})
	def := mustLookup(schema.EventSessionEnd)
	s.emit(def.Name, t0, kvs(sampleAttrs(def))...)
	s.emit(def.Name, t0, kvs(sampleAttrs(def))...)
	errs := s.errs.all()
	if len(errs) != 1 || !errors.Is(errs[0], ErrRecovered) {
		t.Fatalf("onError got %v, want one ErrRecovered", errs)
	}
	if st, _ := s.exp.Spool().Stats(ctx); st.Pending != 2 {
		t.Errorf("%d events stored, want 2", st.Pending)
	}
}

func TestExporterDropsAndCountsRecordsTheSchemaRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newSession(t, Options{Path: path})
	def := mustLookup(schema.EventSessionEnd)
	s.emit("session.middle", t0)
	s.emit(def.Name, t0, attribute.StringSlice("retries", []string{"1"}))
	s.emit(def.Name, t0, attribute.String("prompt", "list my files"))
	s.emit(def.Name, t0, kvs(sampleAttrs(def))...)
	if err := s.provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	errs := s.errs.all()
	if len(errs) != 3 {
		t.Fatalf("onError got %v, want 3 errors", errs)
	}
	for _, err := range errs {
		if !errors.Is(err, ErrPayload) || strings.Contains(err.Error(), "list my files") {
			t.Errorf("error %q: want ErrPayload, without the value", err)
		}
	}
	if n := s.exp.Lost(); n != 3 {
		t.Errorf("Lost() = %d, want 3", n)
	}
	sp := openTemp(t, Options{Path: path})
	st, _ := sp.Stats(ctx)
	if st.Pending != 1 || st.Counters[CounterExportInvalid] != 3 {
		t.Errorf("%d stored and export_invalid = %d, want 1 and 3", st.Pending, st.Counters[CounterExportInvalid])
	}
}

func TestExporterPersistsCounters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newSession(t, Options{Path: path})
	s.exp.AddCounters(map[string]int64{"rejected_path": 2})
	if s.exp.Spool() == nil {
		t.Fatal("AddCounters did not open the spool")
	}
	s.exp.AddCounters(map[string]int64{"rejected_path": 1, "rejected_email": 1})
	if err := s.provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s.exp.AddCounters(map[string]int64{"rejected_path": 100}) // after Shutdown: ignored
	if err := s.exp.Export(ctx, nil); err != nil {
		t.Fatal(err)
	}
	sp := openTemp(t, Options{Path: path})
	st, _ := sp.Stats(ctx)
	if want := map[string]int64{"rejected_path": 3, "rejected_email": 1}; !reflect.DeepEqual(st.Counters, want) {
		t.Errorf("counters %v, want %v", st.Counters, want)
	}
	if errs := s.errs.all(); len(errs) > 0 {
		t.Errorf("onError got %v", errs)
	}
}

// recorder is a Processor that keeps a copy of each record, so that a test
// can hand real SDK records to Export directly.
type recorder struct{ records []sdklog.Record }

func (r *recorder) OnEmit(_ context.Context, rec *sdklog.Record) error {
	r.records = append(r.records, rec.Clone())
	return nil
}
func (r *recorder) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (r *recorder) Shutdown(context.Context) error                         { return nil }
func (r *recorder) ForceFlush(context.Context) error                       { return nil }

func TestExporterInAReadOnlyFolderReportsAndReturnsNil(t *testing.T) {
	if os.Geteuid() == 0 {
		runUnprivileged(t, "TestExporterInAReadOnlyFolderReportsAndReturnsNil")
		return
	}
	path := filepath.Join(readOnlyDir(t), "caro", "telemetry.db")

	rec := &recorder{}
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(rec))
	def := mustLookup(schema.EventSessionEnd)
	var r log.Record
	r.SetEventName(def.Name)
	r.SetTimestamp(t0)
	r.AddAttributes(kvs(sampleAttrs(def))...)
	provider.Logger("caro").Emit(ctx, r)
	provider.Shutdown(ctx)

	errs := &errorLog{}
	exp := NewExporter(Options{Path: path}, errs.add)
	for range 3 {
		if err := exp.Export(ctx, rec.records); err != nil {
			t.Fatalf("Export returned %v", err)
		}
	}
	got := errs.all()
	if len(got) != 1 || !errors.Is(got[0], os.ErrPermission) {
		t.Errorf("onError got %v, want one permission error", got)
	}
	t.Log(got)
	if n := exp.Lost(); n != 3 {
		t.Errorf("Lost() = %d, want 3", n)
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown returned %v", err)
	}
}

func TestExporterIsSafeForConcurrentUse(t *testing.T) {
	const goroutines, each = 8, 50
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newSession(t, Options{Path: path})
	def := mustLookup(schema.EventSessionEnd)
	attrs := kvs(sampleAttrs(def))
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				s.emit(def.Name, t0, attrs...)
				s.exp.AddCounters(map[string]int64{"calls": 1})
				if sp := s.exp.Spool(); sp != nil {
					if _, err := sp.Stats(ctx); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := s.provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if errs := s.errs.all(); len(errs) > 0 {
		t.Fatalf("onError got %v", errs)
	}
	sp := openTemp(t, Options{Path: path})
	st, _ := sp.Stats(ctx)
	if st.Pending != goroutines*each || st.Counters["calls"] != goroutines*each {
		t.Errorf("%d events and %d calls counted, want %d each", st.Pending, st.Counters["calls"], goroutines*each)
	}
}

func TestExporterMovesAsideACorruptionFoundAfterOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	s := newSession(t, Options{Path: path})
	def := mustLookup(schema.EventSessionEnd)
	attrs := kvs(sampleAttrs(def))
	for range 500 {
		s.emit(def.Name, t0, attrs...)
	}

	// Damage every page past the header and the pointer map, directly in
	// the file, then commit a change elsewhere so that the exporter's
	// connection drops its cached pages and reads the damage.
	db := rawDB(t, path)
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	junk := make([]byte, fi.Size()-2*4096)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(junk, 2*4096)
	f.Close()
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s.emit(def.Name, t0, attrs...)
	errs := s.errs.all()
	if len(errs) != 1 || !errors.Is(errs[0], ErrRecovered) {
		t.Fatalf("onError got %v, want one ErrRecovered", errs)
	}
	t.Log(errs[0])
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) == 0 {
		t.Error("nothing was moved aside")
	}
	if st, err := s.exp.Spool().Stats(ctx); err != nil || st.Pending != 1 {
		t.Errorf("new spool holds %d events (%v), want the one emitted after the damage", st.Pending, err)
	}
	if n := s.exp.Lost(); n != 0 {
		t.Errorf("Lost() = %d, want 0", n)
	}
}

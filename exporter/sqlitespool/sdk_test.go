package sqlitespool

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"caro.sh/telemetry/event/otelconv"
	"caro.sh/telemetry/schema"
)

// errorLog collects what an exporter hands to onError.
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

// kv converts a schema attribute into the OTel attribute the SDK emits.
func kv(a schema.Attr) attribute.KeyValue {
	out, ok := otelconv.ToKeyValue(a)
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

func TestInboxStoresEverySchemaEventExactlyThroughTheSDK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caro", "telemetry.db")
	s := newInboxSession(t, Options{Path: path})
	for i, def := range schema.Events() {
		s.emit(def.Name, t0.Add(time.Duration(i)*time.Second), kvs(sampleAttrs(def))...)
	}
	if err := s.provider.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if errs := s.errs.all(); len(errs) > 0 {
		t.Fatalf("onError got %v", errs)
	}

	got := storedOnePerEvent(t, openTemp(t, Options{Path: path}))
	for i, def := range schema.Events() {
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

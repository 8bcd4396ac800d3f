package otelcolcaro_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"caro.sh/telemetry/exporter/sqlitespool/sqlitespoolexporter"
	"caro.sh/telemetry/internal/collectortest"
	"caro.sh/telemetry/otelcolcaro"
	"caro.sh/telemetry/processor/redaction/redactionprocessor"
	"caro.sh/telemetry/receiver/caroreceiver"
)

// components pairs each record with the factory and the folder (below
// the module's root) of the component it describes.
var components = []struct {
	name    string
	factory collectortest.Factory
	record  otelcolcaro.Component
	dir     string
}{
	{"the caro receiver", caroreceiver.NewFactory(), otelcolcaro.Receiver, "receiver/caroreceiver"},
	{"the caro_redaction processor", redactionprocessor.NewFactory(), otelcolcaro.Redaction, "processor/redaction/redactionprocessor"},
	{"the sqlitespool exporter", sqlitespoolexporter.NewFactory(), otelcolcaro.SQLiteSpool, "exporter/sqlitespool/sqlitespoolexporter"},
}

func TestEachComponentIsWhatItsMetadataDeclares(t *testing.T) {
	for _, tc := range components {
		t.Run(tc.name, func(t *testing.T) {
			collectortest.CheckComponent(t, tc.factory, tc.record, "../"+tc.dir)
			t.Run("its scope is its package path", func(t *testing.T) {
				if want := "caro.sh/telemetry/" + tc.dir; tc.record.ScopeName != want {
					t.Errorf("scope %q, want %q", tc.record.ScopeName, want)
				}
			})
		})
	}
}

func TestNewCountersMakesTheDeclaredCountersOnTheComponentsScope(t *testing.T) {
	for _, tc := range components {
		t.Run(tc.name, func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			counters := make([]metric.Int64Counter, len(tc.record.Metrics))
			dst := make([]*metric.Int64Counter, len(counters))
			for i := range counters {
				dst[i] = &counters[i]
			}
			if err := tc.record.NewCounters(tel.NewTelemetrySettings().MeterProvider, dst...); err != nil {
				t.Fatal(err)
			}
			for i, c := range counters {
				c.Add(context.Background(), int64(i+1))
			}
			var rm metricdata.ResourceMetrics
			if err := tel.Reader.Collect(context.Background(), &rm); err != nil {
				t.Fatal(err)
			}
			got := map[string]metricdata.Metrics{}
			for _, sm := range rm.ScopeMetrics {
				if sm.Scope.Name != tc.record.ScopeName {
					t.Errorf("metrics on scope %q, want %q", sm.Scope.Name, tc.record.ScopeName)
				}
				for _, m := range sm.Metrics {
					got[m.Name] = m
				}
			}
			for i, want := range tc.record.Metrics {
				m, ok := got[want.Name]
				if !ok {
					t.Errorf("no metric %s", want.Name)
					continue
				}
				if m.Unit != want.Unit || m.Description != want.Description {
					t.Errorf("%s: unit %q, description %q; want %q, %q", want.Name, m.Unit, m.Description, want.Unit, want.Description)
				}
				// The counter in place i is metric i: it alone got i+1.
				sum, ok := m.Data.(metricdata.Sum[int64])
				if !ok || !sum.IsMonotonic || len(sum.DataPoints) != 1 || sum.DataPoints[0].Value != int64(i+1) {
					t.Errorf("%s: %+v, want one monotonic int sum of %d", want.Name, m.Data, i+1)
				}
			}
		})
	}
}

func TestNewCountersRefusesAnotherNumberOfCounters(t *testing.T) {
	var one metric.Int64Counter
	err := otelcolcaro.SQLiteSpool.NewCounters(componenttest.NewNopTelemetrySettings().MeterProvider, &one)
	if err == nil || !strings.Contains(err.Error(), "1 counters asked for, 3 declared") {
		t.Errorf("err %v, want the counts", err)
	}
}

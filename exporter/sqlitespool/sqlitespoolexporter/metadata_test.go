package sqlitespoolexporter

import (
	"testing"

	"go.opentelemetry.io/collector/component"

	"caro.sh/telemetry/exporter/sqlitespool/sqlitespoolexporter/internal/metadata"
	"caro.sh/telemetry/internal/metadatatest"
)

func TestMetadataConstantsMatchMetadataYAML(t *testing.T) {
	metadatatest.Check(t, "metadata.yaml", metadatatest.Want{
		Type:      metadata.Type,
		Class:     "exporter",
		Stability: map[string]component.StabilityLevel{"logs": metadata.LogsStability},
		Metrics:   []string{metadata.MetricEvents, metadata.MetricDeleted, metadata.MetricExportFiles},
	})
	f := NewFactory()
	if f.Type() != metadata.Type || f.LogsStability() != metadata.LogsStability {
		t.Errorf("factory %s %s", f.Type(), f.LogsStability())
	}
}

package sqlitespoolexporter

import (
	"testing"

	"caro.sh/telemetry/exporter/sqlitespool/sqlitespoolexporter/internal/metadata"
	"caro.sh/telemetry/internal/collectortest"
)

func TestTheExporterIsWhatItsMetadataDeclares(t *testing.T) {
	collectortest.CheckComponent(t, NewFactory(), collectortest.Metadata{
		Type:          metadata.Type,
		LogsStability: metadata.LogsStability,
		Metrics:       []string{metadata.MetricEvents, metadata.MetricDeleted, metadata.MetricExportFiles},
	})
}

package redactionprocessor

import (
	"testing"

	"caro.sh/telemetry/internal/collectortest"
	"caro.sh/telemetry/processor/redaction/redactionprocessor/internal/metadata"
)

func TestTheProcessorIsWhatItsMetadataDeclares(t *testing.T) {
	collectortest.CheckComponent(t, NewFactory(), collectortest.Metadata{
		Type:          metadata.Type,
		LogsStability: metadata.LogsStability,
		Metrics:       []string{metadata.MetricRecords, metadata.MetricRemoved},
	})
}

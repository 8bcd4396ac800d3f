package caroreceiver

import (
	"testing"

	"caro.sh/telemetry/internal/collectortest"
	"caro.sh/telemetry/receiver/caroreceiver/internal/metadata"
)

func TestTheReceiverIsWhatItsMetadataDeclares(t *testing.T) {
	collectortest.CheckComponent(t, NewFactory(), collectortest.Metadata{
		Type:          metadata.Type,
		LogsStability: metadata.LogsStability,
		Metrics:       []string{metadata.MetricEvents, metadata.MetricRequests},
	})
}

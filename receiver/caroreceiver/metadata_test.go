package caroreceiver

import (
	"testing"

	"go.opentelemetry.io/collector/component"

	"caro.sh/telemetry/internal/metadatatest"
	"caro.sh/telemetry/receiver/caroreceiver/internal/metadata"
)

func TestMetadataConstantsMatchMetadataYAML(t *testing.T) {
	metadatatest.Check(t, "metadata.yaml", metadatatest.Want{
		Type:      metadata.Type,
		Class:     "receiver",
		Stability: map[string]component.StabilityLevel{"logs": metadata.LogsStability},
		Metrics:   []string{metadata.MetricEvents, metadata.MetricRequests},
	})
	f := NewFactory()
	if f.Type() != metadata.Type || f.LogsStability() != metadata.LogsStability {
		t.Errorf("factory %s %s", f.Type(), f.LogsStability())
	}
}

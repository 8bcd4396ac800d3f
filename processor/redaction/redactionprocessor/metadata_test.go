package redactionprocessor

import (
	"testing"

	"go.opentelemetry.io/collector/component"

	"caro.sh/telemetry/internal/metadatatest"
	"caro.sh/telemetry/processor/redaction/redactionprocessor/internal/metadata"
)

func TestMetadataConstantsMatchMetadataYAML(t *testing.T) {
	metadatatest.Check(t, "metadata.yaml", metadatatest.Want{
		Type:      metadata.Type,
		Class:     "processor",
		Stability: map[string]component.StabilityLevel{"logs": metadata.LogsStability},
		Metrics:   []string{metadata.MetricRecords, metadata.MetricRemoved},
	})
	if got := NewFactory().Type(); got != metadata.Type {
		t.Errorf("factory type %s", got)
	}
	if got := NewFactory().LogsStability(); got != metadata.LogsStability {
		t.Errorf("factory logs stability %s", got)
	}
}

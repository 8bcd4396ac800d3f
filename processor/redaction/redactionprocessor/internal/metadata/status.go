// Package metadata holds the component's type, scope name and stability,
// as mdatagen would generate them from metadata.yaml (written by hand: a
// test checks that they match the file).
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the component type of the processor in a configuration.
	Type = component.MustNewType("caro_redaction")
	// ScopeName is the instrumentation scope of the processor's own
	// telemetry.
	ScopeName = "caro.sh/telemetry/processor/redaction/redactionprocessor"
)

// LogsStability is the stability of the logs processor.
const LogsStability = component.StabilityLevelAlpha

// Metric names of the processor's own telemetry (metadata.yaml's
// telemetry.metrics).
const (
	MetricRecords = "otelcol_caro_redaction_records"
	MetricRemoved = "otelcol_caro_redaction_removed"
)

// Package metadata holds the component's type, scope name and stability,
// as mdatagen would generate them from metadata.yaml (written by hand: a
// test checks that they match the file).
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the component type of the receiver in a configuration.
	Type = component.MustNewType("caro")
	// ScopeName is the instrumentation scope of the receiver's own
	// telemetry, and of the log records it makes.
	ScopeName = "caro.sh/telemetry/receiver/caroreceiver"
)

// LogsStability is the stability of the logs receiver.
const LogsStability = component.StabilityLevelAlpha

// Metric names of the receiver's own telemetry (metadata.yaml's
// telemetry.metrics).
const (
	MetricEvents   = "otelcol_caro_receiver_events"
	MetricRequests = "otelcol_caro_receiver_requests"
)

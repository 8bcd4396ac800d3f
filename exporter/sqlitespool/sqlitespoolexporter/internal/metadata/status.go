// Package metadata holds the component's type, scope name and stability,
// as mdatagen would generate them from metadata.yaml (written by hand: a
// test checks that they match the file).
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the component type of the exporter in a configuration.
	Type = component.MustNewType("sqlitespool")
	// ScopeName is the instrumentation scope of the exporter's own
	// telemetry.
	ScopeName = "caro.sh/telemetry/exporter/sqlitespool/sqlitespoolexporter"
)

// LogsStability is the stability of the logs exporter.
const LogsStability = component.StabilityLevelAlpha

// Metric names of the exporter's own telemetry (metadata.yaml's
// telemetry.metrics).
const (
	MetricEvents      = "otelcol_caro_sqlitespool_events"
	MetricDeleted     = "otelcol_caro_sqlitespool_deleted"
	MetricExportFiles = "otelcol_caro_sqlitespool_export_files"
)

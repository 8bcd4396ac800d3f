package otelcolcaro

import (
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Component is the identity of one of otelcol-caro's components.
type Component struct {
	// Type is the component type of the component in a configuration.
	Type component.Type
	// ScopeName is the instrumentation scope of the component's own
	// telemetry: its package path.
	ScopeName string
	// LogsStability is the stability of its logs signal, its only one.
	LogsStability component.StabilityLevel
	// Metrics are its own counters, in the order NewCounters fills them.
	Metrics []Metric
}

// Metric is one of a component's own counters: an int, monotonic sum
// (metadata.yaml's telemetry.metrics).
type Metric struct {
	// Name is the name as exported: metadata.yaml's name with the
	// collector's "otelcol_" prefix, as mdatagen generates it.
	Name        string
	Unit        string
	Description string
}

// The metric names of the components' own telemetry, the names that
// dashboards query.
const (
	MetricReceiverEvents      = "otelcol_caro_receiver_events"
	MetricReceiverRequests    = "otelcol_caro_receiver_requests"
	MetricRedactionRecords    = "otelcol_caro_redaction_records"
	MetricRedactionRemoved    = "otelcol_caro_redaction_removed"
	MetricSQLiteSpoolEvents   = "otelcol_caro_sqlitespool_events"
	MetricSQLiteSpoolDeleted  = "otelcol_caro_sqlitespool_deleted"
	MetricSQLiteSpoolExported = "otelcol_caro_sqlitespool_export_files"
)

var (
	// Receiver is the caro receiver (receiver/caroreceiver): the spec's
	// own formats over HTTP and the drop folder. Its scope is also that
	// of the log records it makes.
	Receiver = Component{
		Type:          component.MustNewType("caro"),
		ScopeName:     "caro.sh/telemetry/receiver/caroreceiver",
		LogsStability: component.StabilityLevelAlpha,
		Metrics: []Metric{
			{MetricReceiverEvents, "{event}", "Events received through POST /v1/events, export uploads and the drop folder, by source and outcome (accepted, rejected)."},
			{MetricReceiverRequests, "{request}", "Requests and export files, by source and HTTP status (or the drop folder's result)."},
		},
	}

	// Redaction is the caro_redaction processor
	// (processor/redaction/redactionprocessor): the schema's allowlist.
	Redaction = Component{
		Type:          component.MustNewType("caro_redaction"),
		ScopeName:     "caro.sh/telemetry/processor/redaction/redactionprocessor",
		LogsStability: component.StabilityLevelAlpha,
		Metrics: []Metric{
			{MetricRedactionRecords, "{record}", "Log records the processor accepted or rejected, by outcome and, for rejections, reason."},
			{MetricRedactionRemoved, "{item}", "Attributes and fields the processor removed from accepted records and their resources and scopes, by kind."},
		},
	}

	// SQLiteSpool is the sqlitespool exporter
	// (exporter/sqlitespool/sqlitespoolexporter): the store.
	SQLiteSpool = Component{
		Type:          component.MustNewType("sqlitespool"),
		ScopeName:     "caro.sh/telemetry/exporter/sqlitespool/sqlitespoolexporter",
		LogsStability: component.StabilityLevelAlpha,
		Metrics: []Metric{
			{MetricSQLiteSpoolEvents, "{event}", "Events the exporter received, by outcome (stored, duplicate, refused_deleted, expired, invalid)."},
			{MetricSQLiteSpoolDeleted, "{event}", "Stored events deleted, by reason (deletion_request, retention)."},
			{MetricSQLiteSpoolExported, "{file}", "Air-gapped export files written."},
		},
	}
)

// NewCounters creates c's counters on the meter of c's scope from mp, one
// into each of dst in the order of c.Metrics. A dst of another length is
// refused: a counter would be missing or left nil.
func (c Component) NewCounters(mp metric.MeterProvider, dst ...*metric.Int64Counter) error {
	if len(dst) != len(c.Metrics) {
		return fmt.Errorf("%s: %d counters asked for, %d declared", c.Type, len(dst), len(c.Metrics))
	}
	meter := mp.Meter(c.ScopeName)
	for i, m := range c.Metrics {
		var err error
		if *dst[i], err = meter.Int64Counter(m.Name, metric.WithUnit(m.Unit), metric.WithDescription(m.Description)); err != nil {
			return fmt.Errorf("%s: counter %s: %w", c.Type, m.Name, err)
		}
	}
	return nil
}

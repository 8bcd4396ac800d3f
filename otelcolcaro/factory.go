package otelcolcaro

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
)

// The factories of otelcol-caro's components: logs only, because Caro's
// telemetry is OTel log events, with the type and stability of c.

// NewReceiverFactory returns the factory of c as a logs receiver.
func NewReceiverFactory[C component.Config](c Component, defaultConfig func() C, createLogs receiver.CreateLogsFunc) receiver.Factory {
	return receiver.NewFactory(c.Type, anyConfig(defaultConfig), receiver.WithLogs(createLogs, c.LogsStability))
}

// NewProcessorFactory returns the factory of c as a logs processor.
func NewProcessorFactory[C component.Config](c Component, defaultConfig func() C, createLogs processor.CreateLogsFunc) processor.Factory {
	return processor.NewFactory(c.Type, anyConfig(defaultConfig), processor.WithLogs(createLogs, c.LogsStability))
}

// NewExporterFactory returns the factory of c as a logs exporter.
func NewExporterFactory[C component.Config](c Component, defaultConfig func() C, createLogs exporter.CreateLogsFunc) exporter.Factory {
	return exporter.NewFactory(c.Type, anyConfig(defaultConfig), exporter.WithLogs(createLogs, c.LogsStability))
}

// anyConfig is defaultConfig as the factories take it.
func anyConfig[C component.Config](defaultConfig func() C) component.CreateDefaultConfigFunc {
	return func() component.Config { return defaultConfig() }
}

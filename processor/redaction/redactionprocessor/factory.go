package redactionprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"caro.sh/telemetry/otelcolcaro"
)

// NewFactory returns the factory of the caro_redaction processor (logs
// only: Caro's telemetry is OTel log events).
func NewFactory() processor.Factory {
	return otelcolcaro.NewProcessorFactory(otelcolcaro.Redaction, createDefaultConfig, createLogs)
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config,
	next consumer.Logs) (processor.Logs, error) {
	p, err := newRedactor(cfg.(*Config), set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create %s processor: %w", otelcolcaro.Redaction.Type, err)
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}

package redactionprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"caro.sh/telemetry/processor/redaction/redactionprocessor/internal/metadata"
)

// NewFactory returns the factory of the caro_redaction processor (logs
// only: Caro's telemetry is OTel log events).
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config,
	next consumer.Logs) (processor.Logs, error) {
	p, err := newRedactor(cfg.(*Config), set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create %s processor: %w", metadata.Type, err)
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}

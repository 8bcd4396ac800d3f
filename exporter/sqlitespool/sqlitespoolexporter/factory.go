package sqlitespoolexporter

import (
	"context"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"caro.sh/telemetry/otelcolcaro"
)

// NewFactory returns the factory of the sqlitespool exporter (logs only:
// Caro's telemetry is OTel log events).
func NewFactory() exporter.Factory {
	return otelcolcaro.NewExporterFactory(otelcolcaro.SQLiteSpool, createDefaultConfig, createLogs)
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	set.Logger = quiet(set.Logger)
	e, err := newSpoolExporter(c, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
	)
}

// quiet returns logger with its warnings and errors each logged at most
// once per failureInterval (by message; debug and info lines untouched).
// exporterhelper logs an error with a stack trace for every batch the
// store refuses; while the store is away that is every request.
func quiet(logger *zap.Logger) *zap.Logger {
	return logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return &levelSplit{Core: c, loud: zapcore.NewSamplerWithOptions(c, failureInterval, 1, 0)}
	}))
}

// levelSplit sends warnings and errors through loud, the rest as they
// are.
type levelSplit struct {
	zapcore.Core
	loud zapcore.Core
}

func (c *levelSplit) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Level >= zapcore.WarnLevel {
		return c.loud.Check(e, ce)
	}
	return c.Core.Check(e, ce)
}

func (c *levelSplit) With(fields []zapcore.Field) zapcore.Core {
	return &levelSplit{Core: c.Core.With(fields), loud: c.loud.With(fields)}
}

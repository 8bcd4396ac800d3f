package caroreceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"caro.sh/telemetry/otelcolcaro"
)

// NewFactory returns the factory of the caro receiver (logs only: the
// events become OTel log events, as the SDK and the upload make them).
func NewFactory() receiver.Factory {
	return otelcolcaro.NewReceiverFactory(otelcolcaro.Receiver, createDefaultConfig, createLogs)
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(cfg.(*Config), set, next)
}

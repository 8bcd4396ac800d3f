package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalContext is ctx cancelled by SIGINT or SIGTERM, for the commands
// that talk to the telemetry endpoint: the request in flight is abandoned
// and the events it carried stay pending.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

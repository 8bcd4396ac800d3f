// Command caro-loadgen loads a collector with Caro sessions over OTLP/HTTP
// and prints what it sent and how it was answered. The logic lives in
// package internal/loadgen; this command only wires it to the process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"caro.sh/telemetry/internal/loadgen"
)

func main() {
	// An interrupt ends the run early, with the summary of what was sent.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := loadgen.Command(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Package collector holds the end-to-end tests of otelcol-caro, Caro
// Telemetry's OpenTelemetry Collector distribution (builder-config.yaml,
// collector-config/). They run the real binary, built by `make otelcol`,
// on 127.0.0.1 with a real SQLite store, and drive it the way Caro does:
// sessions recorded by the SDK into a spool, flushed by package upload.
//
// The binary's path comes from OTELCOL_CARO, which `make test` sets. With
// it unset (a plain `go test ./...`) the tests skip; with it set to a
// missing file they fail, so that CI cannot pass without the binary.
package collector

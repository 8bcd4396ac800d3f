// Package otelcolcaro is the one record, in Go, of the components that
// otelcol-caro adds to the Collector: the caro receiver, the
// caro_redaction processor and the sqlitespool exporter. For each it
// declares what mdatagen would generate into the component's
// internal/metadata from its metadata.yaml (mdatagen is not served here):
// the type a configuration names it by, the instrumentation scope of its
// own telemetry, the stability of its logs signal and its own counters
// with their units and descriptions. It also makes each component's
// factory and counters from that record, so that a component cannot
// drift from it.
//
// The metadata.yaml beside each component stays as the operators'
// record; components_test.go checks the three factories and this table
// against them. Types, scope names and metric names are what
// configurations and dashboards name: they do not change.
//
// It is a top-level package, not internal/, because the processor and
// the exporter may not import internal/ outside tests, and a receiver
// may not import an exporter; it imports the Collector's API only, and
// only otelcol-caro's components import it (cmd/caro links none of it).
package otelcolcaro

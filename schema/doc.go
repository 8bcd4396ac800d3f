// Package schema is the single definition of what Caro telemetry may ever
// collect: the six event names, each event's fields with their types, enum
// domains, length limits and collection levels, and the resource attributes
// allowed on the way out.
//
// Everything else reads this package: the SDK's typed events, the redaction
// processor (on the client and in the collector), the SQLite spool, `caro
// telemetry show|schema|export` and the generated data inventory
// (docs/telemetry-data.md). A field that is not declared here is dropped by
// the redaction processor and therefore can never leave the machine.
//
// The package is plain Go with no dependencies so that every face (OTel SDK,
// OTel Collector, CLI) can import it cheaply. Its tables are built once at
// init and never change afterwards.
package schema

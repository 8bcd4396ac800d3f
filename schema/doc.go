// Package schema is the single definition of what Caro telemetry may ever
// collect: the six event names, each event's fields with their types, enum
// domains, length limits and collection levels, and the resource attributes
// allowed on the way out.
//
// Two additions serve the pipeline, not Caro's own code: every event may
// carry the transport field log.record.uid (Field.Transport: the stored
// event's id, set by the spool and the upload, kept out of the payload),
// and the control event deletion.request (Event.Control, level
// LevelOnRequest: sent only by `caro telemetry delete-remote`, never
// recorded by the SDK) lists the session ids whose events the collector
// deletes, in the one list-typed field (TypeStringList).
//
// The domain of command.generated.model_name is the model catalog,
// models.txt, embedded and checked at init (models.go): public model names,
// with the normalisation that maps a user's or a server's spelling onto
// them (CatalogModel); any other model is recorded as ModelCustom.
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

// Package sqlitespool is Caro's local queue of telemetry events: one SQLite
// database file per user ($XDG_CACHE_HOME/caro/telemetry.db), written by
// every Caro process and read by `caro telemetry show|export|clear` and by
// the uploader.
//
// # Data flow
//
// Caro's SDK emits each event as an OTel log record (EventName = event name,
// attributes = the schema's flattened fields). The redaction processor
// passes on only what the schema allows; its next processor hands batches
// to the SDK face here, InboxExporter, which encodes each record as the
// spec's JSON payload (event.Encode: "event", "timestamp", then the fields
// in schema order, dotted keys nested back) and appends the batch to
// <spool>.inbox in one write (microseconds, no SQLite in the process). The
// next Open of the spool stores every staged event in one transaction (see
// inbox.go), so a short-lived process never pays for SQLite at exit.
//
// Readers get Events back with Pending or List, which decode the payload by the schema (event.Decode);
// the uploader marks what it sent with MarkTransmitted, an air-gapped
// export records itself with SetExportID.
//
// Package schema is the only definition of events and fields; this package
// derives its JSON layout from it at init and refuses, on the way in, any
// event or field that the schema does not declare.
//
// # Storage
//
// The spec's events table (id, event_type, payload, created_at,
// transmitted_at, export_id) plus event_id, a random id assigned at
// insertion for downstream deduplication, and size, the payload's length;
// the spec's partial index of pending events; a counters table; and PRAGMA
// user_version as the schema version, with migrations for later versions.
// Version 2 added session_id, event_time and deleted_sessions for the
// collector's store, which lived here before it became package store: the
// client neither writes nor reads them, and the migration stays so that
// files of older builds open unchanged. Times are stored as fixed-width UTC
// text, so they sort as text.
// The database runs in WAL mode with synchronous=NORMAL: a commit survives a
// crash of the process, and only a checkpoint syncs the disk.
//
// Every append also enforces the two limits of the spec, in the same
// transaction: events older than Options.Retention (7 days) are purged, and
// if the pages in use would exceed what Options.MaxBytes (10 MB) leaves
// after a reserve for the WAL, the oldest transmitted events and then the
// oldest pending ones are deleted and the file shrinks (auto_vacuum =
// INCREMENTAL). Each deletion is counted (purged_age,
// evicted_transmitted_cap, dropped_cap), so that `caro telemetry show` can
// say what was lost.
//
// A file that SQLite reports as not a database or as corrupt is moved
// aside on Open and replaced by an empty one: telemetry never stops Caro.
//
// # Concurrency
//
// A Spool is safe for concurrent use; its goroutines share one connection
// and run one at a time. Several processes may write the same file at once:
// each write is one BEGIN IMMEDIATE transaction, and a writer waits for
// another's for up to Options.BusyTimeout. Readers see committed data only.
// The InboxExporter serializes its own calls with a mutex and creates the
// inbox only with the first record, so a Caro process that records nothing
// never touches a file. It never waits for another process's lock: when
// the inbox is held, the batch goes to a claim file of its own (inbox.go).
package sqlitespool

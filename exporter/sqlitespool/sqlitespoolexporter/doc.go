// Package sqlitespoolexporter is the sqlitespool exporter of otelcol-caro:
// the collector's store of Caro events, a SQLite file written by the same
// code as the client's spool (package sqlitespool in Server mode), so that
// the client and the server cannot disagree on the format.
//
// # In the pipeline
//
// Logs only, at the end of a pipeline, after caro_redaction:
//
//	otlp, caro ─▶ memory_limiter ─▶ caro_redaction ─▶ sqlitespool ─▶ caro.db (and export files)
//
// In: log records. Each is validated again with the redaction Validator,
// so a pipeline that forgot caro_redaction still stores nothing else; a
// record it refuses is counted (outcome invalid) and skipped, never an
// error for the batch. The record's log.record.uid is the event's id in
// the store; a record without one gets the name-based UUID of its payload
// (event.NameBasedUID), so a batch or an export file sent twice is stored
// once. The event's time is its Timestamp, else its ObservedTimestamp,
// else the arrival. Out: one transaction per batch, in which Server mode
// ignores duplicates, applies the per-class retention, carries out
// deletion.request events and refuses events they cover. A background
// goroutine purges on schedule (an idle store forgets on time too) and,
// when export.directory is set, writes the spec's air-gapped export files
// (package exportfile) of the events not yet exported, for a site
// collector with no egress; each file is written under a temporary name
// and renamed when complete. pushLogs may run on several goroutines; the
// Spool serializes its writes.
//
// # Configuration
//
// The keys and their defaults (see Config):
//
//	path                      (required)  the SQLite file (0600, its folder 0700)
//	max_size_mib              0           cap on the file; 0: none (retention bounds it)
//	retention.session_events  720h        session.start, session.end (spec: 30 days)
//	retention.raw_events      2160h       command and safety events (spec: 90 days)
//	retention.error_events    4320h       error.occurred (spec: 180 days)
//	purge_interval            1m          the least time between two retention purges
//	export.directory          ""          export files go here; empty: no exports
//	export.interval           24h         between two exports
//	export.max_events         50000       per file; more events make more files
//	timeout                   10s         exporterhelper's, per batch
//	retry_on_failure          enabled     exporterhelper's: 5s initial, 30s max interval, 5m in all
//	sending_queue             off         exporterhelper's queue
//
// The queue is off so that a receiver answers only once the store has
// committed; with it, a 2xx means queued (give it a file_storage to keep
// it across restarts). A deletion request is kept as long as the longest
// retention: as long as any event it deleted could still arrive.
//
// # Telemetry
//
//	otelcol_caro_sqlitespool_events{outcome="stored|duplicate|refused_deleted|expired|invalid"}
//	otelcol_caro_sqlitespool_deleted{reason="deletion_request|retention"}
//	otelcol_caro_sqlitespool_export_files
//
// beside exporterhelper's standard otelcol_exporter_* metrics. Logs: a
// warning when start found the file corrupt and moved it aside, or when a
// scheduled purge or export fails; an info line per export file (its name
// and event count). A batch that fails to commit goes back to
// exporterhelper, which retries and logs it. README.md has an example.
package sqlitespoolexporter

// Package sqlitespoolexporter is the sqlitespool exporter of otelcol-caro:
// the collector's end of the pipeline, which keeps Caro's events in the
// collector's store (package store: one typed column per schema field, in
// a SQLite file or in a PostgreSQL database that replicas share).
//
// # In the pipeline
//
// Logs only, at the end of a pipeline, after caro_redaction:
//
//	otlp, caro ─▶ memory_limiter ─▶ caro_redaction ─▶ sqlitespool ─▶ store (and export files)
//
// In: log records. Each is validated again with the redaction Validator,
// so a pipeline that forgot caro_redaction still stores nothing else; a
// record it refuses is counted (outcome invalid) and skipped, never an
// error for the batch. The record's log.record.uid is the event's id in
// the store; a record without one gets the name-based UUID of its payload
// (event.NameBasedUID), so a batch or an export file sent twice is stored
// once. The event's time is its Timestamp, else its ObservedTimestamp,
// else the arrival. Out: store.Accept, which shares its write between
// concurrent batches and answers each once it is durable (in a SQLite
// store's journal, or committed to PostgreSQL); the outcome counts come
// from store.Options.OnApplied as the events reach the table. The store
// ignores duplicates, refuses what is past its
// class's retention, carries out deletion.request events and refuses
// events they cover. A store failure is returned as Unavailable with a
// 2 s retry delay, which the receivers answer 503 with Retry-After. A
// background goroutine runs retention (and the size cap) on schedule (an idle store forgets on time too) and,
// when export.directory is set, writes the spec's air-gapped export files
// (package exportfile) of the events not yet exported, for a site
// collector with no egress; each file is written under a temporary name
// and renamed when complete. pushLogs may run on several goroutines.
//
// # Configuration
//
// The keys and their defaults (see Config):
//
//	path                      ""          the SQLite file (0600, its folder 0700); or:
//	postgres.dsn              ""          a PostgreSQL store (${env:CARO_POSTGRES_DSN}); one of the two
//	max_size_mib              0           cap on the file; 0: none (retention bounds it)
//	retention.session_events  720h        session.start, session.end (spec: 30 days)
//	retention.raw_events      2160h       command and safety events (spec: 90 days)
//	retention.error_events    4320h       error.occurred (spec: 180 days)
//	purge_interval            1m          how often retention and the cap run
//	export.directory          ""          export files go here; empty: no exports
//	export.interval           24h         between two exports
//	export.max_events         50000       per file; more events make more files
//	timeout                   10s         exporterhelper's, per batch
//	retry_on_failure          disabled    no retry inside the request: the client retries on the 503
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

// Package store is the collector's store of Caro events: what otelcol-caro
// keeps (through its sqlitespool exporter) and what caro-insights reads.
//
// # The table
//
// One row per event, one typed column per schema field (Fields, derived
// from package schema: a field added there is a column here, added on the
// next Open), named by ColumnName (platform.os is platform_os), plus the
// fixed columns uid (log.record.uid: with the type and the time, the
// dedup key), event_type, event_time, received_at, expires_on, exported_at
// and export_id. No JSON is parsed on the read path: a metric reads
// columns.
//
// # Two backends
//
// A SQLite file (modernc.org/sqlite, WAL, one writer connection) for one
// collector; a PostgreSQL database (pgx) that any number of collector
// replicas share. Dialect isolates what their SQL does differently, for
// the store and for readers.
//
// # Writes
//
// Accept takes the events of one request and returns once they are
// durable, which is all a collector waits for; Append also waits until
// they are in the table and says what became of them (stored, duplicate,
// refused by a deletion), which Options.OnApplied tells a collector.
// Concurrent requests share the work (group commit). In one transaction,
// a batch's deletion requests are applied first (their sessions' events
// deleted, a tombstone kept), then the events that no tombstone covers
// are inserted, an event already stored being a duplicate (ON CONFLICT DO
// NOTHING on the key: SQLite's one index, unique on (event_type,
// event_time, uid); PostgreSQL's primary key (uid, expires_on)). Events
// past their retention are refused before they are written.
//
// PostgreSQL: a writer takes every request waiting, commits their events
// together, and only then answers each.
//
// SQLite: a writer appends every request waiting to the store's journal
// (segment files <path>.ingest-N, one event.AppendLine line per event) in
// one write(2) and answers each: an accepted event survives the process
// being killed, as a commit with synchronous=NORMAL does. An applier
// lets accepted events gather (up to half a second, or MaxBatchEvents of
// them, or until a caller waits for the table: Flush, Append), commits
// them into the table in one transaction, and removes the segments it
// applied; readers in other processes see an event that much later at
// most (Unapplied tells them what is still on its way). A checkpointer
// copies the WAL into the file on its own connection, so that the applier,
// the store's one serial path, only writes it; the writer's page cache
// (256 MiB) holds the index pages that commits touch. The applier commits
// on a connection of its own (package sqliteconn), without the
// database/sql driver's mutex around each call into SQLite and its C copy
// of each text argument: BenchmarkAppend/sqlite went from 46,100 to
// 57,600 events/s. Open replays the
// segments a killed process left (their events already stored are
// duplicates), and a lock file (<path>.lock) refuses a second writer
// process. Why: SQLite
// logs whole pages, and each insert dirties a page of each index (uids
// and times arrive in no order), so small commits spent most of their
// time writing the same pages again; see journal.go for the figures.
// Under load a commit takes what arrived during the one before, up to
// MaxBatchEvents (50,000): in a store of millions of events whose times
// arrive in no order, nearly every event of a small commit dirties an
// index page of its own, and a big one shares them (DefaultMaxBatchEvents
// has the figures). Past 2 x MaxBatchEvents accepted but not applied,
// Accept waits for the applier, so that a disk slower than the load slows
// its clients instead of filling the collector's memory; a waiting event
// is held in about 550 bytes (its insert arguments encoded by
// sqliteconn.AppendArgs, its attributes dropped), 55 MB at most.
//
// In PostgreSQL, inserts take a shared advisory lock and deletions an
// exclusive one, so that a deletion received by one replica cannot miss an
// event another replica is inserting at that moment; rows go in by COPY
// into a temporary table, then one INSERT ... SELECT.
//
// # Retention
//
// Each row's expires_on is the day after its time plus its type's
// retention. Maintain, on the collector's timer (never inside an Append),
// drops what has expired: PostgreSQL drops whole daily partitions (the
// table is partitioned by expires_on), SQLite deletes by type and time and
// enforces its optional size cap. Tombstones outlive every event they
// could refuse, then go.
//
// # Migration
//
// A SQLite store of the first layout (one JSON payload column, written by
// the client spool's server mode) is rewritten into typed columns when it
// is opened, in one transaction, keeping every event's uid, times and
// export mark, and the tombstones. A typed store of version 100 (uid
// unique on its own, a second index) is rebuilt into today's table, every
// row with its rowid and columns.
package store

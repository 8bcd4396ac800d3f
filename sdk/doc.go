// Package sdk is what Caro calls to record telemetry.
//
// Start reads nothing itself: the caller passes a Config (see LoadConfig,
// which merges the config file, the environment and the --no-telemetry
// flag). An enabled Client owns an OTel sdk/log LoggerProvider whose one
// processor chain is
//
//	typed event -> log.Record -> redaction.Processor -> BatchProcessor -> sqlitespool.InboxExporter
//
// so every event is validated against the schema before it is queued.
// Recording an event costs the caller a few microseconds and never touches
// the disk; the batch goroutine (or Shutdown, at exit) appends the batch to
// the spool's inbox in one write, and the next sqlitespool.Open (`caro
// telemetry show`, the background upload) stores it in SQLite. So a
// process never pays for SQLite at exit. A disabled Client is a value
// whose methods return at once; it opens no file.
//
// Nothing in this package ever returns a telemetry failure to Caro as an
// error exit: failures become at most one warning line (Config.Warn).
package sdk

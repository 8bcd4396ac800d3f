// Package sdk is what Caro calls to record telemetry.
//
// Start reads nothing itself: the caller passes a Config (see LoadConfig,
// which merges the config file, the environment and the --no-telemetry
// flag). An enabled Client owns an OTel sdk/log LoggerProvider whose one
// processor chain is
//
//	typed event -> log.Record -> redaction.Processor -> BatchProcessor -> sqlitespool.Exporter
//
// so every event is validated against the schema before it is queued, and
// the SQLite spool is opened lazily by the batch goroutine: recording an
// event costs the caller a few microseconds and never touches the disk. A
// disabled Client is a value whose methods return at once; it opens no file.
//
// Nothing in this package ever returns a telemetry failure to Caro as an
// error exit: failures become at most one warning line (Config.Warn).
package sdk

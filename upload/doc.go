// Package upload delivers the spooled telemetry events to Caro's ingest as
// OTLP logs over HTTP, applying the spec's failure table, and sends the
// deletion requests of `caro telemetry delete-remote`.
//
// It is a library: the CLI decides when to call it (Due), serializes
// uploaders (Lock), and runs Flush in a detached `caro telemetry flush`
// child so that no Caro command ever waits on the network.
//
// # Flow
//
// One Flush is a loop over bounded batches, oldest events first:
//
//	sqlitespool.Pending(BatchSize)
//	  -> one log.Record per event: EventName, Timestamp, the fields as
//	     typed attributes, log.record.uid = the event's stable EventID,
//	     ObservedTimestamp = when it was spooled, severity INFO
//	  -> Logger.Emit on an sdk/log LoggerProvider carrying otelconv.Resource(version)
//	     (service.name=caro, service.version) and one processor that only
//	     collects the batch
//	  -> otlploghttp Exporter.Export, synchronously: protobuf, gzip,
//	     X-Caro-Version, POST {Endpoint}/v1/logs, its own retry disabled,
//	     one deadline (AttemptTimeout) per request
//	  -> guard, the HTTP client's RoundTripper: reads the response status
//	     and Retry-After, which otlploghttp does not expose, and enforces
//	     the resource (see below)
//	  -> the failure table decides: mark transmitted, delete and count, or
//	     keep and stop
//
// Records are replayed through the SDK rather than built by hand, as
// sdk/log requires; replaying the same event always yields the same record,
// so a batch sent twice differs only in being twice, and the collector
// drops the copy by log.record.uid.
//
// # Failure table
//
//	answer                       batch                      flush      next attempt
//	2xx                          marked transmitted         continues  backoff cleared
//	429, 503                     kept                       stops      Retry-After (seconds or HTTP date, capped at
//	                                                                   BackoffMax), else backoff
//	other 4xx                    deleted, dropped_rejected  continues  backoff cleared (the server answered)
//	                             += its events
//	5xx (not 503)                kept                       stops      backoff
//	no answer: refused, reset,   kept                       stops      backoff
//	DNS, TLS, deadline
//	1xx, 3xx (redirects are      kept                       stops      backoff
//	not followed)
//
// A 2xx counts as delivered even if the exporter adds an error (a partial
// success notice, a body cut after the status): the server has the batch,
// and resending would only duplicate it. The backoff after the n-th
// consecutive failure is BackoffBase·2^(n-1) capped at BackoffMax (1 h and
// 72 h by default), drawn uniformly from its upper half (jitter). If ctx
// ends, Flush returns its error, the batch in flight is kept, and no
// failure is counted.
//
// # Schedule
//
// The schedule lives in a small JSON file beside the spool (StatePath:
// <spool>.upload.json, written atomically): first recorded events, last
// attempt, last success, consecutive failures, next attempt time, last
// error. Spool counters were the alternative, but they only add, while
// this is state that is replaced, and Due must be answered on Caro's
// startup path by reading one file, not by opening SQLite. The first run
// that records events creates the file (StartSchedule, which never
// replaces one), and the first upload is due one batch interval later, so
// that uploads come in batches from the start; with no file nothing is
// due. Then Due is true at most once per batch interval, counted from the
// last attempt (written before anything is sent, so a crashing uploader is
// not restarted by every run), and never before the next attempt time of a
// backoff or Retry-After. A time in the future means the clock was set
// back, and the schedule restarts.
//
// # One uploader
//
// Lock (a flock(2) on LockPath: <spool>.upload.lock) keeps two uploaders
// from sending the same batch. The kernel releases it when the holder dies
// in any way, so a stale lock cannot exist; the leftover file is normal and
// never deleted (deleting it would let two processes hold locks on two
// files of the same name).
//
// # Crash safety
//
// Delivery is at least once. A batch is marked transmitted only after its
// 2xx, in one spool transaction; an uploader killed between the server's
// receipt and that transaction leaves the batch pending, and the next
// flush sends exactly that batch again with the same ids. The package's
// tests kill a flushing process with SIGKILL 50 times at random moments:
// nothing is lost, and every duplicate is a whole batch in flight, resent
// with identical records.
//
// # Privacy on the wire
//
// Every otlploghttp setting is given explicitly, so OTEL_EXPORTER_OTLP_*
// variables (endpoint, insecure, headers, compression, timeout) have no
// effect, and the sdk/log attribute limits are set so that
// OTEL_LOGRECORD_ATTRIBUTE_* cannot truncate ids. sdk/log merges
// OTEL_RESOURCE_ATTRIBUTES into any resource it is given, with no option
// to prevent it: when that happened, the guard replaces the resource of
// the encoded request by otelconv.Resource(version) before it leaves. Records are
// emitted with a fresh context, so no trace or span id is attached.
// Redirects are not followed: telemetry goes to the configured host or
// nowhere. With Options.AirGapped every call returns ErrAirGapped before
// opening any connection.
//
// # Deletion requests
//
// RequestDeletion sends one record, event name deletion.request, whose
// only attributes are session_ids (the anonymous daily ids, a string
// slice, each checked to be 16 lowercase hex digits) and log.record.uid (a
// request id), through the same replay path, resource and failure
// classification, in one attempt: the user is waiting at the prompt. It
// returns a *SendError that matches ErrRejected or ErrUnavailable. In
// air-gapped mode the CLI puts the DeletionRequest's JSON in the next
// export instead.
//
// # Wire format
//
// The spec's "Endpoint Specification" describes a JSON POST to /v1/events;
// Caro's ingest is an OpenTelemetry Collector, so events travel as OTLP
// logs to /v1/logs, and the spec's batch_id and per-event dedup become
// log.record.uid. The X-Caro-Version header is kept.
package upload

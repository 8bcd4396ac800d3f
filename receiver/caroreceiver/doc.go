// Package caroreceiver is the caro receiver of otelcol-caro: it takes
// Caro's events in the spec's own formats, the ones OTLP does not cover,
// and feeds them into the same pipeline as the otlp receiver.
//
// # In the pipeline
//
// Logs only, at the start, beside otlp:
//
//	POST /v1/events (JSON batch)             ─┐
//	POST /telemetry/upload, /v1/exports      ─┼─▶ caro ─▶ memory_limiter ─▶ caro_redaction ─▶ ...
//	drop folder (*.json.gz export files)     ─┘
//
// In: a JSON batch {events, batch_id, client_timestamp} (gzip as its
// Content-Encoding says) with X-Caro-Version, or an air-gapped export file (envelope and checksum
// verified by exportfile.Read), by upload or dropped in a folder. Every
// event is decoded leniently (event.DecodeLenient) and validated with the
// redaction Validator here, because the spec's answer counts accepted and
// rejected events; caro_redaction checks the records again. Out: one
// plog.Logs per request or file: resource service.name=caro (and
// service.version when the version sent is clean), the receiver's scope,
// and per accepted event a record with its event name, timestamp, observed
// time, severity INFO, its fields as attributes and a log.record.uid (the
// name-based UUID of its payload when it carried none, so that the store
// keeps one copy however often it is sent). The HTTP answers are the
// spec's (200, 400, 405, 413, 429 with Retry-After, 500); README.md lists them.
//
// A drop-folder file is moved to processed/ once its events are in the
// pipeline, or to rejected/ with NAME.error.txt when it is not a valid
// export; a file the pipeline refused stays for the next scan. The folder
// is polled, not watched: it is often a share or a USB stick, where change
// notifications are unreliable. Handlers run concurrently; the Validator,
// the rate limiter and the instruments are safe for concurrent use.
//
// # Configuration
//
// The keys and their defaults (see Config; confighttp's other keys, such as
// tls, timeouts, cors and auth, apply as usual):
//
//	endpoint                        localhost:4320  loopback, the port after OTLP/HTTP's 4318
//	max_request_body_size           4194304         4 MiB, on the received and the decompressed body
//	rate_limit.requests_per_minute  60              per client address; 0: no limit
//	rate_limit.burst                20              requests a client may make at once
//	rate_limit.max_clients          10000           client buckets tracked at once
//	rate_limit.trusted_proxies      []              load balancers whose header names the client (CIDRs, addresses)
//	rate_limit.proxy_header         x-forwarded-for  or forwarded (RFC 7239): the header the proxies write
//	max_events_per_batch            1000            events in one POST /v1/events
//	exports.max_decompressed_bytes  67108864        64 MiB, what one export file may inflate to
//	exports.drop_folder             ""              the folder to poll; empty: none
//	exports.poll_interval           10s             between two scans of the drop folder
//	exports.settle_time             2s              a file modified since is left for the next scan
//
// # Behind a load balancer
//
// The rate limit keys on the client's address. By default that is the
// connection's remote address, so behind a load balancer every client
// would share the balancer's bucket. List the balancers in
// rate_limit.trusted_proxies: a request whose connection comes from one
// of them is keyed on the client its proxy_header names, read from the
// right (the end each proxy appends to) over the trusted proxies to the
// first address that is not one. Entries a client wrote in front are
// never reached, so it cannot pick another client's bucket or a fresh
// one. A request from any other peer is keyed on that peer, its headers
// ignored. A header that names no usable address (malformed, empty,
// "unknown", an obfuscated identifier) keys the request on its peer; it
// never fails the request.
//
// Only proxy_header is read, never the other one: a balancer passes
// through the header it does not write, so there a client could write
// anything. X-Forwarded-For is the default because it is what nearly every
// balancer writes; choose forwarded, the RFC 7239 standard, for one set up
// to write that (ratelimit.Keyer has the details).
//
// The client's address keys the in-memory buckets and nothing else: it is
// not logged, stored or put into the receiver's telemetry.
//
// # Telemetry
//
//	otelcol_caro_receiver_events{source="events|upload|drop_folder", outcome="accepted|rejected"}
//	otelcol_caro_receiver_requests{source, status}  the HTTP status, or 200/400 for a drop-folder file
//
// plus receiverhelper's standard otelcol_receiver_*_log_records
// (receiver="caro", transport="http"). Logs: the listen address at start;
// a warning when the pipeline refuses events, and for each drop-folder
// file that cannot be read or is rejected; an info line per ingested file
// (accepted and rejected counts). Event values are never logged.
package caroreceiver

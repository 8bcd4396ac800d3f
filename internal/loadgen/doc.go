// Package loadgen is the load generator of caro-loadgen: it sends valid
// Caro sessions, with a chosen fraction of hostile records, to a collector
// as OTLP/HTTP logs, and measures how it answers.
//
// # Flow
//
//	Generator.Batch(n)   request n's sessions, from (seed, n) alone: the six
//	                     telemetry events of the schema per session, every
//	                     field of the schema set to a value drawn from its
//	                     definition (enum domain, format, range), so that a
//	                     schema change flows in; log.record.uid a UUID v7;
//	                     some records spoiled (Hostility)
//	  -> Batch.Body()    one resource (service.name=caro, service.version),
//	                     the upload's scope, severity INFO: protobuf, gzip
//	  -> Run's workers   POST to the URL, Content-Encoding gzip, one request
//	                     at a time per worker; 429/503 counted, and resent
//	                     after Retry-After when Options.Retries allows
//	  -> Summary         events/s, requests/s, latency percentiles, status
//	                     counts, text or JSON
//
// Since a batch depends only on the seed, the epoch and its index, a run
// with the same seed and epoch sends the same bodies, byte for byte,
// whatever its workers: a resend that a deduplicating store must absorb.
package loadgen

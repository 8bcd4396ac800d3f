// Package redactionprocessor is the caro_redaction processor of
// otelcol-caro: the collector face of package redaction, so that the
// server applies the same schema checks as the client SDK (the server never
// trusts clients, and a pipeline may receive from sources other than Caro).
//
// # In the pipeline
//
// Logs only. It belongs right after memory_limiter, before anything that
// stores or forwards records (batch, sqlitespool, an OTLP exporter), so that
// nothing downstream ever sees a field the schema does not declare:
//
//	otlp, caro ─▶ memory_limiter ─▶ caro_redaction ─▶ sqlitespool (and batch ─▶ otlp_http)
//
// In: any plog.Logs. For each record, the redaction Validator checks the
// event name and attributes (the same code as the client's); a rejected
// record is removed whole. Out: the accepted records, each with only the
// fields its event declares plus its log.record.uid, with no body,
// severity text or trace context. Each resource is reduced to service.name
// (which must be one of service_names, else all its records are rejected)
// and service.version (when it is a clean version); scope attributes are
// removed, scope names other than Caro's senders (package upload, the caro
// receiver) are cleared, and schema URLs are emptied. A batch left with no
// record is not passed on (processorhelper.ErrSkipProcessingData): the
// sender gets a success either way.
//
// It mutates the batch in place (MutatesData) and may run on several
// goroutines at once: the Validator and the instruments are safe for
// concurrent use, and scratch buffers come from a pool.
//
// # Configuration
//
// The schema itself is not configurable: it is package schema, the same on
// both ends. The keys (see Config):
//
//	service_names               [caro]  the service.name values whose records are kept
//	reject_resource_attributes  false   true: reject every record of a resource that
//	                                    carries any other attribute, as the client SDK
//	                                    does; false: remove those attributes and count them
//
// The default removes rather than rejects because what proxies, SDKs and
// receivers add (host.name, client addresses, user agents) is not the
// client's fault, and the events themselves are still good.
//
// # Telemetry
//
// Two counters on the collector's own meter (scope
// otelcolcaro.Redaction.ScopeName; metadata.yaml is their record):
//
//	otelcol_caro_redaction_records{outcome="accepted"}
//	otelcol_caro_redaction_records{outcome="rejected", reason=...}  one redaction.Reason:
//	    path, secret, email, ip, url, command, unknown_event, missing_required,
//	    type, enum, format, range, resource
//	otelcol_caro_redaction_removed{kind="field|resource_attribute|scope|trace_context"}
//
// They are added once per batch, beside processorhelper's standard
// processor metrics. The processor writes no log line: values are never
// logged or counted, only reasons. README.md has the configuration example
// and a comparison with contrib's redaction processor (bench_test.go).
package redactionprocessor

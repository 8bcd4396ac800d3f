// Package event is the one home of a Caro event's wire and disk form: the
// spec's JSON object, strict for what this build wrote and lenient for
// what a client sent, the line a short-lived process stages it as, its
// record uid (log.record.uid), and the time layouts. Its subpackages
// convert schema values to and from the two OTel attribute models: otelconv
// for the OTel Go SDK (the caro process, the upload), pdataconv for the
// Collector's pdata (the otelcol-caro components).
//
// What an event may hold is decided by package schema; this package only
// gives it shape. Nothing else in the module encodes or decodes an event,
// so that the spool, the upload, the receiver, the store and insights can
// never disagree on how a field is spelled.
//
// The flow of one event, by the functions of this package:
//
//	caro: sdk -> otelconv.FromKeyValue -> Encode -> AppendLine (inbox)
//	spool: ParseLine -> Decode -> store -> Decode -> otelconv.ToKeyValue -> OTLP
//	collector: pdataconv.AppendAttrs (OTLP) or DecodeLenient (/v1/events, export files)
//	           -> redaction -> pdataconv.PutAttrs -> store (Encode)
package event

// Package exportfile reads and writes Caro's air-gapped telemetry export: the
// file `caro telemetry export` writes on a machine that never uploads, and
// that the collector (or a person) later verifies and ingests.
//
// # Format
//
// An export is one gzip member holding one JSON object, the spec's envelope
// ("Air-Gapped Export Format"):
//
//	{
//	  "export_version": "1.0",
//	  "exported_at": "2025-12-30T10:30:00Z",
//	  "caro_version": "1.1.0",
//	  "event_count": 2,
//	  "events": [
//	    {"event": "session.start", "timestamp": "...", ...},
//	    {"event": "session.end", "timestamp": "...", ...}
//	  ],
//	  "checksum": "sha256:6c1f..."
//	}
//
// events holds the stored event payloads exactly as the spool keeps them
// (the spec's event shape: "event", "timestamp", then the event's fields);
// event_count is their number; exported_at is UTC with second precision.
//
// # Checksum
//
// checksum is the string "sha256:" followed by the 64 lowercase hexadecimal
// digits of the SHA-256 digest of the UTF-8 bytes of the RFC 8785 (JSON
// Canonicalization Scheme, JCS) serialization of the value of the "events"
// member, that is of the whole array, brackets included. Nothing else of
// the envelope is covered: the checksum says that the events are the ones
// caro exported, whatever whitespace or member order a tool may have
// introduced since.
//
// To recompute it with other tools, extract the events array and feed it to
// any RFC 8785 implementation, for example in Python with the rfc8785
// package:
//
//	import gzip, hashlib, json, rfc8785
//	env = json.load(gzip.open("telemetry-export-2025-12-30.json.gz"))
//	print("sha256:" + hashlib.sha256(rfc8785.dumps(env["events"])).hexdigest())
//
// (jq -cS is not a JCS implementation: it sorts keys by code point and
// prints numbers its own way, so it agrees only on some inputs.) In Go,
// Canonicalize is the implementation this package uses, and Checksum
// computes the value directly.
//
// # Safety of Read
//
// Read treats its input as hostile: it inflates at most a configured number
// of bytes (a gzip bomb costs at most that much memory and time, then
// ErrTooLarge), parses strict I-JSON with a nesting limit, accepts exactly
// the six envelope fields, and verifies the version, the count and the
// checksum before it returns anything. Each failure wraps one sentinel
// error (ErrMalformed, ErrTooLarge, ErrVersion, ErrChecksum) and says in a
// sentence what is wrong and what to do.
//
// The package is plain Go (standard library only) and holds no state; all
// functions are safe for concurrent use.
package exportfile

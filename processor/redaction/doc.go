// Package redaction enforces Caro's privacy promise on every event before it
// is stored or sent: a field the schema does not declare never leaves the
// process, and an event that carries anything sensitive is dropped whole.
//
// The core is plain Go with no OTel imports. Detect scans one string for
// what Caro must never collect: paths, secrets (provider keys and tokens,
// JWTs, private keys, credential pairs, long random strings), e-mail
// addresses, IP addresses, URLs and host names, and shell commands. A
// Validator applies the schema (package caro.sh/telemetry/schema) to one
// event:
//
//	event name ──▶ known to the schema?            no ─▶ reject (unknown_event)
//	each field ──▶ declared for this event?        no ─▶ drop, count dropped_field
//	           ──▶ right type, number in range?    no ─▶ reject (type, range)
//	           ──▶ enum value in its domain?       no ─▶ reject (Detect's reason, else enum)
//	           ──▶ model name: a catalog name?     yes ─▶ keep (one map lookup)
//	                           Detect clean?       no ─▶ reject (Detect's reason)
//	                                               yes ─▶ its catalog name, else custom
//	           ──▶ SemVer version, id shape?       no ─▶ reject (Detect's reason, else format)
//	           ──▶ Detect clean?                   no ─▶ reject (path, secret, email, ip, url, command)
//	           ──▶ version too long?               yes ─▶ drop +build, then cut to 20 characters
//	required fields all present?                   no ─▶ reject (missing_required)
//	                                                    accept: the filtered fields
//
// Rejections are counted by reason and drops are counted; values are never
// kept, logged or counted, and Apply zeroes the attributes it rejects.
//
// The SDK face, Processor, is an sdklog.Processor that wraps the next
// processor of the pipeline (the spool, an exporter): it reads a record's
// event name and attributes, checks its resource (service.name and
// service.version only), runs the Validator, and either drops the record
// without calling next or passes it on with only the accepted fields. The
// Collector face, subpackage redactionprocessor (component caro_redaction),
// runs the same Validator on pdata records in the collector, so that the
// caro CLI never links collector code.
//
// A model name is never kept as it came: it is recorded as its name in the
// model catalog (schema.CatalogModel, which normalises Ollama tags,
// organisations and quantisation suffixes), or as schema.ModelCustom, so
// that a local model named after a client, a host or a secret stays on the
// machine whatever Detect makes of it. The catalog is one file embedded in
// package schema, so the client and the collector apply the same list.
//
// Detect is eager by design: the guarded fields hold versions, model names,
// ids and enum values only, so any structure beyond that is suspect. The
// strict formats of the free strings (a version is SemVer 2.0, a model name
// a catalog name) keep out most content by themselves; Detect catches what
// fits them anyway (an IP address in a pre-release) and decides whether a
// model name outside the catalog rejects its event. FuzzApply checks that no
// accepted value matches a sensitive pattern.
//
// Detect's dispatch is in detect.go; its detectors live one family to a
// file: classes.go (the byte classes and properties that one pass collects),
// secrets.go (provider prefixes, credential pairs, PEM and HTTP credentials),
// entropy.go (random-looking runs), commands.go (shell commands and
// assignments) and network.go (e-mail, host names, URLs, file names, IP and
// MAC addresses).
package redaction

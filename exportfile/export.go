package exportfile

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Version is the export_version this package writes and the only one Read
// accepts.
const Version = "1.0"

// DefaultMaxBytes is the decompressed size limit Read applies when it is
// given a limit of zero or less: far above an honest export (the client
// spool is capped at 10 MB) and far below what a gzip bomb would inflate to.
const DefaultMaxBytes int64 = 64 << 20

// ChecksumPrefix starts every checksum; the algorithm is part of the value
// so that a later version can change it without ambiguity.
const ChecksumPrefix = "sha256:"

// Sentinel errors that callers branch on. Every error about the content of
// an export (returned by Build, Write, Read and Canonicalize) wraps exactly
// one of them and adds, in plain words, what is wrong and what to do about
// it; only a failure of the reader or writer itself is returned as its own
// error, wrapped with context.
var (
	// ErrMalformed: the file is not a well-formed export (not gzip, damaged
	// gzip, not JSON, a missing or mistyped field, a wrong event count).
	ErrMalformed = errors.New("malformed telemetry export")
	// ErrChecksum: the events do not hash to the recorded checksum; they
	// were changed after the export was written.
	ErrChecksum = errors.New("telemetry export checksum mismatch")
	// ErrTooLarge: the file decompresses to more than the allowed size.
	ErrTooLarge = errors.New("telemetry export too large")
	// ErrVersion: the file declares an export_version this reader does not
	// know.
	ErrVersion = errors.New("unsupported telemetry export version")
)

// Envelope is the spec's air-gapped export document. Its JSON form is the
// file's content before compression.
type Envelope struct {
	// ExportVersion is Version.
	ExportVersion string `json:"export_version"`
	// ExportedAt is the export time in UTC, RFC 3339 with seconds
	// (2025-12-30T10:30:00Z).
	ExportedAt string `json:"exported_at"`
	// CaroVersion is the version of the caro binary that wrote the export.
	CaroVersion string `json:"caro_version"`
	// EventCount is len(Events).
	EventCount int `json:"event_count"`
	// Events are the stored event payloads, each a JSON object in the
	// spec's event shape, in spool order. Build keeps the caller's bytes;
	// Read returns slices of the decompressed document.
	Events []json.RawMessage `json:"events"`
	// Checksum is ChecksumPrefix followed by the lowercase hex SHA-256 of
	// the RFC 8785 canonical form of the events array (see the package
	// documentation).
	Checksum string `json:"checksum"`
}

// Build assembles the envelope of events, exported by caroVersion at now.
// Every event must be a JSON object; the events are kept as given (not
// copied, not reformatted) and only their canonical form enters the
// checksum.
func Build(events []json.RawMessage, caroVersion string, now time.Time) (Envelope, error) {
	if caroVersion == "" {
		return Envelope{}, fmt.Errorf("%w: the caro version is empty; pass the version of the running binary", ErrMalformed)
	}
	if events == nil {
		events = []json.RawMessage{}
	}
	sum, err := checksumOf(events)
	if err != nil {
		return Envelope{}, err
	}
	return Envelope{
		ExportVersion: Version,
		ExportedAt:    now.UTC().Format(time.RFC3339),
		CaroVersion:   caroVersion,
		EventCount:    len(events),
		Events:        events,
		Checksum:      sum,
	}, nil
}

// Checksum computes the checksum of events as Build records it and Read
// verifies it: "sha256:" + lowercase hex SHA-256 of the RFC 8785 canonical
// JSON of the array of events. Every event must be a JSON object.
func Checksum(events []json.RawMessage) (string, error) { return checksumOf(events) }

func checksumOf(events []json.RawMessage) (string, error) {
	canon := []byte{'['}
	for i, e := range events {
		v, err := parseDocument(e)
		if err != nil {
			return "", fmt.Errorf("event %d is not valid JSON (%w); the spool holds a damaged record", i, err)
		}
		if v.kind != kindObject {
			return "", fmt.Errorf("%w: event %d is not a JSON object; every event must be an object in the spec's event shape", ErrMalformed, i)
		}
		if i > 0 {
			canon = append(canon, ',')
		}
		canon = appendCanonical(canon, &v)
	}
	canon = append(canon, ']')
	return sumCanonical(canon), nil
}

func sumCanonical(canon []byte) string {
	h := sha256.Sum256(canon)
	return ChecksumPrefix + hex.EncodeToString(h[:])
}

// Write writes env to w as gzip-compressed, indented JSON (one gzip
// member). It first checks env the way Read will, so that it never writes
// a file that Read would reject.
func Write(w io.Writer, env Envelope) error {
	if err := validate(&env); err != nil {
		return err
	}
	if env.Events == nil {
		env.Events = []json.RawMessage{}
	}
	zw := gzip.NewWriter(w)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(env); err != nil {
		return fmt.Errorf("write telemetry export: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write telemetry export: %w", err)
	}
	return nil
}

// validate checks an envelope in memory: version, timestamp, count and
// checksum.
func validate(env *Envelope) error {
	if env.ExportVersion != Version {
		return fmt.Errorf("%w: export_version is %q; this version of caro writes and reads %q only", ErrVersion, env.ExportVersion, Version)
	}
	if _, err := time.Parse(time.RFC3339, env.ExportedAt); err != nil {
		return fmt.Errorf("%w: exported_at %q is not an RFC 3339 timestamp such as 2025-12-30T10:30:00Z", ErrMalformed, env.ExportedAt)
	}
	if env.CaroVersion == "" {
		return fmt.Errorf("%w: caro_version is empty; it must name the caro release that wrote the export", ErrMalformed)
	}
	if env.EventCount != len(env.Events) {
		return fmt.Errorf("%w: event_count says %d events but the file holds %d; the file was cut or edited, export it again", ErrMalformed, env.EventCount, len(env.Events))
	}
	if !validChecksumSyntax(env.Checksum) {
		return fmt.Errorf("%w: checksum %q is not \"sha256:\" followed by 64 lowercase hex digits", ErrMalformed, clip(env.Checksum))
	}
	sum, err := checksumOf(env.Events)
	if err != nil {
		return err
	}
	if sum != env.Checksum {
		return checksumMismatch(env.Checksum, sum)
	}
	return nil
}

func checksumMismatch(recorded, computed string) error {
	return fmt.Errorf("%w: the file records %s but its events hash to %s; the events were changed after export (or the file is damaged), so they cannot be trusted: export them again from caro",
		ErrChecksum, recorded, computed)
}

func validChecksumSyntax(s string) bool {
	h, ok := strings.CutPrefix(s, ChecksumPrefix)
	if !ok || len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Read reads one export written by Write (or by any tool producing the same
// format) and verifies it completely before returning it:
//
//  1. the input is a single gzip member, read through a decompressed size
//     limit of maxBytes (DefaultMaxBytes when maxBytes <= 0), so that a gzip
//     bomb is rejected with ErrTooLarge after inflating at most maxBytes+1
//     bytes; data after the gzip member is ErrMalformed;
//  2. the JSON is strict I-JSON: one object, exactly the six envelope
//     fields with their exact names and types (unknown, missing and
//     duplicate fields are ErrMalformed), every event a JSON object;
//  3. export_version is Version (else ErrVersion, checked before the other
//     fields so that a newer format is reported as such);
//  4. event_count equals the number of events (else ErrMalformed);
//  5. the checksum matches the events (else ErrChecksum).
func Read(r io.Reader, maxBytes int64) (Envelope, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	data, err := inflate(r, maxBytes)
	if err != nil {
		return Envelope{}, err
	}
	return decode(data)
}

func inflate(r io.Reader, maxBytes int64) ([]byte, error) {
	src := &errReader{r: r}
	br := bufio.NewReader(src)
	zr, err := gzip.NewReader(br)
	if err != nil {
		if src.err != nil {
			return nil, fmt.Errorf("read telemetry export: %w", src.err)
		}
		return nil, fmt.Errorf("%w: the file is not gzip-compressed (%v); pass the .json.gz file written by `caro telemetry export`", ErrMalformed, err)
	}
	// One member only: concatenated members would let a file of endless
	// empty members keep the reader busy without ever reaching the limit.
	zr.Multistream(false)
	data, err := io.ReadAll(io.LimitReader(zr, maxBytes+1))
	if err != nil {
		if src.err != nil {
			return nil, fmt.Errorf("read telemetry export: %w", src.err)
		}
		return nil, fmt.Errorf("%w: the gzip data is truncated or damaged (%v); copy the file again or export it again", ErrMalformed, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: it decompresses to more than %d bytes, which no honest export reaches; if the file is genuine, export more often or raise the limit", ErrTooLarge, maxBytes)
	}
	// Reaching EOF made the gzip reader verify its CRC-32 and length.
	if _, err := br.Peek(1); err != io.EOF {
		if src.err != nil {
			return nil, fmt.Errorf("read telemetry export: %w", src.err)
		}
		return nil, fmt.Errorf("%w: unexpected data after the gzip stream; the file must hold exactly one gzip member", ErrMalformed)
	}
	return data, nil
}

// errReader remembers a failure of the underlying reader (other than EOF),
// so that a disk error is not reported as a damaged file.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// decode parses and verifies the decompressed envelope.
func decode(data []byte) (Envelope, error) {
	doc, err := parseDocument(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("the export is not valid JSON: %w", err)
	}
	if doc.kind != kindObject {
		return Envelope{}, fmt.Errorf("%w: the export must be a JSON object with export_version, exported_at, caro_version, event_count, events and checksum", ErrMalformed)
	}
	// Version first: a newer format may legitimately differ in every
	// other field.
	ver, ok := doc.field("export_version")
	if !ok {
		return Envelope{}, fmt.Errorf("%w: the field export_version is missing; this is not a caro telemetry export", ErrMalformed)
	}
	if ver.kind != kindString {
		return Envelope{}, fmt.Errorf("%w: export_version must be a string such as %q", ErrMalformed, Version)
	}
	if ver.str != Version {
		return Envelope{}, fmt.Errorf("%w: the file has export_version %q but this reader understands %q only; upgrade the reading tool", ErrVersion, clip(ver.str), Version)
	}
	for _, m := range doc.members {
		switch m.name {
		case "export_version", "exported_at", "caro_version", "event_count", "events", "checksum":
		default:
			return Envelope{}, fmt.Errorf("%w: unknown field %q in a version %s export; the file was edited or written by another tool", ErrMalformed, clip(m.name), Version)
		}
	}
	env := Envelope{ExportVersion: ver.str}
	if env.ExportedAt, err = stringField(&doc, "exported_at"); err != nil {
		return Envelope{}, err
	}
	if env.CaroVersion, err = stringField(&doc, "caro_version"); err != nil {
		return Envelope{}, err
	}
	if env.Checksum, err = stringField(&doc, "checksum"); err != nil {
		return Envelope{}, err
	}
	count, ok := doc.field("event_count")
	if !ok {
		return Envelope{}, fmt.Errorf("%w: the field event_count is missing", ErrMalformed)
	}
	if count.kind != kindNumber || count.num < 0 || count.num > 1<<40 || count.num != float64(int64(count.num)) {
		return Envelope{}, fmt.Errorf("%w: event_count must be a whole number of events", ErrMalformed)
	}
	env.EventCount = int(count.num)
	events, ok := doc.field("events")
	if !ok {
		return Envelope{}, fmt.Errorf("%w: the field events is missing", ErrMalformed)
	}
	if events.kind != kindArray {
		return Envelope{}, fmt.Errorf("%w: events must be an array of event objects", ErrMalformed)
	}
	env.Events = make([]json.RawMessage, len(events.elems))
	canon := []byte{'['}
	for i := range events.elems {
		e := &events.elems[i]
		if e.kind != kindObject {
			return Envelope{}, fmt.Errorf("%w: event %d is not a JSON object; every event must be an object in the spec's event shape", ErrMalformed, i)
		}
		env.Events[i] = json.RawMessage(data[e.start:e.end:e.end])
		if i > 0 {
			canon = append(canon, ',')
		}
		canon = appendCanonical(canon, e)
	}
	canon = append(canon, ']')
	if _, err := time.Parse(time.RFC3339, env.ExportedAt); err != nil {
		return Envelope{}, fmt.Errorf("%w: exported_at %q is not an RFC 3339 timestamp such as 2025-12-30T10:30:00Z", ErrMalformed, clip(env.ExportedAt))
	}
	if env.CaroVersion == "" {
		return Envelope{}, fmt.Errorf("%w: caro_version is empty; it must name the caro release that wrote the export", ErrMalformed)
	}
	if env.EventCount != len(env.Events) {
		return Envelope{}, fmt.Errorf("%w: event_count says %d events but the file holds %d; the file was cut or edited, export it again", ErrMalformed, env.EventCount, len(env.Events))
	}
	if !validChecksumSyntax(env.Checksum) {
		return Envelope{}, fmt.Errorf("%w: checksum %q is not \"sha256:\" followed by 64 lowercase hex digits", ErrMalformed, clip(env.Checksum))
	}
	if sum := sumCanonical(canon); sum != env.Checksum {
		return Envelope{}, checksumMismatch(env.Checksum, sum)
	}
	return env, nil
}

func stringField(doc *value, name string) (string, error) {
	v, ok := doc.field(name)
	if !ok {
		return "", fmt.Errorf("%w: the field %s is missing", ErrMalformed, name)
	}
	if v.kind != kindString {
		return "", fmt.Errorf("%w: %s must be a string", ErrMalformed, name)
	}
	return v.str, nil
}

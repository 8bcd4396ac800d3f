package redaction

import (
	"math"
	"strings"
	"sync/atomic"

	"caro.sh/telemetry/schema"
)

// DroppedField is the Counts key of fields dropped because the schema does
// not allow them on their event (and of duplicate keys).
const DroppedField = "dropped_field"

// Validator applies the schema to events: it drops fields the schema does not
// allow, checks types, enum domains, formats and ranges, truncates the free
// strings that the schema lets it truncate, and rejects whole events that
// carry anything sensitive. It keeps counts of what it did, never values.
//
// A Validator is safe for concurrent use; its counters are atomics.
type Validator struct {
	dropped  atomic.Int64
	rejected [numReasons]atomic.Int64
}

// New returns a Validator with zeroed counters.
func New() *Validator { return &Validator{} }

// Apply validates one event and returns its filtered attributes with
// ReasonNone, or nil and the reason for rejecting the whole event.
//
// Apply reuses the backing array of attrs: the returned slice aliases it,
// and accepted values may have been truncated in place. On rejection Apply
// zeroes attrs, so that no value of a rejected event stays reachable through
// it; on acceptance the dropped fields are zeroed too. The caller must not
// use attrs afterwards except through the result.
//
// Fields whose key the event does not declare are dropped and counted under
// DroppedField. When a key appears twice, both values are checked and the
// first one is kept.
func (v *Validator) Apply(event string, attrs []schema.Attr) ([]schema.Attr, Reason) {
	out, r, _ := v.apply(event, attrs)
	return out, r
}

// ApplyChanged is Apply that also reports whether it changed anything
// (dropped or truncated a field), so that a face rewrites a record only
// then. The same aliasing rules as Apply hold.
func (v *Validator) ApplyChanged(event string, attrs []schema.Attr) ([]schema.Attr, Reason, bool) {
	return v.apply(event, attrs)
}

// ValidFormat reports whether s is a clean value of the string format f as
// it is recorded: its strict shape (a version is SemVer 2.0), within the
// format's length limit, and clean for Detect; a model name is a catalog
// name or schema.ModelCustom. Enum values are not a format: use the
// event's Field.Allows.
func ValidFormat(f schema.Format, s string) bool {
	maxLen := schema.MaxStringLen
	switch f {
	case schema.FormatVersion:
		maxLen = schema.MaxVersionLen
	case schema.FormatModelName:
		return s == schema.ModelCustom || schema.IsCatalogModel(s)
	case schema.FormatEnum:
		return false
	}
	return len(s) <= maxLen && formatOK(f, s) && Detect(s) == ReasonNone
}

// apply is Apply that also reports whether it changed anything (dropped or
// truncated a field), so that the SDK face rewrites a record only then.
func (v *Validator) apply(event string, attrs []schema.Attr) ([]schema.Attr, Reason, bool) {
	ev := lookupEvent(event)
	if ev == nil {
		return v.reject(attrs, ReasonUnknownEvent)
	}
	var seen uint64
	dropped := 0
	changed := false
	n := 0    // attrs[:n] holds the kept fields
	next := 0 // fields usually arrive in schema order: try the next one first
	for i := range attrs {
		a := &attrs[i]
		fi := ev.index(a.Key, next)
		if fi < 0 {
			dropped++
			continue
		}
		next = fi + 1
		f := &ev.fields[fi]
		r, truncated := f.check(&a.Value)
		if r != ReasonNone {
			return v.reject(attrs, r)
		}
		if seen&f.bit != 0 {
			dropped++ // duplicate key: checked above, first value kept
			continue
		}
		seen |= f.bit
		changed = changed || truncated
		if n != i {
			attrs[n] = *a
		}
		n++
	}
	if seen&ev.required != ev.required {
		return v.reject(attrs, ReasonMissingRequired)
	}
	out := attrs[:n]
	clear(attrs[n:]) // the dropped fields' values
	if dropped > 0 {
		v.dropped.Add(int64(dropped))
		changed = true
	}
	return out, ReasonNone, changed
}

func (v *Validator) reject(attrs []schema.Attr, r Reason) ([]schema.Attr, Reason, bool) {
	clear(attrs)
	v.count(r)
	return nil, r, false
}

func (v *Validator) count(r Reason) {
	if r > ReasonNone && r < numReasons {
		v.rejected[r].Add(1)
	}
}

func isResourceKey(k string) bool {
	for _, allowed := range resourceKeys {
		if k == allowed {
			return true
		}
	}
	return false
}

var resourceKeys = schema.ResourceKeys()

// checkResourceAttrs reports ReasonResource when attrs holds a key other
// than schema.ResourceKeys() or a value that is not clean, without counting:
// the SDK face caches its verdict per resource. Values must be strings that
// Detect finds clean (service.name=caro, service.version=1.1.0), and
// service.version a SemVer version, as caro_version is.
func checkResourceAttrs(attrs []schema.Attr) Reason {
	for _, a := range attrs {
		if !isResourceKey(a.Key) || a.Value.Type != schema.TypeString ||
			len(a.Value.Str) > schema.MaxStringLen || Detect(a.Value.Str) != ReasonNone ||
			(a.Key == schema.ResourceServiceVersion && !isSemVer(a.Value.Str)) {
			return ReasonResource
		}
	}
	return ReasonNone
}

// Counts returns how many events were rejected, by reason name (Reason
// String), and how many fields were dropped, under DroppedField. Only
// non-zero counts are present. The map is a snapshot owned by the caller.
func (v *Validator) Counts() map[string]int64 {
	out := make(map[string]int64)
	for r := ReasonNone + 1; r < numReasons; r++ {
		if n := v.rejected[r].Load(); n != 0 {
			out[r.String()] = n
		}
	}
	if n := v.dropped.Load(); n != 0 {
		out[DroppedField] = n
	}
	return out
}

// --- the schema, compiled for the hot path ---

type event struct {
	name     string
	fields   []field
	required uint64
}

// field is a schema.Field flattened into what the checks read, so that the
// hot loop touches one contiguous table.
type field struct {
	key              string
	typ              schema.Type
	format           schema.Format
	maxLen           int
	maxItems         int
	bit              uint64
	minInt, maxInt   int64
	minFloat, maxFlt float64
	// enumByLen buckets the enum domain by length, so that a lookup compares
	// a value with the few domain values of its length only.
	enumByLen [][]string
}

// events is derived once from the schema, which never changes after init.
var events = compile()

func compile() []event {
	defs := schema.Events()
	out := make([]event, len(defs))
	for i, d := range defs {
		if len(d.Fields) > 64 {
			panic("redaction: more than 64 fields in event " + d.Name)
		}
		e := event{name: d.Name, fields: make([]field, len(d.Fields))}
		for j := range d.Fields {
			f := &d.Fields[j]
			ef := field{
				key: f.Key, typ: f.Type, format: f.Format, maxLen: f.MaxLen, maxItems: f.MaxItems, bit: 1 << j,
				minInt: int64(f.Min), maxInt: int64(f.Max), minFloat: f.Min, maxFlt: f.Max,
			}
			for _, v := range f.Enum {
				for len(ef.enumByLen) <= len(v) {
					ef.enumByLen = append(ef.enumByLen, nil)
				}
				ef.enumByLen[len(v)] = append(ef.enumByLen[len(v)], v)
			}
			if f.Required {
				e.required |= 1 << j
			}
			e.fields[j] = ef
		}
		out[i] = e
	}
	return out
}

func lookupEvent(name string) *event {
	for i := range events {
		if events[i].name == name {
			return &events[i]
		}
	}
	return nil
}

// index returns the position of key among the event's fields, or -1. It
// tries position hint first.
func (e *event) index(key string, hint int) int {
	if hint < len(e.fields) && e.fields[hint].key == key {
		return hint
	}
	for i := range e.fields {
		if e.fields[i].key == key {
			return i
		}
	}
	return -1
}

// check validates one value against its field, truncating it in place where
// the schema allows, and reports whether it did.
func (f *field) check(val *schema.Value) (Reason, bool) {
	if val.Type != f.typ {
		switch val.Type {
		case schema.TypeString:
			if r := Detect(val.Str); r != ReasonNone {
				return r, false
			}
		case schema.TypeStringList:
			for _, s := range val.List {
				if r := Detect(s); r != ReasonNone {
					return r, false
				}
			}
		}
		return ReasonType, false
	}
	switch f.typ {
	case schema.TypeBool:
		return ReasonNone, false
	case schema.TypeInt:
		if val.Int < f.minInt || val.Int > f.maxInt {
			return ReasonRange, false
		}
		return ReasonNone, false
	case schema.TypeFloat:
		x := val.Float
		if math.IsNaN(x) || math.IsInf(x, 0) || x < f.minFloat || x > f.maxFlt {
			return ReasonRange, false
		}
		return ReasonNone, false
	case schema.TypeString:
		return f.checkString(val)
	case schema.TypeStringList:
		return f.checkList(val.List), false
	}
	return ReasonType, false
}

// checkList checks every item of a string list like a string of the
// field's format; an item is never truncated, and too many items or an
// empty list reject the event.
func (f *field) checkList(items []string) Reason {
	if len(items) == 0 || len(items) > f.maxItems {
		return ReasonFormat
	}
	shape := ReasonNone
	for i := range items {
		v := schema.String(items[i])
		r, truncated := f.checkString(&v)
		switch {
		case truncated || r == ReasonFormat || r == ReasonEnum:
			if shape == ReasonNone {
				shape = ReasonFormat
				if r == ReasonEnum {
					shape = r
				}
			}
		case r != ReasonNone:
			return r // a sensitive reason in any item wins over a shape one
		}
	}
	return shape
}

func (f *field) checkString(val *schema.Value) (Reason, bool) {
	s := val.Str
	if f.format == schema.FormatEnum {
		if len(s) < len(f.enumByLen) {
			for _, e := range f.enumByLen[len(s)] {
				if s[0] == e[0] && s == e {
					return ReasonNone, false // enum values are verified clean by the tests
				}
			}
		}
		if r := Detect(s); r != ReasonNone {
			return r, false
		}
		return ReasonEnum, false
	}
	if f.format == schema.FormatModelName {
		return checkModel(val)
	}
	// The format check comes first because it is cheap and, for session ids
	// and UUIDs, sufficient: a value of those exact shapes (lower-case hex
	// and dashes) cannot match any detector. A value that fails its format
	// is still scanned, so that a sensitive reason wins over ReasonFormat.
	if !formatOK(f.format, s) {
		if r := Detect(s); r != ReasonNone {
			return r, false
		}
		return ReasonFormat, false
	}
	if f.format != schema.FormatSessionID && f.format != schema.FormatUUID && f.format != schema.FormatRecordUID {
		if r := Detect(s); r != ReasonNone {
			return r, false
		}
	}
	if f.maxLen > 0 && len(s) > f.maxLen {
		if f.format != schema.FormatVersion {
			return ReasonFormat, false
		}
		s = shortenVersion(s, f.maxLen)
		// A prefix can match what the whole did not (1.2.3.4567 -> 1.2.3.45),
		// so it is checked again.
		if !formatOK(f.format, s) {
			return ReasonFormat, false
		}
		if r := Detect(s); r != ReasonNone {
			return r, false
		}
		val.Str = strings.Clone(s) // do not pin the cut-off rest in memory
		return ReasonNone, true
	}
	return ReasonNone, false
}

// shortenVersion cuts a SemVer version to maxLen characters: first its
// build metadata (+...), which SemVer ignores for precedence, then the end
// of its pre-release, and a '.' left at the end. Versions are ASCII, so
// cutting bytes cuts characters. The caller checks the result again.
func shortenVersion(s string, maxLen int) string {
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	if len(s) > maxLen {
		s = strings.TrimSuffix(s[:maxLen], ".")
	}
	return s
}

// checkModel records a model name as its catalog name, or as
// schema.ModelCustom when the catalog does not have it, so that no name a
// user made up is kept. A recorded value (a catalog name, custom) passes
// with one map lookup. Anything else is scanned first: a model name that
// Detect flags rejects the event like any sensitive value.
func checkModel(val *schema.Value) (Reason, bool) {
	s := val.Str
	if s == schema.ModelCustom || schema.IsCatalogModel(s) {
		return ReasonNone, false
	}
	if r := Detect(s); r != ReasonNone {
		return r, false
	}
	m, ok := schema.CatalogModel(s)
	if !ok {
		m = schema.ModelCustom
	}
	val.Str = m
	return ReasonNone, true
}

// formatOK is the strict shape of each string format. An unknown format
// fails, so that a format added to the schema is rejected until it is
// handled here.
func formatOK(f schema.Format, s string) bool {
	if s == "" {
		return false
	}
	switch f {
	case schema.FormatVersion:
		return isSemVer(s)
	case schema.FormatModelName:
		return s == schema.ModelCustom || schema.IsCatalogModel(s)
	case schema.FormatSessionID:
		return len(s) == 16 && isLowerHex(s)
	case schema.FormatUUID:
		if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' ||
			s[14] != '4' || (s[19] != '8' && s[19] != '9' && s[19] != 'a' && s[19] != 'b') {
			return false
		}
		return isLowerHex(s[:8]) && isLowerHex(s[9:13]) && isLowerHex(s[14:18]) &&
			isLowerHex(s[19:23]) && isLowerHex(s[24:])
	case schema.FormatRecordUID:
		// Any version and variant: the shape alone keeps content out.
		if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return false
		}
		return isLowerHex(s[:8]) && isLowerHex(s[9:13]) && isLowerHex(s[14:18]) &&
			isLowerHex(s[19:23]) && isLowerHex(s[24:])
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

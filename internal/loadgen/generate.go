package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"caro.sh/telemetry/schema"
)

// Record is one generated event: its name, time and flattened fields, in
// schema order, with log.record.uid last (and, for an UnknownField
// record, the undeclared field after it). Hostile says how it was spoiled,
// Clean for a valid event.
type Record struct {
	Event   string
	Time    time.Time
	Attrs   []schema.Attr
	Hostile Hostility
}

// Batch is the content of one request: the sessions of one client, all of
// one Caro version, which is also the resource's service.version.
type Batch struct {
	Index   uint64
	Version string
	Records []Record
}

// Hostiles counts the batch's hostile records.
func (b *Batch) Hostiles() int {
	n := 0
	for i := range b.Records {
		if b.Records[i].Hostile != Clean {
			n++
		}
	}
	return n
}

// Generator makes the batches of a run. Batch n depends only on the
// generator's settings and n, never on the order in which workers ask, so
// that a run with the same seed and epoch sends the same bodies.
//
// A Generator is immutable and safe for concurrent use.
type Generator struct {
	seed     uint64
	epoch    time.Time
	sessions int
	hostile  float64
	events   []*schema.Event
}

// NewGenerator returns a generator of batches of sessions sessions each,
// with a fraction hostile of hostile records (0 to 1), timed shortly
// before epoch, drawn from seed.
func NewGenerator(seed uint64, epoch time.Time, sessions int, hostile float64) (*Generator, error) {
	if sessions < 1 {
		return nil, fmt.Errorf("sessions per request %d: want at least 1", sessions)
	}
	if math.IsNaN(hostile) || hostile < 0 || hostile > 1 {
		return nil, fmt.Errorf("hostile fraction %v: want 0 to 1", hostile)
	}
	g := &Generator{seed: seed, epoch: epoch, sessions: sessions, hostile: hostile}
	for _, e := range schema.Events() {
		if !e.Control { // deletion.request is an instruction, not telemetry
			g.events = append(g.events, e)
		}
	}
	return g, nil
}

// RecordsPerBatch is the number of records of every batch: one per
// telemetry event of the schema per session.
func (g *Generator) RecordsPerBatch() int { return g.sessions * len(g.events) }

// Batch returns batch n.
//
// Its hostile records are exactly those that make the hostile fraction
// hold over every prefix of the run: batch n holds
// floor(f·(n+1)·R) − floor(f·n·R) of them (R records per batch), at
// positions drawn at random, so a run of any length has floor(f·total).
func (g *Generator) Batch(n uint64) *Batch {
	rng := rand.New(rand.NewPCG(g.seed, n))
	per := g.RecordsPerBatch()
	b := &Batch{Index: n, Version: version(rng), Records: make([]Record, 0, per)}
	for range g.sessions {
		b.Records = g.session(rng, b.Version, b.Records)
	}
	first := float64(n) * float64(per)
	h := int(math.Floor(g.hostile*(first+float64(per))) - math.Floor(g.hostile*first))
	for _, i := range rng.Perm(per)[:h] {
		spoil(rng, &b.Records[i])
	}
	return b
}

// session appends the records of one session: every telemetry event of
// the schema, in the schema's order, every field set.
func (g *Generator) session(rng *rand.Rand, ver string, out []Record) []Record {
	sid, gid := schema.String(hex(rng, 16)), schema.String(uuid4(rng))
	// Times: a session that started up to an hour before the epoch, its
	// events a few seconds apart, all before the epoch.
	t := g.epoch.Add(-time.Duration(60+rng.IntN(3540)) * time.Second).
		Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
	for _, e := range g.events {
		t = t.Add(time.Duration(50+rng.IntN(5000)) * time.Millisecond)
		attrs := make([]schema.Attr, 0, len(e.Fields))
		for i := range e.Fields {
			f := &e.Fields[i]
			var v schema.Value
			switch {
			case f.Key == schema.KeySessionID:
				v = sid
			case f.Key == schema.KeyGenerationID:
				v = gid
			case f.Transport:
				v = schema.String(uuid7(rng, t))
			case f.Format == schema.FormatVersion:
				v = schema.String(ver)
			default:
				v = value(rng, f)
			}
			attrs = append(attrs, schema.Attr{Key: f.Key, Value: v})
		}
		matchErrorCode(attrs, e)
		out = append(out, Record{Event: e.Name, Time: t, Attrs: attrs})
	}
	return out
}

// value draws a valid value of a field from its schema definition.
func value(rng *rand.Rand, f *schema.Field) schema.Value {
	switch f.Type {
	case schema.TypeBool:
		return schema.Bool(rng.IntN(2) == 1)
	case schema.TypeInt:
		return schema.Int(intIn(rng, int64(f.Min), int64(f.Max)))
	case schema.TypeFloat:
		return schema.Float(f.Min + rng.Float64()*(f.Max-f.Min))
	case schema.TypeStringList:
		l := make([]string, 1+rng.IntN(min(f.MaxItems, 3)))
		for i := range l {
			l[i] = formatted(rng, f)
		}
		return schema.StringList(l)
	}
	return schema.String(formatted(rng, f))
}

// intIn draws from [lo, hi]: mostly small values, as counts and durations
// are, sometimes anywhere in the range, sometimes its bounds.
func intIn(rng *rand.Rand, lo, hi int64) int64 {
	switch r := rng.IntN(32); {
	case r == 0:
		return lo
	case r == 1:
		return hi
	case r < 6:
		return lo + rng.Int64N(hi-lo+1)
	}
	return lo + rng.Int64N(min(hi-lo, 5000)+1)
}

// formatted draws a string of the field's format.
func formatted(rng *rand.Rand, f *schema.Field) string {
	switch f.Format {
	case schema.FormatEnum:
		return f.Enum[rng.IntN(len(f.Enum))]
	case schema.FormatVersion:
		return version(rng)
	case schema.FormatModelName:
		return modelNames[rng.IntN(len(modelNames))]
	case schema.FormatSessionID:
		return hex(rng, 16)
	case schema.FormatUUID:
		return uuid4(rng)
	case schema.FormatRecordUID:
		return uuid7(rng, time.UnixMilli(rng.Int64N(1<<47)))
	}
	panic(fmt.Sprintf("loadgen: no generator for the format %v of %s", f.Format, f.Key))
}

// modelNames are what model_name may hold: the catalog's public names
// and "custom" (schema.CatalogModel).
var modelNames = append(schema.Models(), schema.ModelCustom)

// matchErrorCode makes an event's error code the code of its error
// category (schema.CodeOf), when the event has both: the fields are found
// by their enum domains, so the rule follows the schema.
func matchErrorCode(attrs []schema.Attr, e *schema.Event) {
	cat, code := -1, -1
	for i := range attrs {
		f, ok := e.Field(attrs[i].Key)
		switch {
		case !ok || f.Format != schema.FormatEnum:
		case slices.Equal(f.Enum, errorCategories):
			cat = i
		case slices.Equal(f.Enum, errorCodes):
			code = i
		}
	}
	if cat >= 0 && code >= 0 {
		attrs[code].Value = schema.String(string(schema.CodeOf(schema.ErrorCategory(attrs[cat].Value.Str))))
	}
}

var errorCategories, errorCodes = strs(schema.ErrorCategories()), strs(schema.ErrorCodes())

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// version draws a release version: 1.minor.patch, now and then a
// pre-release.
func version(rng *rand.Rand) string {
	v := fmt.Sprintf("1.%d.%d", rng.IntN(8), rng.IntN(12))
	if rng.IntN(8) == 0 {
		v += fmt.Sprintf("-beta.%d", 1+rng.IntN(4))
	}
	return v
}

const hexDigits = "0123456789abcdef"

func hex(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[rng.IntN(16)]
	}
	return string(b)
}

// uuid4 is a random UUID v4 drawn from rng (the generation ids).
func uuid4(rng *rand.Rand) string {
	var u [16]byte
	fill(rng, u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return uuidString(u)
}

// uuid7 is a UUID v7 of time t with random bits from rng, the shape of
// the spool's event ids that the upload sends as log.record.uid.
func uuid7(rng *rand.Rand, t time.Time) string {
	var u [16]byte
	fill(rng, u[6:])
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return uuidString(u)
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

func uuidString(u [16]byte) string {
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

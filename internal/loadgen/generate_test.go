package loadgen

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

var epoch = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func generator(t testing.TB, seed uint64, sessions int, hostile float64) *Generator {
	t.Helper()
	g, err := NewGenerator(seed, epoch, sessions, hostile)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// validate runs a record through the redaction core, as the collector's
// caro_redaction does, on a copy of its fields.
func validate(r Record) ([]schema.Attr, redaction.Reason, bool) {
	return redaction.New().ApplyChanged(r.Event, slices.Clone(r.Attrs))
}

func telemetryEvents() []*schema.Event {
	var out []*schema.Event
	for _, e := range schema.Events() {
		if !e.Control {
			out = append(out, e)
		}
	}
	return out
}

func TestEverySessionHasEveryTelemetryEventWithEveryFieldValidAndUnchanged(t *testing.T) {
	events := telemetryEvents()
	if len(events) != 6 {
		t.Fatalf("the schema has %d telemetry events, the generator's sessions assume six", len(events))
	}
	g := generator(t, 7, DefaultSessions, 0)
	seenEnum := map[string]map[string]bool{} // event.field -> values drawn
	for n := range uint64(20) {
		b := g.Batch(n)
		if len(b.Records) != DefaultSessions*len(events) || g.RecordsPerBatch() != len(b.Records) {
			t.Fatalf("batch %d has %d records, want %d", n, len(b.Records), DefaultSessions*len(events))
		}
		for i, r := range b.Records {
			e := events[i%len(events)]
			if r.Event != e.Name || r.Hostile != Clean {
				t.Fatalf("record %d is %s (%v), want clean %s", i, r.Event, r.Hostile, e.Name)
			}
			if !r.Time.Before(epoch) || r.Time.Before(epoch.Add(-2*time.Hour)) {
				t.Errorf("%s at %v, want within the hour before the epoch", r.Event, r.Time)
			}
			var keys []string
			for _, a := range r.Attrs {
				keys = append(keys, a.Key)
				if f, _ := e.Field(a.Key); f.Format == schema.FormatEnum {
					k := e.Name + "." + a.Key
					if seenEnum[k] == nil {
						seenEnum[k] = map[string]bool{}
					}
					seenEnum[k][a.Value.Str] = true
				}
			}
			var want []string
			for _, f := range e.Fields {
				want = append(want, f.Key)
			}
			if !slices.Equal(keys, want) {
				t.Fatalf("%s has fields %v, want every field of the schema %v", e.Name, keys, want)
			}
			out, reason, changed := validate(r)
			if reason != redaction.ReasonNone || changed || !reflect.DeepEqual(out, r.Attrs) {
				t.Fatalf("the validator %v (changed %v) a clean %s: %+v", reason, changed, r.Event, r.Attrs)
			}
		}
	}
	// Every value of every enum domain is drawn over 20 batches (660
	// sessions): the values come from the schema, not from a list here.
	for _, e := range events {
		for _, f := range e.Fields {
			if f.Format != schema.FormatEnum {
				continue
			}
			if got := seenEnum[e.Name+"."+f.Key]; len(got) != len(f.Enum) {
				t.Errorf("%s.%s: drew %d of the %d values of its domain", e.Name, f.Key, len(got), len(f.Enum))
			}
		}
	}
}

func TestFieldsThatBelongTogetherAgree(t *testing.T) {
	b := generator(t, 11, 50, 0).Batch(0)
	events := telemetryEvents()
	per := len(events)
	for s := 0; s < len(b.Records)/per; s++ {
		sess := b.Records[s*per : (s+1)*per]
		get := func(r Record, key string) schema.Value {
			for _, a := range r.Attrs {
				if a.Key == key {
					return a.Value
				}
			}
			return schema.Value{}
		}
		sid := get(sess[0], schema.KeySessionID).Str
		gen := ""
		uids := map[string]bool{}
		for i, r := range sess {
			if got := get(r, schema.KeySessionID).Str; got != sid {
				t.Fatalf("session %d: %s has session id %s, want %s", s, r.Event, got, sid)
			}
			if g := get(r, schema.KeyGenerationID); g.Str != "" {
				if gen != "" && g.Str != gen {
					t.Fatalf("session %d: generation ids %s and %s", s, gen, g.Str)
				}
				gen = g.Str
			}
			uids[get(r, schema.KeyRecordUID).Str] = true
			if i > 0 && !r.Time.After(sess[i-1].Time) {
				t.Fatalf("session %d: %s not after %s", s, r.Event, sess[i-1].Event)
			}
			if r.Event == schema.EventSessionStart {
				if v := get(r, "caro_version").Str; v != b.Version {
					t.Errorf("caro_version %s in a batch of version %s", v, b.Version)
				}
			}
			if r.Event == schema.EventErrorOccurred {
				cat := schema.ErrorCategory(get(r, "error_category").Str)
				if code := get(r, "error_code").Str; code != string(schema.CodeOf(cat)) {
					t.Errorf("error_code %s for category %s, want %s", code, cat, schema.CodeOf(cat))
				}
			}
		}
		if len(uids) != per {
			t.Fatalf("session %d: %d distinct log.record.uid for %d records", s, len(uids), per)
		}
	}
}

func TestHostileRecordsAreRejectedForWhatTheyHoldOrLoseTheirUndeclaredField(t *testing.T) {
	want := map[Hostility]redaction.Reason{
		HostilePath: redaction.ReasonPath, HostileSecret: redaction.ReasonSecret, HostileEmail: redaction.ReasonEmail,
		HostileIP: redaction.ReasonIP, HostileURL: redaction.ReasonURL, HostileCommand: redaction.ReasonCommand,
		HostileUnknownField: redaction.ReasonNone,
	}
	if len(want) != len(Hostilities()) {
		t.Fatalf("the test knows %d kinds, there are %d", len(want), len(Hostilities()))
	}
	seen := map[Hostility]int{}
	g := generator(t, 3, 10, 1)
	for n := range uint64(20) {
		for _, r := range g.Batch(n).Records {
			seen[r.Hostile]++
			out, reason, changed := validate(r)
			if reason != want[r.Hostile] {
				t.Fatalf("a %v record of %s: validator says %v, want %v: %+v", r.Hostile, r.Event, reason, want[r.Hostile], r.Attrs)
			}
			if r.Hostile != HostileUnknownField {
				continue
			}
			extra := r.Attrs[len(r.Attrs)-1]
			if _, declared := mustLookup(t, r.Event).Field(extra.Key); declared {
				t.Fatalf("the undeclared field %s is declared by %s", extra.Key, r.Event)
			}
			if !changed || !reflect.DeepEqual(out, r.Attrs[:len(r.Attrs)-1]) {
				t.Fatalf("%s with %s=%q: kept %+v, want every field but that one", r.Event, extra.Key, extra.Value.Str, out)
			}
		}
	}
	for _, h := range Hostilities() {
		if seen[h] < 50 {
			t.Errorf("%v: %d of %d records, want about 1/%d", h, seen[h], 20*10*6, len(want))
		}
	}
	if seen[Clean] != 0 {
		t.Errorf("%d clean records at a hostile fraction of 1", seen[Clean])
	}
}

func mustLookup(t *testing.T, name string) *schema.Event {
	t.Helper()
	e, ok := schema.Lookup(name)
	if !ok {
		t.Fatalf("no event %s", name)
	}
	return e
}

func TestTheHostileFractionHoldsExactlyOverAnyNumberOfRequests(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fraction float64
		sessions int
	}{
		{"no hostile record at 0", 0, 33},
		{"one in a hundred", 0.01, 33},
		{"five in a hundred with one session per request", 0.05, 1},
		{"a third", 1.0 / 3, 7},
		{"every record at 1", 1, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := generator(t, 5, tc.sessions, tc.fraction)
			var total, hostile, spoiled int
			for n := range uint64(40) {
				for _, r := range g.Batch(n).Records {
					total++
					if r.Hostile != Clean {
						hostile++
					}
					// What the collector sees, not the label: rejected or
					// changed by the validator.
					if _, reason, changed := validate(r); reason != redaction.ReasonNone || changed {
						spoiled++
					}
				}
				if want := int(math.Floor(tc.fraction * float64(total))); hostile != want {
					t.Fatalf("after %d requests: %d hostile of %d records, want %d", n+1, hostile, total, want)
				}
			}
			if spoiled != hostile {
				t.Errorf("the validator rejected or scrubbed %d records, %d are hostile", spoiled, hostile)
			}
		})
	}
}

func TestABatchDependsOnlyOnTheSeedTheEpochAndItsIndex(t *testing.T) {
	a, b := generator(t, 42, 33, 0.1), generator(t, 42, 33, 0.1)
	body := func(g *Generator, n uint64) string {
		raw, err := g.Batch(n).Body()
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	// b asks in another order, as workers do.
	want := map[uint64]string{}
	for n := range uint64(5) {
		want[n] = body(a, n)
	}
	for n := uint64(5); n > 0; n-- {
		if body(b, n-1) != want[n-1] {
			t.Fatalf("batch %d differs between two generators of the same seed", n-1)
		}
	}
	if body(generator(t, 43, 33, 0.1), 0) == want[0] {
		t.Error("another seed gives the same batch")
	}
	if body(a, 1) == want[0] {
		t.Error("two batches of one run are the same")
	}
	other, err := NewGenerator(42, epoch.Add(time.Second), 33, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if body(other, 0) == want[0] {
		t.Error("another epoch gives the same batch")
	}
}

func TestAGeneratorRefusesImpossibleSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sessions int
		hostile  float64
	}{
		{"no session per request", 0, 0},
		{"a negative fraction", 1, -0.1},
		{"a fraction above one", 1, 1.5},
		{"no number", 1, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewGenerator(1, epoch, tc.sessions, tc.hostile); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func BenchmarkBatchBody(b *testing.B) {
	g := generator(b, 1, DefaultSessions, 0.05)
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		if _, err := g.Batch(n).Body(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*uint64(g.RecordsPerBatch())), "ns/record")
}

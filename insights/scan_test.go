package insights

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// variedEvents are n sessions of random events over the 16 days from 8
// November 2026, with the odd cases the facts must agree on: fields
// missing or empty, sessions with two starts or none, events before their
// session's start and past midnight, strays without a session, blocks of
// generations generated or not, executions after the window.
func variedEvents(n int, seed uint64) []store.Event {
	r := rand.New(rand.NewPCG(seed, 1))
	var evs []store.Event
	str := func(key string, vals ...string) []schema.Attr {
		// One of vals, or (one time in eight) no field at all.
		if r.IntN(8) == 0 {
			return nil
		}
		return []schema.Attr{{Key: key, Value: schema.String(vals[r.IntN(len(vals))])}}
	}
	num := func(key string, max int) []schema.Attr {
		if r.IntN(8) == 0 {
			return nil
		}
		return []schema.Attr{{Key: key, Value: schema.Int(int64(r.IntN(max)))}}
	}
	flag := func(key string) []schema.Attr {
		if r.IntN(8) == 0 {
			return nil
		}
		return []schema.Attr{{Key: key, Value: schema.Bool(r.IntN(2) == 0)}}
	}
	add := func(name string, t time.Time, attrs ...[]schema.Attr) {
		var all []schema.Attr
		for _, a := range attrs {
			all = append(all, a...)
		}
		evs = append(evs, store.Event{UID: fmt.Sprintf("00000000-0000-7000-8000-%012x", len(evs)+1), Name: name, Time: t, Attrs: all})
	}
	start := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
	backends := []string{"ollama", "vllm", "embedded-mlx", ""}
	var gids []string
	for i := range n {
		t0 := start.Add(time.Duration(r.Int64N(int64(16 * 24 * time.Hour))))
		// A few sessions around midnight, some lasting past it.
		if r.IntN(6) == 0 {
			t0 = time.Date(2026, 11, 9+r.IntN(14), 23, 59, 58, 0, time.UTC)
		}
		ts := func() time.Time { return t0.Add(time.Duration(r.IntN(5000)) * time.Millisecond) }
		id := fmt.Sprintf("%016x", i%(n-n/10))
		if i%7 == 0 {
			id = fmt.Sprintf("S%d", i%(n-n/10)) // not in the canonical form
		}
		sid := []schema.Attr{{Key: schema.KeySessionID, Value: schema.String(id)}}
		if r.IntN(20) == 0 {
			sid = nil // a stray
		}
		starts := 1
		switch r.IntN(10) {
		case 0:
			starts = 0
		case 1:
			starts = 2
		}
		for range starts {
			add(schema.EventSessionStart, ts(), sid, str(schema.KeyBackendPrimary, backends...),
				str(schema.KeyPlatformOS, "macos", "linux", "", "a|b"), str(schema.KeyPlatformArch, "x86_64", "aarch64"),
				str(schema.KeyPlatformShell, "zsh", "bash", ""), flag(schema.KeyIsFirstRun),
				str(schema.KeySafetyLevel, "strict", "moderate"), str(schema.KeyOutputFormat, "plain", "json"),
				flag(schema.KeyFallbackEnabled))
		}
		for range r.IntN(4) {
			gid := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(gids))
			if len(gids)%9 == 0 {
				gid = fmt.Sprintf("G%d", len(gids))
			}
			gids = append(gids, gid)
			g := []schema.Attr{{Key: schema.KeyGenerationID, Value: schema.String(gid)}}
			if r.IntN(10) == 0 {
				g = nil
			}
			if r.IntN(10) != 0 { // some blocked generations were never stored
				add(schema.EventCommandGenerated, ts(), sid, g, str(schema.KeyBackendUsed, backends...),
					num(schema.KeyInferenceTimeMs, 40), str(schema.KeyModelName, "qwen2.5-coder:7b", "custom"))
			}
			switch r.IntN(4) {
			case 0:
				add(schema.EventSafetyTriggered, ts(), sid, g, str(schema.KeyActionTaken, "blocked", "warned"),
					str(schema.KeyRiskLevel, "high", "critical"), flag(schema.KeyUserOverride))
			case 1, 2:
				t := ts()
				if r.IntN(10) == 0 {
					t = t.Add(time.Duration(r.IntN(10)) * 24 * time.Hour) // executed days later
				}
				add(schema.EventCommandExecuted, t, sid, g, str(schema.KeyExecutionMode, "confirmed", "auto"),
					flag(schema.KeyModifiedBeforeExecution))
			}
		}
		if r.IntN(3) == 0 {
			add(schema.EventErrorOccurred, ts(), sid, str(schema.KeyErrorCategory, "backend_timeout", "io_error"),
				str(schema.KeyComponent, "inference", "cli"), str(schema.KeyBackend, backends...))
		}
		if r.IntN(5) != 0 {
			add(schema.EventSessionEnd, ts(), sid, num(schema.KeyTimeToFirstCommandMs, 30),
				num(schema.KeyRetries, 3), num(schema.KeyCommandsExecuted, 3))
		}
	}
	return evs
}

// factTotals sums facts by all but their count, as dayRows does: the SQL
// may give one fact in several rows (a NULL and an empty backend are two
// groups there, both "unknown").
func factTotals(fs []fact) map[fact]int64 {
	out := map[fact]int64{}
	for _, f := range fs {
		n := f.N
		f.N = 0
		out[f] += n
	}
	return out
}

func TestScanFactsEqualTheFactsSQL(t *testing.T) {
	evs := variedEvents(3000, 47)
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			opts := b.opts(t)
			opts.Now = func() time.Time { return now }
			s, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if res, err := s.Append(ctx, evs); err != nil || res.Stored != len(evs) {
				t.Fatalf("stored %+v of %d events: %v", res, len(evs), err)
			}
			windows := []struct {
				name     string
				from, to time.Time
			}{
				{"the week", w47, w47.AddDate(0, 0, 7)},
				{"the week before", w47.AddDate(0, 0, -7), w47},
				{"one day", w47.AddDate(0, 0, 2), w47.AddDate(0, 0, 3)},
				{"from noon to noon", w47.Add(12 * time.Hour), w47.Add(60 * time.Hour)},
			}
			wants := make([]map[fact]int64, len(windows))
			var all []window
			for i, w := range windows {
				want, err := sqlFacts(ctx, s, w.from, w.to)
				if err != nil {
					t.Fatal(err)
				}
				if wants[i] = factTotals(want); len(wants[i]) < 200 {
					t.Fatalf("%s: only %d facts, the store is not varied enough", w.name, len(wants[i]))
				}
				all = append(all, window{w.from, w.to})
			}
			// SQLite's walk, in chunks of 1,000 rowids (the events arrived
			// in no order of time), and the index; each window alone, and
			// all at once (overlapping: a walk hands a row to each).
			plans := []string{"index", "walk"}
			if b.name == "postgres" {
				plans = []string{""} // PostgreSQL reads by day and type only
			}
			for _, plan := range plans {
				scanPlan, walkChunk = plan, 1000
				var gots [][]fact
				for _, w := range windows {
					got, err := scanFacts(ctx, s, w.from, w.to)
					if err != nil {
						t.Fatal(err)
					}
					gots = append(gots, got)
				}
				together, err := scanWindows(ctx, s, all)
				scanPlan, walkChunk = "", 250_000
				if err != nil {
					t.Fatal(err)
				}
				gots = append(gots, together...)
				for j, got := range gots {
					i, how := j%len(windows), "alone"
					if j >= len(windows) {
						how = "with the others"
					}
					wantN, gotN := wants[i], factTotals(got)
					for f, n := range wantN {
						if gotN[f] != n {
							t.Errorf("%s (%s), plan %q: %+v counts %d, the SQL's %d", windows[i].name, how, plan, f, gotN[f], n)
						}
					}
					for f, n := range gotN {
						if _, ok := wantN[f]; !ok {
							t.Errorf("%s (%s), plan %q: %+v counts %d, the SQL has no such fact", windows[i].name, how, plan, f, n)
						}
					}
				}
			}
		})
	}
}

func TestEveryIDHasItsOwnKey(t *testing.T) {
	list := []string{
		"0123456789abcdef", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcde",
		"00000000-0000-0000-0123-456789abcdef", "00000000-0000-4000-8000-000000000001",
		"00000000-0000-4000-8000-00000000000A", "00000000000040008000000000000001x",
		"00000000-0000-4000-8000+000000000001", "", "S1",
	}
	var x ids
	seen := map[idKey]string{}
	for _, id := range list {
		k := x.key([]byte(id))
		if other, ok := seen[k]; ok {
			t.Errorf("%q and %q have one key %+v", id, other, k)
		}
		seen[k] = id
		if x.key([]byte(id)) != k {
			t.Errorf("%q has two keys", id)
		}
	}
	if k := x.key([]byte("0123456789abcdef")); k.hi != idHex16 || k.lo != 0x0123456789abcdef {
		t.Errorf("a session id's key is %+v", k)
	}
	if k := x.key([]byte("00000000-0000-4000-8000-000000000001")); k.hi != idUUID|0x4000 || k.lo != 0x8000000000000001 {
		t.Errorf("a UUID's key is %+v", k)
	}
}

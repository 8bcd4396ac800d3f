package insights

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/store"
)

// run is one caro run of a generated fleet: its configured choices and
// how its command ran ("" mode: none ran).
type run struct {
	backend, safety, output string
	fallback                bool
	mode                    string
	edited                  bool
}

// appendRuns stores the session.start (and command.executed) of n runs
// like r, spread over the week of w47.
func appendRuns(t *testing.T, s *store.Store, from, n int, r run) {
	t.Helper()
	var evs []store.Event
	add := func(line string) {
		name, ts, attrs, err := event.Decode([]byte(line))
		if err != nil {
			t.Fatalf("decode %s: %v", line, err)
		}
		evs = append(evs, store.Event{UID: event.NameBasedUID([]byte(line)), Name: name, Time: ts, Attrs: attrs})
	}
	for i := from; i < from+n; i++ {
		at := w47.Add(time.Duration(i%7)*24*time.Hour + time.Duration(i)*time.Minute)
		ts := at.Format("2006-01-02T15:04:05.000Z")
		sid := fmt.Sprintf("f%015x", i)
		add(fmt.Sprintf(`{"event":"session.start","timestamp":%q,"session_id":%q,"caro_version":"1.1.0",`+
			`"platform":{"os":"linux","arch":"x86_64","shell":"bash"},"backend_config":{"primary":%q,"fallback_enabled":%t},`+
			`"safety_level":%q,"output_format":%q}`, ts, sid, r.backend, r.fallback, r.safety, r.output))
		if r.mode != "" {
			add(fmt.Sprintf(`{"event":"command.executed","timestamp":%q,"session_id":%q,`+
				`"generation_id":"00000000-0000-4000-8000-%012d","execution_mode":%q,"modified_before_execution":%t}`,
				at.Add(time.Second).Format("2006-01-02T15:04:05.000Z"), sid, i, r.mode, r.edited))
		}
	}
	if res, err := s.Append(context.Background(), evs); err != nil || res.Stored != len(evs) {
		t.Fatalf("stored %+v of %d events: %v", res, len(evs), err)
	}
}

func unusedSignals(t *testing.T, s *store.Store) []string {
	t.Helper()
	r, err := Weekly(context.Background(), s, "2026-W47")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sig := range r.Signals {
		if sig.Name == "Feature unused" {
			if sig.Decision != "Consider deprecation" {
				t.Errorf("%s: decision %q", sig.Detail, sig.Decision)
			}
			out = append(out, sig.Detail)
		}
	}
	return out
}

// TestAFeatureUsedByUnderOnePercentOfSessionsIsUnused: the decision
// framework's "feature unused" fires for each feature that under 1% of a
// week's sessions used, none included, once the week has 100 sessions;
// 1% exactly is used.
func TestAFeatureUsedByUnderOnePercentOfSessionsIsUnused(t *testing.T) {
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			opts := b.opts(t)
			opts.Now = func() time.Time { return now }
			s, err := store.Open(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			usual := run{backend: "static", safety: "moderate", output: "plain", fallback: true, mode: "confirmed"}
			appendRuns(t, s, 0, 99, usual)
			if got := unusedSignals(t, s); len(got) != 0 {
				t.Fatalf("99 sessions fired %q; want nothing under 100 sessions", got)
			}

			appendRuns(t, s, 99, 43, usual)
			appendRuns(t, s, 142, 50, run{backend: "static", safety: "moderate", output: "plain", fallback: true})
			// Sessions 192 to 199: the usual run with one choice changed.
			first := 192
			for _, v := range []struct {
				sessions int
				vary     func(r *run)
			}{
				{2, func(r *run) { r.safety = "strict" }},
				{2, func(r *run) { r.backend = "ollama" }},
				{2, func(r *run) { r.output, r.edited = "yaml", true }},
				{1, func(r *run) { r.output = "json" }},
				{1, func(r *run) { r.mode = "auto_yes" }},
			} {
				r := usual
				v.vary(&r)
				appendRuns(t, s, first, v.sessions, r)
				first += v.sessions
			}

			got := unusedSignals(t, s)
			want := []string{
				"backend:embedded-mlx used by 0.0% of sessions (0 of 200) < 1%",
				"backend:embedded-cpu used by 0.0% of sessions (0 of 200) < 1%",
				"backend:vllm used by 0.0% of sessions (0 of 200) < 1%",
				"safety_level:permissive used by 0.0% of sessions (0 of 200) < 1%",
				"output_format:json used by 0.5% of sessions (1 of 200) < 1%",
				"fallback:off used by 0.0% of sessions (0 of 200) < 1%",
				"execution_mode:auto_yes used by 0.5% of sessions (1 of 200) < 1%",
			}
			if !slices.Equal(got, want) {
				t.Fatalf("signals:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestEveryFeatureTheSQLNamesIsAFeature: the names the facts SQL writes
// are those of Features, so that a feature nobody uses is told apart from
// one the SQL spells otherwise.
func TestEveryFeatureTheSQLNamesIsAFeature(t *testing.T) {
	eachStore(t, func(t *testing.T, s *store.Store) {
		facts, err := rawFacts(context.Background(), s, w47.AddDate(0, 0, -7), w47.AddDate(0, 0, 7))
		if err != nil {
			t.Fatal(err)
		}
		var seen int
		for _, f := range splitFeatures(facts) {
			if f.Name != factFeature {
				continue
			}
			seen++
			if name := segValue(&f, SegmentFeature); !slices.Contains(Features(), name) {
				t.Errorf("the SQL names feature %q, which Features does not list", name)
			}
		}
		if seen == 0 {
			t.Fatal("no feature fact")
		}
	})
}

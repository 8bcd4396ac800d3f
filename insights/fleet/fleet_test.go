package fleet_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"caro.sh/telemetry/insights"
	"caro.sh/telemetry/insights/fleet"
	"caro.sh/telemetry/store"
)

// TestFleetGivesBackItsParameters simulates a fleet with known parameters
// through the real SDK and spools into the collector's store, computes the
// metrics with insights.Compute, and checks that every known parameter
// comes back within 4 standard errors of a binomial proportion
// (sqrt(p(1-p)/n), n the metric's denominator). With the figures below
// (200 users, 14 days, 60% active, one session a day, 15% of them with a
// regeneration) there are about 1,680 sessions and 1,930 commands: 4
// standard errors are about 3.4 points of CSR, 1.6 points of block rate
// and 3.5 points of retry rate. The seed is fixed, so the test is
// deterministic; for a fresh seed it would fail by chance with
// probability below 1e-3 (4 checks at 6e-5). It takes 10 to 20 seconds on
// two cores: each session is a real sdk.Start, spool and Shutdown.
func TestFleetGivesBackItsParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a few thousand sessions")
	}
	ctx := context.Background()
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	p := fleet.Params{
		Users: 200, Days: 14, End: end, Seed: 42,
		Active: 0.6, MeanSessions: 1,
		CSR: 0.83, BlockRate: 0.03, RetryRate: 0.15,
		InferenceErrorRate: 0.02,
	}
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "store.db"), Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	res, err := fleet.Run(ctx, p, filepath.Join(dir, "users"), fleet.Sink{Store: st}, runtime.GOMAXPROCS(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("simulated %d users, %d sessions, %d events in %v", res.Users, res.Sessions, res.Events, time.Since(start).Round(time.Millisecond))
	counts, err := st.CountByType(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stored int64
	for _, n := range counts {
		stored += n
	}
	if stored != int64(res.Events) {
		t.Errorf("the store holds %d events, the simulator delivered %d", stored, res.Events)
	}

	r, err := insights.Compute(ctx, st, end.AddDate(0, 0, -p.Days), end, insights.SegmentNone)
	if err != nil {
		t.Fatal(err)
	}
	sessions, _ := r.Get("retry_rate", "all")
	if int(sessions.Denominator) != res.Sessions {
		t.Errorf("the store holds %d sessions, the simulator ran %d", sessions.Denominator, res.Sessions)
	}
	for _, c := range []struct {
		metric  string
		want    float64
		segment string
	}{
		{"csr", p.CSR, "all"},
		{"safety_block_rate", p.BlockRate, "all"},
		{"retry_rate", p.RetryRate, "all"},
		// A failed generation of ollama is answered by the static table:
		// ollama's own generations / (those + its failures) = 1 - e.
		{"backend_success_rate", 1 - p.InferenceErrorRate, "backend=ollama"},
	} {
		t.Run(c.metric+" comes back within 4 standard errors", func(t *testing.T) {
			m, ok := r.Get(c.metric, c.segment)
			if !ok || !m.OK || m.Denominator == 0 {
				t.Fatalf("%s: no value in %+v", c.metric, m)
			}
			se := math.Sqrt(c.want * (1 - c.want) / float64(m.Denominator))
			z := (m.Value - c.want) / se
			t.Logf("%s = %.4f (%d/%d), true %.4f, SE %.4f, z = %+.2f", c.metric, m.Value, m.Numerator, m.Denominator, c.want, se, z)
			if math.Abs(z) > 4 {
				t.Errorf("%s = %.4f, true %.4f: %.1f standard errors off", c.metric, m.Value, c.want, z)
			}
		})
	}
	// caro never runs a blocked command, and the static table never fails.
	if m, ok := r.Get("false_positive_rate", "all"); !ok || !m.OK || m.Denominator == 0 || m.Numerator != 0 {
		t.Errorf("false_positive_rate = %+v, want blocks and none overridden", m)
	}
	if m, ok := r.Get("backend_success_rate", "backend=static"); !ok || !m.OK || m.Value != 1 {
		t.Errorf("static backend_success_rate = %+v, want 1", m)
	}
	dau, _ := r.Get("dau", "all")
	if want := float64(p.Users) * p.Active; math.Abs(dau.Value-want) > 4*math.Sqrt(float64(p.Users)*p.Active*(1-p.Active)) {
		t.Errorf("DAU = %.1f, want about %.0f", dau.Value, want)
	}
}

// TestFleetFlushesToAnOTLPEndpoint sends a small fleet through upload.Flush
// to a loopback OTLP/HTTP server: every spooled event is posted, gzipped
// protobuf on /v1/logs, and nothing is left pending.
func TestFleetFlushesToAnOTLPEndpoint(t *testing.T) {
	var requests, bodyBytes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/logs" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("unexpected request %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		requests.Add(1)
		bodyBytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	p := fleet.DefaultParams()
	p.Users, p.Days, p.End = 5, 3, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	p.Active, p.MeanSessions = 1, 1
	dir := t.TempDir()
	res, err := fleet.Run(context.Background(), p, dir, fleet.Sink{Endpoint: srv.URL}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != 15 || res.Events == 0 {
		t.Errorf("Run = %+v, want 15 sessions and some events", res)
	}
	// One flush a session, each of them one request (fewer than 200 events).
	if got := requests.Load(); got != int64(res.Sessions) || bodyBytes.Load() == 0 {
		t.Errorf("the server got %d requests (%d bytes), want %d", got, bodyBytes.Load(), res.Sessions)
	}
}

// The fleet holds only what caro can record: its own backends, one
// command run at most a session, blocks never overridden (critical, or
// high at the strict level), inference errors only of a remote backend,
// which the static table then answers. The rates are high so that every
// case shows up.
func TestFleetRecordsOnlyWhatCaroCan(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	p := fleet.Params{
		Users: 40, Days: 10, End: end, Seed: 7,
		Active: 0.8, MeanSessions: 2,
		CSR: 0.5, BlockRate: 0.2, RetryRate: 0.3, InferenceErrorRate: 0.3,
	}
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "store.db"), Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := fleet.Run(ctx, p, filepath.Join(dir, "users"), fleet.Sink{Store: st}, 2); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Pending(ctx, 1<<30) // in the order they were stored
	if err != nil {
		t.Fatal(err)
	}
	field := func(e store.Event, key string) any {
		for _, a := range e.Attrs {
			if a.Key == key {
				return a.Value.Any()
			}
		}
		return nil
	}
	caroBackends := map[any]bool{"static": true, "ollama": true, "vllm": true}
	seen := map[string]int{}
	// Each delivery appends one session, so a session's events are
	// consecutive in the store.
	var primary any
	var generated, executed int64
	blocked, failed := false, false
	for _, e := range evs {
		switch e.Name {
		case "session.start":
			primary, generated, executed, blocked, failed = field(e, "backend_config.primary"), 0, 0, false, false
			if !caroBackends[primary] {
				t.Errorf("a session of backend %v, which caro does not have", primary)
			}
		case "error.occurred":
			seen["inference errors"]++
			if field(e, "backend") == "static" || field(e, "component") != "inference" || field(e, "fallback_attempted") != true {
				t.Errorf("error.occurred %v: caro's static table does not fail, a remote backend falls back to it", e.Attrs)
			}
			failed = true
		case "command.generated":
			generated++
			used := field(e, "backend_used")
			if failed && used != "static" || !failed && used != primary {
				t.Errorf("a command of %v in a session of %v (a failure before: %v)", used, primary, failed)
			}
			failed = false
		case "safety.triggered":
			if field(e, "action_taken") != "blocked" {
				break
			}
			seen["blocks"]++
			risk, level := field(e, "risk_level"), field(e, "safety_level_config")
			if field(e, "user_override") != false || !(risk == "critical" || risk == "high" && level == "strict") {
				t.Errorf("a block caro cannot record: %v", e.Attrs)
			}
			blocked = true
		case "command.executed":
			executed++
			if blocked {
				t.Error("a blocked command was run")
			}
		case "session.end":
			seen["sessions"]++
			reason := field(e, "exit_reason")
			if executed > 1 || generated < 1 || generated > 2 || field(e, "commands_generated") != generated ||
				field(e, "commands_executed") != executed || (reason == "safety_blocked") != blocked ||
				(reason == "user_complete") != (executed == 1) {
				t.Errorf("a session caro cannot record: %d generated, %d run, blocked %v, ended %v", generated, executed, blocked, e.Attrs)
			}
		}
	}
	for _, what := range []string{"sessions", "blocks", "inference errors"} {
		if seen[what] == 0 {
			t.Errorf("no %s in the fleet", what)
		}
	}
	t.Logf("%v", seen)
}

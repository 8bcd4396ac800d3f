// Package fleet simulates a fleet of Caro users for demos, load tests and
// the insights' own tests. Every simulated session goes through the real
// telemetry path: sdk.Start (with a simulated clock and machine id) records
// it into the user's own client spool, in a folder of its own; the spool is
// then flushed with upload.Flush to an OTLP/HTTP endpoint (the collector),
// or, without an endpoint, its events are appended with their ids into the
// collector's store (package store), as the collector would.
//
// # Model
//
// The fleet holds only what caro itself can record (package internal/cli):
// a session is one `caro "prompt"` run, which generates a command (again
// when the user asks for another), then runs it, or not, once.
//
// Each user is one machine id with a fixed platform, one of caro's
// backends (static, ollama, vllm, with the fallback to static on) and a
// safety level. On each day a user is active with probability Active and
// then runs 1 to 2*MeanSessions-1 sessions (uniform). The first session of
// a user is its first run. A session regenerates its first command with
// probability RetryRate; its last command is then:
//
//   - run as generated, with probability CSR·(1+RetryRate), so that CSR of
//     all generated commands are (a moderate risk one is warned first, and
//     run anyway: user_override);
//   - blocked, with probability BlockRate·(1+RetryRate), so that BlockRate
//     of all generated commands are blocks: critical risk, or high risk at
//     the strict level. The simulated users never override a block (caro
//     lets a person on a terminal run a high risk command that the strict
//     level blocked), so the fleet's false positive rate is 0;
//   - else edited and run, or declined, half and half.
//
// A remote backend fails a generation with probability InferenceErrorRate
// (an error.occurred of component inference, fallback attempted) and the
// static table answers instead; the static table does not fail. Inference
// times are log-normal per backend.
//
// The fleet, and so every figure computed from it, is a function of Params
// only (math/rand/v2 PCG seeded with Seed, one stream per user), whatever
// the number of workers; event and generation ids are the SDK's own, random.
//
// Each user's spool is flushed after each of its sessions, at the
// session's simulated end, so the client's 7-day retention never drops an
// event. The simulator is the spool's only uploader, so it does not take
// the upload lock.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
	"caro.sh/telemetry/store"
	"caro.sh/telemetry/upload"
	"golang.org/x/sync/errgroup"
)

// Params are the fleet's known parameters.
type Params struct {
	Users int
	Days  int
	// End is the (exclusive) end of the simulated period, truncated to its
	// UTC day: the fleet covers the Days UTC days before it.
	End  time.Time
	Seed uint64

	Active             float64 // probability that a user runs caro on a day
	MeanSessions       int     // mean sessions (caro runs) of an active day (>= 1)
	CSR                float64 // command success rate: run as generated / generated
	BlockRate          float64 // blocks / generated commands
	RetryRate          float64 // sessions with a regeneration / sessions
	InferenceErrorRate float64 // failures of a remote backend per generation
}

// DefaultParams are a plausible beta fleet.
func DefaultParams() Params {
	return Params{
		Users: 200, Days: 14, End: time.Now().UTC(), Seed: 1,
		Active: 0.6, MeanSessions: 2,
		CSR: 0.83, BlockRate: 0.03, RetryRate: 0.12,
		InferenceErrorRate: 0.004,
	}
}

// Validate checks that the parameters describe a possible fleet.
func (p Params) Validate() error {
	prob := func(name string, v float64) error {
		if v < 0 || v > 1 || math.IsNaN(v) {
			return fmt.Errorf("%s %v is not a probability", name, v)
		}
		return nil
	}
	switch {
	case p.Users < 1:
		return fmt.Errorf("users %d: want at least 1", p.Users)
	case p.Days < 1:
		return fmt.Errorf("days %d: want at least 1", p.Days)
	case p.MeanSessions < 1:
		return fmt.Errorf("mean sessions %d: want at least 1", p.MeanSessions)
	}
	for _, c := range []struct {
		n string
		v float64
	}{{"active", p.Active}, {"csr", p.CSR}, {"block rate", p.BlockRate},
		{"retry rate", p.RetryRate}, {"inference error rate", p.InferenceErrorRate}} {
		if err := prob(c.n, c.v); err != nil {
			return err
		}
	}
	// A regenerated command is neither run nor blocked: the last command
	// of a session carries the whole of both rates.
	if (p.CSR+p.BlockRate)*(1+p.RetryRate) > 1+1e-12 {
		return fmt.Errorf("csr %v and block rate %v are more than the commands a session with retry rate %v runs or blocks: "+
			"(csr + block rate) * (1 + retry rate) must be at most 1", p.CSR, p.BlockRate, p.RetryRate)
	}
	return nil
}

// Sink is where the users' spools go.
type Sink struct {
	// Endpoint is the collector's OTLP/HTTP base URL (upload.Flush).
	Endpoint string
	// Store is the collector's store (used when Endpoint is empty); the
	// simulator appends each user's spooled events, their uids kept.
	Store *store.Store
}

// Result counts what was simulated.
type Result struct {
	Users, Sessions, Events int
}

// Run simulates the fleet, with each user's spool under dir, and delivers
// every event to sink. Users run on workers goroutines (at least 1).
func Run(ctx context.Context, p Params, dir string, sink Sink, workers int) (Result, error) {
	var res Result
	if err := p.Validate(); err != nil {
		return res, err
	}
	if sink.Endpoint == "" && sink.Store == nil {
		return res, errors.New("fleet: no endpoint and no store")
	}
	var sessions, events atomic.Int64
	// The first user that fails stops the others.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(workers, 1))
	for u := range p.Users {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			s, e, err := runUser(gctx, p, u, dir, sink)
			sessions.Add(int64(s))
			events.Add(int64(e))
			return err
		})
	}
	err := g.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return Result{Users: p.Users, Sessions: int(sessions.Load()), Events: int(events.Load())}, err
}

// user is one simulated machine.
type user struct {
	machineID string
	platform  sdk.Platform
	backend   backendShare
	safety    schema.SafetyLevel
	dirs      sdk.Dirs
	rng       *rand.Rand
}

// weighted is one choice of a weighted draw.
type weighted interface{ weight() float64 }

type platformShare struct {
	w float64
	p sdk.Platform
}

func (p platformShare) weight() float64 { return p.w }

var platforms = []platformShare{
	{0.45, sdk.Platform{OS: schema.OSMacOS, Arch: schema.ArchAArch64, Shell: schema.ShellZsh}},
	{0.08, sdk.Platform{OS: schema.OSMacOS, Arch: schema.ArchX8664, Shell: schema.ShellZsh}},
	{0.30, sdk.Platform{OS: schema.OSLinux, Arch: schema.ArchX8664, Shell: schema.ShellBash}},
	{0.07, sdk.Platform{OS: schema.OSLinux, Arch: schema.ArchAArch64, Shell: schema.ShellFish}},
	{0.08, sdk.Platform{OS: schema.OSWindows, Arch: schema.ArchX8664, Shell: schema.ShellPowerShell}},
	{0.02, sdk.Platform{OS: schema.OSFreeBSD, Arch: schema.ArchX8664, Shell: schema.ShellSh}},
}

// backendShare is a backend's share of users, its log-normal inference
// time (median in ms, sigma) and the model it records.
type backendShare struct {
	w      float64
	b      schema.Backend
	median float64
	sigma  float64
	model  string
}

func (b backendShare) weight() float64 { return b.w }

// backends are the backends caro implements (its backend.primary values),
// with their default models; the static table answers in microseconds.
var backends = []backendShare{
	{0.45, schema.BackendStatic, 0.05, 0.5, ""},
	{0.40, schema.BackendOllama, 1800, 0.5, "qwen2.5-coder:1.5b"},
	{0.15, schema.BackendVLLM, 900, 0.5, "Qwen2.5-Coder-1.5B-Instruct"},
}

var static = backends[0]

type safetyShare struct {
	w float64
	l schema.SafetyLevel
}

func (s safetyShare) weight() float64 { return s.w }

var safetyLevels = []safetyShare{
	{0.85, schema.SafetyModerate}, {0.10, schema.SafetyStrict}, {0.05, schema.SafetyPermissive},
}

func pick[T weighted](rng *rand.Rand, items []T) T {
	x := rng.Float64()
	for _, it := range items {
		if x -= it.weight(); x < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

func runUser(ctx context.Context, p Params, n int, dir string, sink Sink) (sessions, events int, err error) {
	rng := rand.New(rand.NewPCG(p.Seed, uint64(n)))
	u := user{
		machineID: fmt.Sprintf("sim-%016x", rng.Uint64()),
		rng:       rng,
	}
	u.platform = pick(rng, platforms).p
	u.backend = pick(rng, backends)
	u.safety = pick(rng, safetyLevels).l
	home := filepath.Join(dir, fmt.Sprintf("user-%06d", n))
	u.dirs = sdk.Dirs{Config: filepath.Join(home, "config"), Cache: filepath.Join(home, "cache")}
	if err := os.MkdirAll(u.dirs.Cache, 0o700); err != nil {
		return 0, 0, fmt.Errorf("user %d: %w", n, err)
	}
	end := p.End.UTC().Truncate(24 * time.Hour)
	first := true
	for d := p.Days; d >= 1; d-- {
		if err := ctx.Err(); err != nil {
			return sessions, events, err
		}
		if rng.Float64() >= p.Active {
			continue
		}
		day := end.AddDate(0, 0, -d)
		// Sessions start between 06:00 and 22:00 UTC, in order, and last
		// seconds.
		starts := make([]time.Duration, 1+rng.IntN(2*p.MeanSessions-1))
		for i := range starts {
			starts[i] = 6*time.Hour + time.Duration(rng.Int64N(int64(16*time.Hour)))
		}
		slices.Sort(starts)
		for _, at := range starts {
			last := session(ctx, p, &u, day.Add(at), first)
			first = false
			sessions++
			k, err := deliver(ctx, u.dirs.SpoolFile(), last, sink)
			events += k
			if err != nil {
				return sessions, events, fmt.Errorf("user %d: %w", n, err)
			}
		}
	}
	return sessions, events, nil
}

// clock is a session's simulated time, safe for the SDK's goroutines.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func newClock(t time.Time) *clock        { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) sleep(rng *rand.Rand, lo, hi time.Duration) {
	c.advance(lo + time.Duration(rng.Int64N(int64(hi-lo))))
}

// session records one `caro "prompt"` run through the SDK, as caro's flow
// does, and returns its end time.
func session(ctx context.Context, p Params, u *user, start time.Time, firstRun bool) time.Time {
	rng := u.rng
	clk := newClock(start)
	cfg := sdk.Config{Enabled: true, Level: sdk.DefaultLevel, SpoolMaxBytes: sdk.DefaultSpoolMaxMB << 20, Dirs: u.dirs}
	c := sdk.Start(ctx, cfg, sdk.WithClock(clk.now), sdk.WithMachineID(u.machineID), sdk.WithVersion("1.0.0-beta.sim"))
	source := schema.ConfigFile // a backend or safety level other than the defaults is set in config.toml
	if u.backend.b == schema.BackendStatic && u.safety == schema.SafetyModerate {
		source = schema.ConfigDefault
	}
	c.SessionStart(sdk.SessionStart{
		Platform: u.platform, Backend: u.backend.b, FallbackEnabled: true,
		SafetyLevel: u.safety, OutputFormat: schema.OutputPlain,
		IsFirstRun: sdk.Ptr(firstRun), ConfigSource: source,
	})
	if firstRun {
		clk.sleep(rng, 3*time.Second, 20*time.Second) // reading the first-run notice
	}

	// The last command's outcome: see the package documentation.
	retry := rng.Float64() < p.RetryRate
	x := rng.Float64()
	run, block := p.CSR*(1+p.RetryRate), p.BlockRate*(1+p.RetryRate)
	reason := schema.ExitUserComplete
	for retries := 0; ; retries++ {
		last := !retry || retries == 1
		be := u.backend
		if be.b != schema.BackendStatic && rng.Float64() < p.InferenceErrorRate {
			// The server failed; the static table answers (backend.fallback).
			inf := time.Duration(float64(time.Second) * (1 + 9*rng.Float64()))
			clk.advance(inf)
			c.ErrorOccurred(sdk.ErrorOccurred{
				Category:  []schema.ErrorCategory{schema.ErrBackendTimeout, schema.ErrBackendConnection}[rng.IntN(2)],
				Component: schema.ComponentInference, Backend: be.b,
				Recoverable: sdk.Ptr(true), FallbackAttempted: sdk.Ptr(true),
			})
			be = static
		}
		inf := time.Duration(be.median * math.Exp(be.sigma*rng.NormFloat64()) * float64(time.Millisecond))
		clk.advance(inf)
		risk, pattern := schema.RiskSafe, schema.PatternCategory("")
		switch {
		case last && x >= run && x < run+block:
			risk, pattern = schema.RiskCritical, schema.PatternFilesystemDestruction
			if u.safety == schema.SafetyStrict && rng.IntN(2) == 0 {
				risk, pattern = schema.RiskHigh, schema.PatternRemoteCodePiping
			}
		case rng.Float64() < 0.1:
			risk, pattern = schema.RiskModerate, schema.PatternVersionControlLoss
		}
		matched := 0
		if pattern != "" {
			matched = 1
		}
		id := c.CommandGenerated(sdk.CommandGenerated{
			Backend: be.b, InferenceTime: inf, RiskLevel: risk, PatternsMatched: matched,
			ModelName: be.model, RetryCount: sdk.Ptr(retries),
		})
		warned := risk == schema.RiskModerate && u.safety != schema.SafetyPermissive
		clk.sleep(rng, time.Second, 10*time.Second) // reading it
		switch {
		case !last: // r: another command
			if warned {
				c.SafetyTriggered(safetyEvent(id, risk, pattern, schema.ActionWarned, false, u.safety))
			}
			continue
		case risk == schema.RiskCritical || risk == schema.RiskHigh:
			c.SafetyTriggered(safetyEvent(id, risk, pattern, schema.ActionBlocked, false, u.safety))
			reason = schema.ExitSafetyBlocked
		case x < run:
			if warned {
				c.SafetyTriggered(safetyEvent(id, risk, pattern, schema.ActionWarned, true, u.safety))
			}
			execute(c, clk, rng, id, false)
		case rng.IntN(2) == 0: // e: edited into a safe command (checked anew: no warning), then y
			clk.sleep(rng, 3*time.Second, 20*time.Second)
			execute(c, clk, rng, id, true)
		default: // n
			if warned {
				c.SafetyTriggered(safetyEvent(id, risk, pattern, schema.ActionWarned, false, u.safety))
			}
			reason = schema.ExitUserDeclined
		}
		break
	}
	c.SessionEnd(sdk.SessionEnd{ExitReason: reason})
	c.Shutdown(context.WithoutCancel(ctx))
	return clk.now()
}

func safetyEvent(id string, risk schema.RiskLevel, pattern schema.PatternCategory, action schema.ActionTaken,
	override bool, level schema.SafetyLevel) sdk.SafetyTriggered {
	return sdk.SafetyTriggered{GenerationID: id, RiskLevel: risk, PatternCategory: pattern, Action: action,
		UserOverride: sdk.Ptr(override), SafetyLevelConfig: level}
}

// execute records the run of a confirmed command, which takes seconds.
func execute(c *sdk.Client, clk *clock, rng *rand.Rand, id string, modified bool) {
	took := time.Duration(float64(time.Second) * math.Exp(rng.NormFloat64()))
	clk.advance(took)
	c.CommandExecuted(sdk.CommandExecuted{GenerationID: id, Mode: schema.ExecConfirmed, Modified: modified,
		ExitCategory: schema.ExitSuccess, ExecutionTime: &took})
}

// deliver sends the user's pending events to the sink at the simulated
// time now, as the client's next flush would.
func deliver(ctx context.Context, spoolPath string, now time.Time, sink Sink) (int, error) {
	clockNow := func() time.Time { return now }
	sp, err := sqlitespool.Open(ctx, sqlitespool.Options{Path: spoolPath, Now: clockNow})
	if err != nil {
		return 0, fmt.Errorf("open client spool: %w", err)
	}
	defer sp.Close()
	if sink.Endpoint != "" {
		res, err := upload.Flush(ctx, sp, upload.Options{Endpoint: sink.Endpoint, Now: clockNow, Version: "1.0.0-beta.sim"})
		if err != nil {
			return res.Sent, fmt.Errorf("flush: %w", err)
		}
		if res.Failure != nil {
			return res.Sent, fmt.Errorf("flush: %w", res.Failure)
		}
		return res.Sent, nil
	}
	evs, err := sp.Pending(ctx, 0)
	if err != nil {
		return 0, fmt.Errorf("read client spool: %w", err)
	}
	if len(evs) == 0 {
		return 0, nil
	}
	stored := make([]store.Event, len(evs))
	for i, ev := range evs {
		stored[i] = store.Event{UID: ev.EventID, Name: ev.Name, Time: ev.Time, Attrs: ev.Attrs}
	}
	// Users append concurrently: the store commits them together.
	if _, err := sink.Store.Append(ctx, stored); err != nil {
		return 0, fmt.Errorf("append to store: %w", err)
	}
	ids := make([]int64, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	if err := sp.MarkTransmitted(ctx, ids, now); err != nil {
		return len(evs), fmt.Errorf("mark transmitted: %w", err)
	}
	return len(evs), nil
}

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
// Each user is one machine id with a fixed platform and backend. On each
// day a user is active with probability Active and then runs one session.
// The first session of a user is its first run. A session generates 1 to
// 2*MeanCommands-1 commands (uniform); each command, independently:
//
//   - succeeds with probability CSR: executed without modification;
//   - else it is blocked with probability BlockRate/(1-CSR), so that
//     BlockRate of all generated commands are blocks; a block is overridden
//     with probability FalsePositive (executed, modified);
//   - else it is executed modified or abandoned, half and half.
//
// A session retries (its first command has retry_count 1) with probability
// RetryRate. Before a command, the backend fails with probability
// InferenceErrorRate (an error.occurred of component inference). Inference
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
	"sync"
	"sync/atomic"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
	"caro.sh/telemetry/store"
	"caro.sh/telemetry/upload"
)

// Params are the fleet's known parameters.
type Params struct {
	Users int
	Days  int
	// End is the (exclusive) end of the simulated period, truncated to its
	// UTC day: the fleet covers the Days UTC days before it.
	End  time.Time
	Seed uint64

	Active             float64 // probability that a user runs a session on a day
	MeanCommands       int     // mean commands per session (>= 1)
	CSR                float64 // command success rate
	BlockRate          float64 // blocks / generated commands (<= 1-CSR)
	FalsePositive      float64 // overridden blocks / blocks
	RetryRate          float64 // sessions with a retry / sessions
	InferenceErrorRate float64 // inference errors per command attempt
}

// DefaultParams are a plausible beta fleet.
func DefaultParams() Params {
	return Params{
		Users: 200, Days: 14, End: time.Now().UTC(), Seed: 1,
		Active: 0.6, MeanCommands: 3,
		CSR: 0.83, BlockRate: 0.03, FalsePositive: 0.08, RetryRate: 0.12,
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
	case p.MeanCommands < 1:
		return fmt.Errorf("mean commands %d: want at least 1", p.MeanCommands)
	}
	for _, c := range []struct {
		n string
		v float64
	}{{"active", p.Active}, {"csr", p.CSR}, {"block rate", p.BlockRate}, {"false positive rate", p.FalsePositive},
		{"retry rate", p.RetryRate}, {"inference error rate", p.InferenceErrorRate}} {
		if err := prob(c.n, c.v); err != nil {
			return err
		}
	}
	if p.BlockRate > 1-p.CSR+1e-12 {
		return fmt.Errorf("block rate %v is more than the failures left by csr %v", p.BlockRate, p.CSR)
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
	workers = max(workers, 1)
	var sessions, events atomic.Int64
	users := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range users {
				s, e, err := runUser(ctx, p, u, dir, sink)
				sessions.Add(int64(s))
				events.Add(int64(e))
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for u := range p.Users {
		select {
		case users <- u:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(users)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return Result{Users: p.Users, Sessions: int(sessions.Load()), Events: int(events.Load())}, err
}

// user is one simulated machine.
type user struct {
	machineID string
	platform  sdk.Platform
	backend   schema.Backend
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

// backendShare is a backend's share of users and its log-normal inference
// time (median in ms, sigma).
type backendShare struct {
	w      float64
	b      schema.Backend
	median float64
	sigma  float64
}

func (b backendShare) weight() float64 { return b.w }

var backends = []backendShare{
	{0.30, schema.BackendEmbeddedMLX, 650, 0.45},
	{0.20, schema.BackendEmbeddedCPU, 1100, 0.4},
	{0.25, schema.BackendStatic, 15, 0.5},
	{0.18, schema.BackendOllama, 1800, 0.5},
	{0.07, schema.BackendVLLM, 900, 0.5},
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
	be := pick(rng, backends)
	u.backend = be.b
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
		// Sessions start between 06:00 and 22:00 UTC and last minutes.
		start := day.Add(6*time.Hour + time.Duration(rng.Int64N(int64(16*time.Hour))))
		last := session(ctx, p, &u, be.median, be.sigma, start, first)
		first = false
		sessions++
		k, err := deliver(ctx, u.dirs.SpoolFile(), last, sink)
		events += k
		if err != nil {
			return sessions, events, fmt.Errorf("user %d: %w", n, err)
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

// session records one session through the SDK and returns its end time.
func session(ctx context.Context, p Params, u *user, median, sigma float64, start time.Time, firstRun bool) time.Time {
	rng := u.rng
	clk := newClock(start)
	cfg := sdk.Config{Enabled: true, Level: sdk.DefaultLevel, SpoolMaxBytes: sdk.DefaultSpoolMaxMB << 20, Dirs: u.dirs}
	c := sdk.Start(ctx, cfg, sdk.WithClock(clk.now), sdk.WithMachineID(u.machineID), sdk.WithVersion("1.0.0-beta.sim"))
	c.SessionStart(sdk.SessionStart{
		Platform: u.platform, Backend: u.backend, FallbackEnabled: true,
		SafetyLevel: schema.SafetyModerate, OutputFormat: schema.OutputPlain,
		IsFirstRun: sdk.Ptr(firstRun), ConfigSource: schema.ConfigDefault,
	})
	retry := rng.Float64() < p.RetryRate
	n := 1 + rng.IntN(2*p.MeanCommands-1)
	executed, blocked := 0, 0
	for i := range n {
		switch {
		case firstRun && i == 0:
			clk.sleep(rng, 3*time.Second, 20*time.Second) // reading the welcome
		case i == 0:
			clk.sleep(rng, 300*time.Millisecond, 3*time.Second)
		default:
			clk.sleep(rng, 2*time.Second, 30*time.Second)
		}
		if rng.Float64() < p.InferenceErrorRate {
			c.ErrorOccurred(sdk.ErrorOccurred{
				Category: schema.ErrBackendTimeout, Component: schema.ComponentInference, Backend: u.backend,
				Recoverable: sdk.Ptr(true), FallbackAttempted: sdk.Ptr(true),
			})
		}
		inf := time.Duration(median*math.Exp(sigma*rng.NormFloat64())) * time.Millisecond
		clk.advance(inf)
		risk := schema.RiskSafe
		var retries *int
		if retry && i == 0 {
			retries = sdk.Ptr(1)
		}
		// Draw the outcome before the risk, so that a block is high risk.
		x := rng.Float64()
		blockedNow := x >= p.CSR && x < p.CSR+p.BlockRate
		if blockedNow {
			risk = schema.RiskHigh
			if rng.Float64() < 0.3 {
				risk = schema.RiskCritical
			}
		} else if rng.Float64() < 0.1 {
			risk = schema.RiskModerate
		}
		id := c.CommandGenerated(sdk.CommandGenerated{
			Backend: u.backend, InferenceTime: inf, RiskLevel: risk, RetryCount: retries,
		})
		clk.sleep(rng, time.Second, 10*time.Second)
		switch {
		case x < p.CSR:
			c.CommandExecuted(sdk.CommandExecuted{GenerationID: id, Mode: schema.ExecConfirmed, ExitCategory: schema.ExitSuccess})
			executed++
		case blockedNow:
			blocked++
			override := rng.Float64() < p.FalsePositive
			c.SafetyTriggered(sdk.SafetyTriggered{
				GenerationID: id, RiskLevel: risk, PatternCategory: schema.PatternFilesystemDestruction,
				Action: schema.ActionBlocked, UserOverride: sdk.Ptr(override), SafetyLevelConfig: schema.SafetyModerate,
			})
			if override {
				c.CommandExecuted(sdk.CommandExecuted{GenerationID: id, Mode: schema.ExecConfirmed, Modified: true, ExitCategory: schema.ExitSuccess})
				executed++
			}
		case rng.IntN(2) == 0:
			c.CommandExecuted(sdk.CommandExecuted{GenerationID: id, Mode: schema.ExecConfirmed, Modified: true, ExitCategory: schema.ExitSuccess})
			executed++
		}
	}
	reason := schema.ExitUserComplete
	switch {
	case executed == 0 && blocked > 0:
		reason = schema.ExitSafetyBlocked
	case executed == 0:
		reason = schema.ExitUserDeclined
	}
	clk.advance(time.Second)
	c.SessionEnd(sdk.SessionEnd{ExitReason: reason})
	c.Shutdown(context.WithoutCancel(ctx))
	return clk.now()
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

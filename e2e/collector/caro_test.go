package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
	"caro.sh/telemetry/upload"
)

// client is a Caro installation: its folders and its spool.
type client struct {
	dirs sdk.Dirs
}

func newClient(t testing.TB) *client {
	t.Helper()
	dir := t.TempDir()
	return &client{dirs: sdk.Dirs{Config: filepath.Join(dir, "config"), Cache: filepath.Join(dir, "cache")}}
}

// recorded returns a new client that has recorded n sessions
// (recordSessions), and its spool.
func recorded(t testing.TB, n int) (*client, *sqlitespool.Spool) {
	t.Helper()
	c := newClient(t)
	c.recordSessions(t, n)
	return c, c.spool(t)
}

// recordSessions records n sessions as n machines would (distinct session
// ids), each with every event and every field, through the real SDK into
// the client's spool.
func (c *client) recordSessions(t testing.TB, n int) {
	t.Helper()
	for i := range n {
		cl := sdk.Start(context.Background(),
			sdk.Config{Enabled: true, Level: schema.LevelDetailed, Dirs: c.dirs, SpoolMaxBytes: 10 << 20},
			sdk.WithVersion("1.1.0"), sdk.WithMachineID(fmt.Sprintf("machine-%d", i)),
			sdk.WithWarn(func(s string) { t.Errorf("sdk warning: %s", s) }))
		cl.SessionStart(sdk.SessionStart{
			Platform: sdk.Platform{OS: schema.OSLinux, Arch: schema.ArchX8664, Shell: schema.ShellZsh},
			Backend:  schema.BackendStatic, FallbackEnabled: true, SafetyLevel: schema.SafetyStrict,
			OutputFormat: schema.OutputJSON, IsFirstRun: sdk.Ptr(i == 0), ConfigSource: schema.ConfigFile,
		})
		gen := cl.CommandGenerated(sdk.CommandGenerated{Backend: schema.BackendStatic,
			InferenceTime: time.Duration(100+i) * time.Millisecond, RiskLevel: schema.RiskHigh, PatternsMatched: 1,
			ModelName: "Qwen2.5-Coder-1.5B", InputTokens: sdk.Ptr(45), OutputTokens: sdk.Ptr(23),
			Confidence: sdk.Ptr(0.92), RetryCount: sdk.Ptr(0)})
		cl.SafetyTriggered(sdk.SafetyTriggered{GenerationID: gen, RiskLevel: schema.RiskHigh,
			PatternCategory: schema.PatternPermissionChange, Action: schema.ActionWarned, UserOverride: sdk.Ptr(true),
			SafetyLevelConfig: schema.SafetyStrict})
		cl.CommandExecuted(sdk.CommandExecuted{GenerationID: gen, Mode: schema.ExecConfirmed, Modified: false,
			ExitCategory: schema.ExitSuccess, ExecutionTime: sdk.Ptr(234 * time.Millisecond)})
		cl.ErrorOccurred(sdk.ErrorOccurred{Category: schema.ErrBackendTimeout, Component: schema.ComponentInference,
			Backend: schema.BackendOllama, Recoverable: sdk.Ptr(true), FallbackAttempted: sdk.Ptr(true)})
		cl.SessionEnd(sdk.SessionEnd{ExitReason: schema.ExitUserComplete})
		cl.Shutdown(context.Background())
	}
}

func (c *client) spool(t testing.TB) *sqlitespool.Spool {
	t.Helper()
	sp, err := sqlitespool.Open(context.Background(), sqlitespool.Options{Path: c.dirs.SpoolFile()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

// events returns every event of the spool, sent or not, with its payload
// as the collector's store should hold it.
func (c *client) events(t testing.TB, sp *sqlitespool.Spool) map[string]string {
	t.Helper()
	evs, err := sp.List(context.Background(), sqlitespool.ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(evs))
	for _, ev := range evs {
		p, err := event.Encode(ev.Name, ev.Time, ev.Attrs)
		if err != nil {
			t.Fatal(err)
		}
		out[ev.EventID] = string(p)
	}
	return out
}

// payloads returns the spool's events as an export's events array.
func (c *client) payloads(t testing.TB, sp *sqlitespool.Spool) []json.RawMessage {
	t.Helper()
	evs, err := sp.List(context.Background(), sqlitespool.ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, ev := range evs {
		p, err := event.Encode(ev.Name, ev.Time, ev.Attrs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// flush sends the spool to the collector as `caro telemetry flush` does.
func flush(t testing.TB, sp *sqlitespool.Spool, col *collector, batch int) upload.Result {
	t.Helper()
	res, err := upload.Flush(context.Background(), sp, upload.Options{
		Endpoint: "http://" + col.otlp, Version: "1.1.0", BatchSize: batch, AttemptTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	if res.Failure != nil {
		t.Fatalf("flush failed: %v (%+v)\n%s", res.Failure, res, col.out.String())
	}
	return res
}

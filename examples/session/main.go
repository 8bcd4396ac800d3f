// Command session records one scripted Caro session through the real SDK
// (redaction processor -> batch processor -> SQLite spool) into a
// throw-away cache folder, then prints what the spool holds. It is what
// `make run` shows until the collector exists.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "session:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "caro-session-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dirs := sdk.Dirs{Config: filepath.Join(dir, "config"), Cache: filepath.Join(dir, "cache")}
	cfg, _ := sdk.LoadConfig(sdk.LoadOptions{Dirs: dirs, Getenv: func(string) string { return "" }, DefaultEnabled: true})
	cfg.Level = schema.LevelDetailed

	ctx := context.Background()
	c := sdk.Start(ctx, cfg, sdk.WithVersion("1.1.0"), sdk.WithWarn(func(s string) { fmt.Fprintln(os.Stderr, "warning:", s) }))
	c.SessionStart(sdk.SessionStart{Backend: schema.BackendStatic, FallbackEnabled: true,
		SafetyLevel: schema.SafetyModerate, OutputFormat: schema.OutputPlain, IsFirstRun: sdk.Ptr(true),
		ConfigSource: schema.ConfigDefault})
	gen := c.CommandGenerated(sdk.CommandGenerated{Backend: schema.BackendStatic, InferenceTime: 3 * time.Millisecond,
		RiskLevel: schema.RiskSafe, ModelName: "Qwen2.5-Coder-1.5B", InputTokens: sdk.Ptr(45), OutputTokens: sdk.Ptr(23),
		Confidence: sdk.Ptr(0.92), RetryCount: sdk.Ptr(0)})
	c.CommandExecuted(sdk.CommandExecuted{GenerationID: gen, Mode: schema.ExecConfirmed,
		ExitCategory: schema.ExitSuccess, ExecutionTime: sdk.Ptr(234 * time.Millisecond)})
	risky := c.CommandGenerated(sdk.CommandGenerated{Backend: schema.BackendStatic, InferenceTime: 2 * time.Millisecond,
		RiskLevel: schema.RiskCritical, PatternsMatched: 1, RetryCount: sdk.Ptr(1)})
	c.SafetyTriggered(sdk.SafetyTriggered{GenerationID: risky, RiskLevel: schema.RiskCritical,
		PatternCategory: schema.PatternFilesystemDestruction, Action: schema.ActionBlocked, UserOverride: sdk.Ptr(false)})
	c.ErrorOccurred(sdk.ErrorOccurred{Category: schema.ErrBackendTimeout, Component: schema.ComponentInference,
		Backend: schema.BackendOllama, Recoverable: sdk.Ptr(true), FallbackAttempted: sdk.Ptr(true)})
	c.SessionEnd(sdk.SessionEnd{ExitReason: schema.ExitUserComplete})
	c.Shutdown(ctx)

	sp, err := sqlitespool.Open(ctx, sqlitespool.Options{Path: dirs.SpoolFile()})
	if err != nil {
		return fmt.Errorf("open spool: %w", err)
	}
	defer sp.Close()
	evs, err := sp.List(ctx, sqlitespool.ListOptions{Limit: 100})
	if err != nil {
		return fmt.Errorf("list spool: %w", err)
	}
	fmt.Printf("Recorded one session into %s: %d events stored\n\n", "telemetry.db", len(evs))
	for _, e := range evs {
		b, err := sqlitespool.EncodePayload(e.Name, e.Time, e.Attrs)
		if err != nil {
			return err
		}
		fmt.Printf("%-18s %s\n", e.Name, b)
	}
	return nil
}

package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/internal/consent"
	"caro.sh/telemetry/sdk"
)

// The telemetry commands show and manage what is recorded on this
// machine. They record no events themselves, and show and status never
// create the spool: with no spool file they say so.
func (r *run) telemetryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "telemetry",
		Short: "See, send, export and delete what telemetry recorded on this machine",
		Long: `See exactly what Caro's telemetry recorded on this machine, send it now,
export it for an air-gapped upload, or delete it, here and on the server.
None of these commands records anything.

What can ever be collected: 'caro telemetry schema'.`,
		Args: unknownSubcommand,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.AddCommand(r.showCommand(), r.statusCommand(), r.exportCommand(), r.clearCommand(), r.flushCommand(),
		r.deleteRemoteCommand(), r.schemaCommand())
	return cmd
}

// controlState is what the control commands need to know: the effective
// configuration (with the spool's location) and the consent verdict.
type controlState struct {
	ch      consent.Channel
	cfg     sdk.Config
	verdict consent.Verdict
	state   consent.State
}

// loadControl computes the telemetry state without prompting, recording
// or writing anything.
func (r *run) loadControl() (controlState, error) {
	dirs, err := sdk.ResolveDirs(r.env.Getenv)
	if err != nil {
		return controlState{}, fail(ExitFailed, "%v", err)
	}
	ch := r.channel()
	// A configuration problem shows in status as the reason (cfg.Reason).
	cfg, _ := sdk.LoadConfig(sdk.LoadOptions{Dirs: dirs, Getenv: r.env.Getenv,
		NoTelemetry: r.noTelemetry, DefaultEnabled: ch.DefaultEnabled()})
	cs := controlState{ch: ch, cfg: cfg}
	if consent.NeedsState(ch, cfg) {
		cs.state, _ = consent.LoadState(consent.StatePath(dirs))
	}
	cs.verdict = consent.Decide(ch, cfg, cs.state)
	return cs, nil
}

// openSpool opens the spool if its file exists; (nil, nil) when it does
// not, so that looking never creates it.
func (r *run) openSpool(ctx context.Context, cfg sdk.Config) (*sqlitespool.Spool, error) {
	path := cfg.Dirs.SpoolFile()
	if !sqlitespool.Exists(path) {
		return nil, nil
	}
	sp, err := sqlitespool.Open(ctx, sqlitespool.Options{Path: path, MaxBytes: cfg.SpoolMaxBytes, Now: r.env.Now})
	if err != nil {
		return nil, fail(ExitFailed, "cannot read the telemetry spool: %v", err)
	}
	if msg := sp.Recovered(); msg != "" {
		fmt.Fprintf(r.env.Stderr, "caro: %s\n", msg)
	}
	return sp, nil
}

// headline is the first line of show and status: ENABLED or DISABLED and
// the channel's model.
func (cs controlState) headline() string {
	state := "DISABLED"
	if cs.verdict.Record {
		state = "ENABLED"
	} else if cs.verdict.AwaitingPrompt {
		state = "ENABLED once the first-run notice is shown"
	}
	return fmt.Sprintf("Telemetry Status: %s (%s)", state, cs.ch.Model())
}

// why explains the headline in words.
func (cs controlState) why() string {
	cfg := cs.cfg
	onOff := "off"
	if cfg.Enabled {
		onOff = "on"
	}
	switch cfg.EnabledSource {
	case sdk.SourceFlag:
		return "--no-telemetry (this run only)"
	case sdk.SourceDoNotTrack:
		return "DO_NOT_TRACK is set"
	case sdk.SourceEnv:
		return fmt.Sprintf("%s turns it %s", sdk.EnvEnabled, onOff)
	case sdk.SourceInvalid, sdk.SourceOTelEnv:
		return cfg.Reason
	case sdk.SourceFile:
		return fmt.Sprintf("telemetry.enabled = %t in %s", cfg.Enabled, cfg.Dirs.ConfigFile())
	case sdk.SourceCI:
		return fmt.Sprintf("CI is set: off unless enabled explicitly (%s=true)", sdk.EnvEnabled)
	}
	switch {
	case cs.verdict.AwaitingPrompt:
		return "on by default in this beta; nothing is recorded until the first-run notice is shown on an interactive run"
	case cs.verdict.MigrationDue:
		return "off by default since GA (opt-in); the next run says so once"
	case cs.ch == consent.GA:
		return "off by default (GA, opt-in); enable with: caro config set telemetry.enabled true"
	case cs.state.PromptShown:
		return fmt.Sprintf("on by default in this beta; first-run notice shown by caro %s", cs.state.PromptVersion)
	}
	return "on by default in this beta"
}

func sourceNote(s sdk.Source) string {
	switch s {
	case sdk.SourceFile:
		return "config.toml"
	case sdk.SourceEnv:
		return sdk.EnvLevel
	}
	return "default"
}

func enabledWord(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

// size formats a byte count as the spec's samples do.
func size(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d bytes", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

// localTime is how tables show a timestamp.
func localTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

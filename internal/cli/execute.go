package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

// errInterrupted: the command was stopped by Ctrl-C.
var errInterrupted = errors.New("interrupted")

// execute runs the command with the user's shell ($SHELL -c, else
// /bin/sh), its streams connected to caro's, within the timeout. Only the
// exit category (success, error, timeout) is recorded, never the code or
// the output.
func (f *flow) execute(ctx context.Context, g *generation, mode schema.ExecutionMode) (outcome, error) {
	env := f.r.env
	shell := env.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, "-c", g.command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	cmd.WaitDelay = time.Second
	if !env.IsTerminal(env.Stdin) && !env.IsTerminal(env.Stdout) && !env.IsTerminal(env.Stderr) {
		detach(cmd)
	}

	// Ctrl-C reaches the command from the terminal; caro stays to record
	// how the session ended.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt)
	defer signal.Stop(sigc)

	start := env.Now()
	err := cmd.Run()
	took := env.Now().Sub(start)
	interrupted := len(sigc) > 0

	category := schema.ExitSuccess
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() == context.DeadlineExceeded:
		category = schema.ExitTimeout
	case errors.As(err, &exitErr):
		category = schema.ExitError
	default:
		// The shell did not start at all.
		category = schema.ExitError
		f.client.ErrorOccurred(sdk.ErrorOccurred{Category: schema.ErrExecution, Component: schema.ComponentExecution,
			Recoverable: sdk.Ptr(false)})
	}
	f.client.CommandExecuted(sdk.CommandExecuted{
		GenerationID:  g.id,
		Mode:          mode,
		Modified:      g.modified,
		ExitCategory:  category,
		ExecutionTime: &took,
	})
	switch {
	case interrupted:
		return outExecuted, &exitError{code: 130, msg: ""}
	case category == schema.ExitTimeout:
		return outExecuted, fail(ExitFailed, "the command did not finish within %s and was stopped (allow longer with --timeout)", f.timeout)
	case exitErr != nil:
		return outExecuted, fail(ExitFailed, "the command failed (%s)", exitStatus(exitErr))
	case err != nil:
		return outExecuted, fail(ExitFailed, "could not run the command with %s: %v", shell, err)
	}
	return outExecuted, nil
}

func exitStatus(e *exec.ExitError) string {
	if code := e.ExitCode(); code >= 0 {
		return "exit status " + strconv.Itoa(code)
	}
	return e.Error()
}

// writeYAML prints the result as YAML (a JSON string is a valid YAML
// scalar, so quoting is exact).
func writeYAML(w io.Writer, res shownResult) {
	q := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	if res.Command != "" {
		fmt.Fprintf(w, "command: %s\n", q(res.Command))
	}
	fmt.Fprintf(w, "backend: %s\n", q(res.Backend))
	if res.Model != "" {
		fmt.Fprintf(w, "model: %s\n", q(res.Model))
	}
	fmt.Fprintf(w, "risk_level: %s\n", q(res.RiskLevel))
	if res.PatternCategory != "" {
		fmt.Fprintf(w, "pattern_category: %s\n", q(res.PatternCategory))
	}
	fmt.Fprintf(w, "blocked: %t\n", res.Blocked)
}

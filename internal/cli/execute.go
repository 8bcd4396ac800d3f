package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

// execute runs the command with the user's shell ($SHELL -c, else
// /bin/sh), its streams connected to caro's, within the timeout. Only the
// exit category (success, error, timeout) is recorded, never the code or
// the output.
//
// A signal that interrupts the session (ctx's cause, see catchInterrupts)
// while the command runs, or ends the command, ends the session as
// interrupted once the command is over.
// Ctrl-C reaches a command on caro's terminal from the terminal itself, so
// caro only waits for it; every other signal caro passes on to the command
// (to its process group when it has one of its own), which is killed if it
// is still there a second later.
func (f *flow) execute(ctx context.Context, g *generation, mode schema.ExecutionMode) (outcome, error) {
	f.in.await()
	if it := interruptedBy(ctx); it != nil {
		return outInterrupted, it.exit() // before the command started: it does not
	}
	env := f.r.env
	shell := env.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	stopCtx, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stop(nil)
	execCtx, cancel := context.WithTimeout(stopCtx, f.timeout)
	defer cancel()
	cmd := exec.CommandContext(execCtx, shell, "-c", g.command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	cmd.WaitDelay = time.Second
	group := !env.IsTerminal(env.Stdin) && !env.IsTerminal(env.Stdout) && !env.IsTerminal(env.Stderr)
	if group {
		detach(cmd)
	}
	cmd.Cancel = func() error {
		var sig os.Signal = os.Kill // the timeout
		if it := interruptedBy(execCtx); it != nil {
			sig = it.sig
		}
		return signalCommand(cmd, sig, group)
	}

	start := env.Now()
	err := cmd.Start()
	if err == nil {
		passOn := context.AfterFunc(ctx, func() {
			if it := interruptedBy(ctx); it != nil && (it.sig != os.Interrupt || group) {
				stop(it)
			}
		})
		err = cmd.Wait()
		passOn()
	}
	took := env.Now().Sub(start)

	category := schema.ExitSuccess
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case execCtx.Err() == context.DeadlineExceeded:
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
	it := interruptedBy(ctx)
	if sig := killedBy(cmd.ProcessState); it == nil && sig != nil && category != schema.ExitTimeout {
		// Ctrl-C ended the command, whose end may reach caro before the
		// signal caro got at the same moment is through os/signal.
		it = &interruption{sig: sig}
	}
	if it != nil {
		return outInterrupted, it.exit()
	}
	switch {
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

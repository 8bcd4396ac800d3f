// Package cli is the caro command line: the flow that turns a request into
// a shell command (`caro [flags] "prompt"`), and the user controls of
// telemetry (`caro telemetry ...`, `caro config ...`).
//
// Everything the process touches comes in through Env (standard streams,
// environment, clock, HTTP client, version), so tests run Main in-process
// or as a real binary with the same code. Each command lives in its own
// file; the cobra tree is built anew by every Main call.
//
// Telemetry never changes caro's exit code or standard output: every
// telemetry problem of a run becomes at most one stderr line starting
// with "caro: warning: " (see warner).
package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"caro.sh/telemetry/sdk"
)

// Version is caro's release version, set at build time with
// -ldflags "-X caro.sh/telemetry/internal/cli.Version=1.2.0". Versions
// below 1.2.0 are the beta channel (telemetry opt-out), 1.2.0 and later GA
// (opt-in); see package consent.
var Version = "1.1.0"

// Exit codes of caro (docs/cli.md).
const (
	ExitOK       = 0 // the command was shown, or run and succeeded, or the user declined
	ExitFailed   = 1 // the executed command failed or timed out, or a control command failed
	ExitUsage    = 2 // a bad flag, argument, config key or value
	ExitNoResult = 3 // no command could be generated (backend error, nothing matched)
	ExitBlocked  = 4 // the safety check blocked the command
)

// Env is everything a caro run reads from or writes to its process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable.
	Getenv func(string) string
	// Now is the clock.
	Now func() time.Time
	// HTTPClient talks to the ollama and vllm backends and to the
	// telemetry endpoint (flush, delete-remote).
	HTTPClient *http.Client
	// Version is caro's version (the channel follows from it); empty means
	// the Version variable.
	Version string
	// IsTerminal reports whether a stream is a terminal; nil means
	// golang.org/x/term on *os.File streams.
	IsTerminal func(any) bool
	// TelemetryOptions are passed on to sdk.Start after caro's own (tests
	// pin the machine id; the caro binary sets none).
	TelemetryOptions []sdk.Option
	// Detach starts caro with args as a detached process that outlives
	// this one, its output going to logPath: the scheduled upload (see
	// scheduleUpload). It is called on a goroutine of its own, while the
	// run goes on. OSEnv sets StartDetached, whose process waits for this
	// one to exit before it begins (unix); nil starts nothing, so a test's
	// in-process run never spawns a process.
	Detach func(args []string, logPath string) error
}

// OSEnv is the Env of the real process.
func OSEnv() Env {
	return Env{
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		Now:        time.Now,
		HTTPClient: &http.Client{},
		Detach:     StartDetached,
	}
}

func (e *Env) fill() {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.HTTPClient == nil {
		e.HTTPClient = &http.Client{}
	}
	if e.Version == "" {
		e.Version = Version
	}
	if e.IsTerminal == nil {
		e.IsTerminal = isTerminal
	}
}

func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// interactive is true when a person can answer: stdin and stderr (where
// caro asks) are terminals.
func (e *Env) interactive() bool { return e.IsTerminal(e.Stdin) && e.IsTerminal(e.Stderr) }

// exitError ends a run with a code and a message ("" prints nothing).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

// Main runs caro with args (without the program name) and returns the
// process exit code.
func Main(args []string, env Env) int {
	env.fill()
	r := &run{env: env, warn: &warner{w: env.Stderr}, lines: &lineReader{r: env.Stdin}}
	root := r.rootCommand()
	root.SetArgs(args)
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintf(env.Stderr, "caro: %s\n", ee.msg)
		}
		return ee.code
	default:
		// cobra's own errors: unknown flags and commands, bad arguments.
		fmt.Fprintf(env.Stderr, "caro: %v\nRun 'caro --help' for usage.\n", err)
		return ExitUsage
	}
}

// warner prints at most one telemetry warning line per run, whoever
// reports first (config, consent, the SDK's background exporter).
type warner struct {
	once sync.Once
	mu   sync.Mutex
	w    io.Writer
}

func (w *warner) warn(msg string) {
	w.once.Do(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		fmt.Fprintf(w.w, "caro: warning: %s\n", oneLine(msg))
	})
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// signalContext is ctx cancelled by SIGINT or SIGTERM, for the commands
// that talk to the telemetry endpoint: the request in flight is abandoned
// and the events it carried stay pending.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// interruptSignals end a `caro "prompt"` session early: Ctrl-C, kill, and
// the terminal going away.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// interruption is the cause of a session's context when a signal ended it.
// As an error it ends the run with 128 + the signal's number (130 for
// Ctrl-C), as a shell reports a command that a signal stopped, and prints
// nothing.
type interruption struct{ sig os.Signal }

func (i *interruption) Error() string { return "interrupted by " + i.sig.String() }

func (i *interruption) exit() error {
	code := 130
	if s, ok := i.sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	return &exitError{code: code}
}

// interrupts is a session's handling of interruptSignals (catchInterrupts).
type interrupts struct {
	// ctx is cancelled, with an *interruption as its cause, by the first
	// signal.
	ctx   context.Context
	ready chan struct{} // closed once the signals are caught
	done  chan struct{} // closed by stop
}

// catchInterrupts catches interruptSignals for one session: the first
// cancels the session's context (its cause says which signal), and from
// then until stop no signal ends the process, so that the session records
// how it ended and exits on its own, at most sdk.DefaultShutdownTimeout
// later (a second Ctrl-C is ignored, not fatal).
//
// os/signal's first Notify in a process costs a few hundred microseconds
// (it starts the runtime's signal threads), more than the rest of caro's
// start-up, so it runs on a goroutine of its own, beside the session. A
// session calls await before anything that can block (a remote backend,
// a prompt, the command); before that a signal ends the process as it
// always did, before any event was written (events reach the disk at
// exit, or after a second).
func catchInterrupts(parent context.Context) *interrupts {
	ctx, cancel := context.WithCancelCause(parent)
	in := &interrupts{ctx: ctx, ready: make(chan struct{}), done: make(chan struct{})}
	go func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, interruptSignals...)
		close(in.ready)
		select {
		case s := <-c:
			cancel(&interruption{sig: s})
			<-in.done
		case <-in.done:
		}
		signal.Stop(c)
		cancel(nil)
	}()
	return in
}

// await returns once the signals are caught.
func (in *interrupts) await() { <-in.ready }

// stop ends the catching, in the background: it is the end of the run.
func (in *interrupts) stop() { close(in.done) }

// interruptedBy returns the signal that ended ctx's session, or nil.
func interruptedBy(ctx context.Context) *interruption {
	var i *interruption
	if errors.As(context.Cause(ctx), &i) {
		return i
	}
	return nil
}

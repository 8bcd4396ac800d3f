package cli

import (
	"context"
	"io"
	"strings"
)

// lineReader reads answers from stdin one byte at a time, never ahead:
// whatever follows the answer stays for the command caro runs.
type lineReader struct {
	r io.Reader
	// abandoned is set once a read was given up for a signal: its
	// goroutine may still take the next bytes, so no answer read after it
	// could be trusted (the session is ending anyway).
	abandoned bool
}

// readLine returns the next line without its newline. At the end of input
// it returns what it has and io.EOF.
func (l *lineReader) readLine() (string, error) {
	var b strings.Builder
	var one [1]byte
	for {
		n, err := l.r.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(one[0])
			continue
		}
		if err != nil {
			return b.String(), err
		}
	}
}

// readLineInterruptible is readLine that gives up when a signal
// interrupts the session (see catchInterrupts), returning "" and the
// *interruption. A blocking read cannot be cancelled, so it runs on a
// goroutine of its own, left behind.
func (l *lineReader) readLineInterruptible(in *interrupts) (string, error) {
	in.await()
	ctx := in.ctx
	if l.abandoned {
		return "", context.Cause(ctx)
	}
	type answer struct {
		line string
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		line, err := l.readLine()
		done <- answer{line, err}
	}()
	select {
	case a := <-done:
		return a.line, a.err
	case <-ctx.Done():
		l.abandoned = true
		return "", context.Cause(ctx)
	}
}

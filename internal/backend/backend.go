package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"caro.sh/telemetry/schema"
)

// Request is what the user asked for, and where the command will run.
type Request struct {
	// Prompt is the natural-language request. Backends never log it.
	Prompt string
	// Shell is the user's shell, as a base name such as "bash" or "zsh"
	// (a path or a ".exe" suffix is tolerated).
	Shell string
	// OS is the operating system family: "linux", "macos" ("darwin" is
	// accepted), "windows", "freebsd", ...
	OS string
	// Exclude lists the commands already offered for this prompt (the
	// user asked for another one). The static table then answers with a
	// command not in it, or ErrNoAlternative; a model answers anew.
	Exclude []string
}

// Result is a generated command and what the backend reported about it.
type Result struct {
	// Command is the shell command, one line, without Markdown.
	Command string
	// Backend is the backend that produced Command: with WithFallback it
	// tells whether the primary or the fallback answered.
	Backend schema.Backend
	// Model is the model that generated the command as the server names it
	// ("" when there is none, as for the static table). Servers may return
	// names with an organisation prefix (Qwen/Qwen2.5-Coder-1.5B-Instruct)
	// or a registry path; the telemetry field wants a plain model name.
	Model string
	// InputTokens and OutputTokens are the prompt and completion token
	// counts the server reported; 0 means unknown.
	InputTokens, OutputTokens int
	// Confidence is the geometric mean of the probabilities of the
	// generated tokens when the server returned log-probabilities, in
	// (0, 1]; 0 means unknown.
	Confidence float64
}

// Backend generates a shell command from a request. Implementations are
// safe for concurrent use. Generate respects ctx: its deadline is the
// inference timeout.
type Backend interface {
	Name() schema.Backend
	Generate(ctx context.Context, req Request) (Result, error)
}

// Errors that Classify maps to categories.
var (
	// ErrNoMatch: the static table has no entry for the prompt (or none for
	// the user's shell). Classify reports backend_model_error.
	ErrNoMatch = errors.New("no built-in command matches the request")
	// ErrNoAlternative: asked for another command (Request.Exclude), the
	// static table has no other entry that fits. Classify reports
	// backend_model_error.
	ErrNoAlternative = errors.New("no other built-in command matches the request")
	// ErrEmptyCommand: the server answered, but without a command.
	// Classify reports backend_parse_error.
	ErrEmptyCommand = errors.New("the backend answered without a command")
	// ErrBadResponse: the server's answer is not the JSON its API
	// promises. Classify reports backend_parse_error.
	ErrBadResponse = errors.New("the backend's response is not in the expected format")
)

// StatusError is an HTTP error status from an inference server (a model
// that is not installed, a bad request, a server failure). Classify reports
// backend_model_error.
type StatusError struct {
	Backend    schema.Backend
	StatusCode int
	// Message is the server's error message, shortened; it may name the
	// model but never contains the prompt.
	Message string
}

func (e *StatusError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s: server answered HTTP %d", e.Backend, e.StatusCode)
	}
	return fmt.Sprintf("%s: server answered HTTP %d: %s", e.Backend, e.StatusCode, e.Message)
}

// Classify maps a Generate error to the schema's error category:
//
//   - backend_timeout: the context's deadline passed, or a network
//     operation timed out;
//   - backend_connection_error: the server could not be reached or dropped
//     the connection (refused, reset, DNS failure, unreachable network, a
//     response cut short);
//   - backend_parse_error: the server's answer was not valid JSON of the
//     expected shape, or held no command (ErrBadResponse, ErrEmptyCommand);
//   - backend_model_error: the server answered with an HTTP error status
//     (StatusError: model not found, bad request, server failure), or the
//     static table has no match (ErrNoMatch, ErrNoAlternative);
//   - internal_error: anything else, including a cancelled context (the
//     user interrupted: callers should not report that as an error at all).
//
// Classify(nil) is "".
func Classify(err error) schema.ErrorCategory {
	if err == nil {
		return ""
	}
	var (
		status *StatusError
		netErr net.Error
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		dns    *net.DNSError
		op     *net.OpError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return schema.ErrBackendTimeout
	case errors.As(err, &status), errors.Is(err, ErrNoMatch), errors.Is(err, ErrNoAlternative):
		return schema.ErrBackendModel
	case errors.Is(err, ErrBadResponse), errors.Is(err, ErrEmptyCommand),
		errors.As(err, &syntax), errors.As(err, &typ):
		return schema.ErrBackendParse
	case errors.Is(err, context.Canceled):
		return schema.ErrInternal
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &dns), errors.As(err, &op), errors.Is(err, errTransport):
		return schema.ErrBackendConnection
	}
	return schema.ErrInternal
}

// errTransport marks a failure of the HTTP round trip that carries no
// more specific cause (a malformed HTTP response, a closed connection).
var errTransport = errors.New("HTTP transport failure")

// WithFallback returns a backend that asks primary and, when primary
// fails, calls onFallback with primary's error (if onFallback is not nil)
// and asks fallback. Result.Backend tells which one answered; Name reports
// primary's name, the configured backend. When both fail, the error is
// fallback's (what Classify then reports), with primary's in its message.
//
// A cancelled context (the user interrupted) is returned at once, without
// a fallback. A passed deadline is not: the static table answers
// immediately whatever the context, which is what a fallback after a
// timeout needs. A nil fallback returns primary itself.
func WithFallback(primary, fallback Backend, onFallback func(err error)) Backend {
	if fallback == nil {
		return primary
	}
	return &fallbackBackend{primary: primary, fallback: fallback, onFallback: onFallback}
}

type fallbackBackend struct {
	primary, fallback Backend
	onFallback        func(error)
}

func (f *fallbackBackend) Name() schema.Backend { return f.primary.Name() }

func (f *fallbackBackend) Generate(ctx context.Context, req Request) (Result, error) {
	res, err := f.primary.Generate(ctx, req)
	if err == nil {
		return res, nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
		return Result{}, err
	}
	if f.onFallback != nil {
		f.onFallback(err)
	}
	res, fbErr := f.fallback.Generate(ctx, req)
	if fbErr != nil {
		return Result{}, fmt.Errorf("%w (after %s failed: %v)", fbErr, f.primary.Name(), err)
	}
	return res, nil
}

package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"caro.sh/telemetry/schema"
)

func TestClassify(t *testing.T) {
	var syntaxErr *json.SyntaxError
	json.Unmarshal([]byte("{"), new(any))
	if err := json.Unmarshal([]byte("{x"), new(any)); !errors.As(err, &syntaxErr) {
		t.Fatal("test setup: no syntax error")
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	cases := []struct {
		name string
		err  error
		want schema.ErrorCategory
	}{
		{"no error has no category", nil, ""},
		{"a passed deadline is a timeout", context.DeadlineExceeded, schema.ErrBackendTimeout},
		{"a deadline inside a url.Error is a timeout", &url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}, schema.ErrBackendTimeout},
		{"a network timeout is a timeout", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, schema.ErrBackendTimeout},
		{"a DNS timeout is a timeout", &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, schema.ErrBackendTimeout},
		{"a refused connection is a connection error", fmt.Errorf("ollama: %w", &url.Error{Op: "Post", URL: "http://x", Err: refused}), schema.ErrBackendConnection},
		{"a reset connection is a connection error", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, schema.ErrBackendConnection},
		{"an unknown host is a connection error", &net.DNSError{Err: "no such host", Name: "ollama.invalid", IsNotFound: true}, schema.ErrBackendConnection},
		{"an unreachable network is a connection error", os.NewSyscallError("connect", syscall.ENETUNREACH), schema.ErrBackendConnection},
		{"a response cut short is a connection error", io.ErrUnexpectedEOF, schema.ErrBackendConnection},
		{"a transport failure is a connection error", fmt.Errorf("vllm: %w: malformed HTTP response", errTransport), schema.ErrBackendConnection},
		{"invalid JSON is a parse error", syntaxErr, schema.ErrBackendParse},
		{"a bad response is a parse error", fmt.Errorf("%w: ollama: x", ErrBadResponse), schema.ErrBackendParse},
		{"an empty command is a parse error", ErrEmptyCommand, schema.ErrBackendParse},
		{"an HTTP 404 is a model error", &StatusError{Backend: schema.BackendOllama, StatusCode: 404}, schema.ErrBackendModel},
		{"an HTTP 500 is a model error", fmt.Errorf("wrapped: %w", &StatusError{Backend: schema.BackendVLLM, StatusCode: 500}), schema.ErrBackendModel},
		{"no static match is a model error", ErrNoMatch, schema.ErrBackendModel},
		{"a cancellation is internal, not a backend failure", context.Canceled, schema.ErrInternal},
		{"an unknown error is internal", errors.New("boom"), schema.ErrInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Classify(c.err); got != c.want {
				t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
			}
			if c.want != "" && schema.CodeOf(c.want) == "" {
				t.Errorf("%s has no schema error code", c.want)
			}
		})
	}
}

// fake is a scripted backend.
type fake struct {
	name  schema.Backend
	res   Result
	err   error
	calls int
}

func (f *fake) Name() schema.Backend { return f.name }
func (f *fake) Generate(ctx context.Context, _ Request) (Result, error) {
	f.calls++
	if f.err != nil {
		return Result{}, f.err
	}
	return f.res, nil
}

func TestWithFallback(t *testing.T) {
	okPrimary := func() *fake {
		return &fake{name: schema.BackendOllama, res: Result{Command: "ls", Backend: schema.BackendOllama}}
	}
	failing := func(err error) *fake { return &fake{name: schema.BackendOllama, err: err} }
	static := func() *fake {
		return &fake{name: schema.BackendStatic, res: Result{Command: "ls -la", Backend: schema.BackendStatic}}
	}
	cases := []struct {
		name         string
		primary      *fake
		fallback     *fake
		ctxCancelled bool
		wantBackend  schema.Backend
		wantFallback bool
		wantCat      schema.ErrorCategory
	}{
		{"a working primary answers alone", okPrimary(), static(), false, schema.BackendOllama, false, ""},
		{"a timed-out primary falls back", failing(context.DeadlineExceeded), static(), false, schema.BackendStatic, true, ""},
		{"a refused primary falls back", failing(syscall.ECONNREFUSED), static(), false, schema.BackendStatic, true, ""},
		{"a missing model falls back", failing(&StatusError{StatusCode: 404}), static(), false, schema.BackendStatic, true, ""},
		{"when both fail the fallback's error is reported", failing(syscall.ECONNREFUSED), &fake{name: schema.BackendStatic, err: ErrNoMatch}, false, "", true, schema.ErrBackendModel},
		{"a cancelled request does not fall back", failing(context.Canceled), static(), true, "", false, schema.ErrInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen []error
			b := WithFallback(c.primary, c.fallback, func(err error) { seen = append(seen, err) })
			if b.Name() != schema.BackendOllama {
				t.Errorf("Name() = %s, want the primary's", b.Name())
			}
			ctx, cancel := context.WithCancel(context.Background())
			if c.ctxCancelled {
				cancel()
			}
			defer cancel()
			res, err := b.Generate(ctx, testReq)
			if (len(seen) == 1) != c.wantFallback || (c.fallback.calls == 1) != c.wantFallback {
				t.Errorf("onFallback calls %d, fallback calls %d, want fallback %v", len(seen), c.fallback.calls, c.wantFallback)
			}
			if c.wantFallback && !errors.Is(seen[0], c.primary.err) {
				t.Errorf("onFallback got %v, want the primary's error", seen[0])
			}
			if c.wantCat != "" {
				if got := Classify(err); got != c.wantCat {
					t.Errorf("Classify(%v) = %s, want %s", err, got, c.wantCat)
				}
				return
			}
			if err != nil || res.Backend != c.wantBackend {
				t.Errorf("Generate = %+v, %v; want backend %s", res, err, c.wantBackend)
			}
		})
	}
}

func TestWithFallbackOfRealBackends(t *testing.T) {
	t.Run("an unreachable Ollama falls back to the static table", func(t *testing.T) {
		var fellBack error
		b := WithFallback(NewOllama(refusedURL(t), "m", nil), NewStatic(), func(err error) { fellBack = err })
		res, err := b.Generate(context.Background(), Request{Prompt: "list files", Shell: "bash", OS: "linux"})
		if err != nil || res.Command != "ls -la" || res.Backend != schema.BackendStatic {
			t.Fatalf("Generate = %+v, %v", res, err)
		}
		if Classify(fellBack) != schema.ErrBackendConnection {
			t.Errorf("fallback cause %v classified %s", fellBack, Classify(fellBack))
		}
	})
	t.Run("a nil fallback leaves the primary alone", func(t *testing.T) {
		p := NewStatic()
		if WithFallback(p, nil, nil) != p {
			t.Error("WithFallback(p, nil) is not p")
		}
	})
}

func TestCleanCommand(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a bare command is kept", "ls -la", "ls -la"},
		{"surrounding whitespace goes", "\n  ls -la  \n", "ls -la"},
		{"a fenced block with a language tag gives its body", "```bash\nls -la\n```", "ls -la"},
		{"a fenced block without a tag gives its body", "```\ndf -h\n```", "df -h"},
		{"prose around a fenced block goes", "Sure! Use this:\n```sh\ndu -sh *\n```\nThis shows sizes.", "du -sh *"},
		{"a one-line fence gives its content", "```ps aux```", "ps aux"},
		{"inline backticks go", "`git status`", "git status"},
		{"a dollar prompt goes", "$ uname -a", "uname -a"},
		{"a reasoning block goes", "<think>files... ls</think>\nls -la", "ls -la"},
		{"an unterminated reasoning block is all reasoning", "ls\n<think>maybe", "ls"},
		{"a prose line ending with a colon goes", "The command is:\nfind . -name '*.go'", "find . -name '*.go'"},
		{"only the first command line is kept", "ls -la\nThis lists all files, including hidden ones.", "ls -la"},
		{"backslash continuations are kept", "find . \\\n  -name x", "find . \\\n-name x"},
		{"a JSON answer with cmd is unwrapped", `{"cmd": "ls -la"}`, "ls -la"},
		{"a JSON answer with command is unwrapped", "```json\n{\"command\": \"pwd\"}\n```", "pwd"},
		{"backticks inside a command stay", "echo `date`", "echo `date`"},
		{"an empty answer stays empty", "   ", ""},
		{"an empty fence is empty", "```bash\n```", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cleanCommand(c.in); got != c.want {
				t.Errorf("cleanCommand(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func FuzzCleanCommand(f *testing.F) {
	for _, s := range []string{"ls", "```bash\nls\n```", "<think>x</think>ls", `{"cmd":"x"}`, "$ a\nb", "`x`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := cleanCommand(in)
		if out != "" && cleanCommand(out) == "" {
			t.Fatalf("a cleaned command cleans to nothing: %q -> %q", in, out)
		}
	})
}

func FuzzStatic(f *testing.F) {
	for _, tk := range tasks {
		f.Add(tk.example, "bash", "linux")
	}
	f.Add(`kill the process named "x; rm -rf /"`, "zsh", "macos")
	f.Fuzz(func(t *testing.T, prompt, shell, osName string) {
		res, err := NewStatic().Generate(context.Background(), Request{Prompt: prompt, Shell: shell, OS: osName})
		if err != nil {
			if !errors.Is(err, ErrNoMatch) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if res.Command == "" || res.Backend != schema.BackendStatic {
			t.Fatalf("result %+v", res)
		}
		// Whatever the prompt, a value it contributes is one shell word:
		// the command never gains a separator outside single quotes that
		// the template did not have.
		tk, _ := match(prompt)
		tmpl := tk.variant(normOS(osName), shellOf(Request{Shell: shell, OS: osName}))
		if countUnquoted(res.Command) != countUnquoted(slotRe.ReplaceAllString(tmpl, "x")) {
			t.Fatalf("prompt %q changed the command's structure: %q from %q", prompt, res.Command, tmpl)
		}
	})
}

// countUnquoted counts shell metacharacters outside single quotes.
func countUnquoted(s string) int {
	n, in := 0, false
	for _, r := range s {
		switch {
		case r == '\'':
			in = !in
		case !in && (r == ';' || r == '&' || r == '|' || r == '`' || r == '$' || r == '>' || r == '<' || r == '\n'):
			n++
		}
	}
	return n
}

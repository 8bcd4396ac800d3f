package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/internal/cli"
	"caro.sh/telemetry/sdk"
)

var update = flag.Bool("update", false, "rewrite the golden output in testdata/script/*.txtar")

// Fixed inputs of the test entry points, so that stored events (session id,
// timestamps, durations) are the same on every machine and every run.
var (
	testNow       = time.Date(2025, 12, 30, 10, 15, 30, 123e6, time.UTC)
	testMachineID = "caro-test-machine-0001"
)

// testEnv is the real process environment with a fixed clock and machine
// id. The shipped binary (main) has neither; nothing else differs.
func testEnv(version string) cli.Env {
	env := cli.OSEnv()
	env.Version = version
	env.Now = func() time.Time { return testNow }
	env.TelemetryOptions = []sdk.Option{sdk.WithMachineID(testMachineID)}
	env.Detach = recordDetach
	return env
}

// recordDetach stands in for the detached upload process in the test
// entry points: it appends the command line to $CARO_TEST_DETACH_LOG, so
// that scripts see when caro would start an upload, and starts nothing
// (the scripts' default endpoint is the real one; e2e runs the real
// detached process against a loopback server).
func recordDetach(args []string, logPath string) error {
	path := os.Getenv("CARO_TEST_DETACH_LOG")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "caro %s > %s\n", strings.Join(args, " "), logPath)
	return err
}

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// caro is a beta build (the default Version), caro-ga a GA build.
		"caro":    func() { os.Exit(cli.Main(os.Args[1:], testEnv(""))) },
		"caro-ga": func() { os.Exit(cli.Main(os.Args[1:], testEnv("1.2.0"))) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			e.Setenv("HOME", home)
			e.Setenv("SHELL", "/bin/sh")
			e.Setenv("TZ", "UTC")
			e.Setenv("CARO_TEST_DETACH_LOG", filepath.Join(e.WorkDir, "detached.log"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fake-ollama":        fakeServer(ollamaHandler),
			"fake-vllm":          fakeServer(vllmHandler),
			"mode":               cmdMode,
			"verify-export":      cmdVerifyExport,
			"scrub":              cmdScrub,
			"otlp-server":        cmdOTLPServer,
			"otlp-received":      cmdOTLPReceived,
			"silent-listener":    cmdSilentListener,
			"silent-connections": cmdSilentConnections,
		},
	})
}

// fakeServer starts an httptest server speaking a backend's real API and
// sets $URL to it: `fake-ollama [-status N] [-sleep D] COMMAND` answers
// every generation with COMMAND (or fails with status N), and appends
// each request body (and its Authorization header, if any) to
// $WORK/requests.log.
func fakeServer(handler func(reply string, log func([]byte)) http.HandlerFunc) func(*testscript.TestScript, bool, []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg {
			ts.Fatalf("unsupported: ! fake server")
		}
		status, sleep, reply := 0, time.Duration(0), ""
		for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args) > 1 {
			switch args[0] {
			case "-status":
				status, _ = strconv.Atoi(args[1])
			case "-sleep":
				sleep, _ = time.ParseDuration(args[1])
			default:
				ts.Fatalf("unknown flag %s", args[0])
			}
			args = args[2:]
		}
		reply = strings.Join(args, " ")
		var mu sync.Mutex
		logPath := ts.MkAbs("requests.log")
		logBody := func(b []byte) {
			mu.Lock()
			defer mu.Unlock()
			f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err == nil {
				f.Write(append(b, '\n'))
				f.Close()
			}
		}
		h := handler(reply, logBody)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sleep > 0 {
				time.Sleep(sleep)
			}
			if status != 0 {
				http.Error(w, `{"error":"model crashed"}`, status)
				return
			}
			if auth := r.Header.Get("Authorization"); auth != "" {
				logBody([]byte("authorization: " + auth))
			}
			h(w, r)
		}))
		ts.Defer(srv.Close)
		ts.Setenv("URL", srv.URL)
	}
}

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// ollamaHandler speaks Ollama's /api/chat and /api/generate (non-streaming).
func ollamaHandler(reply string, log func([]byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r)
		log(body)
		var req struct {
			Model string `json:"model"`
		}
		json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/chat":
			json.NewEncoder(w).Encode(map[string]any{
				"model": req.Model, "created_at": "2025-12-30T10:15:31Z",
				"message": map[string]any{"role": "assistant", "content": reply},
				"done":    true, "done_reason": "stop",
				"prompt_eval_count": 45, "eval_count": 23,
			})
		case "/api/generate":
			json.NewEncoder(w).Encode(map[string]any{
				"model": req.Model, "created_at": "2025-12-30T10:15:31Z", "response": reply,
				"done": true, "done_reason": "stop", "prompt_eval_count": 45, "eval_count": 23,
			})
		default:
			http.NotFound(w, r)
		}
	}
}

// vllmHandler speaks the OpenAI-compatible /v1/chat/completions of vLLM.
func vllmHandler(reply string, log func([]byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r)
		log(body)
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model string `json:"model"`
		}
		json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1767089731, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": reply}}},
			"usage": map[string]any{"prompt_tokens": 45, "completion_tokens": 23, "total_tokens": 68},
		})
	}
}

// cmdMode checks a file's permission bits: `mode 0600 path`.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode PERM PATH")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := uint64(fi.Mode().Perm())
	if (got == want) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// cmdVerifyExport reads an export file with the export package (gzip,
// envelope, checksum) and prints a summary to stdout for matching: the
// envelope, then one line per event, its name (and a deletion request's
// session ids: their number, and whether they are the test machine's).
func cmdVerifyExport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: verify-export PATH")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	env, err := exportfile.Read(f, 0)
	if (err != nil) != neg {
		ts.Fatalf("exportfile.Read: %v", err)
	}
	if err != nil {
		return
	}
	names := make([]string, 0, len(env.Events))
	for _, e := range env.Events {
		var ev struct {
			Event      string   `json:"event"`
			SessionIDs []string `json:"session_ids"`
		}
		ts.Check(json.Unmarshal(e, &ev))
		if n := len(ev.SessionIDs); n > 0 {
			ev.Event += fmt.Sprintf(" %d ids", n)
			if slices.Equal(ev.SessionIDs, testDeletionIDs()) {
				ev.Event += " (this machine's, 180 days)"
			}
		}
		names = append(names, ev.Event)
	}
	fmt.Fprintf(ts.Stdout(), "version %s caro %s events %d checksum %s\n%s\n",
		env.ExportVersion, env.CaroVersion, env.EventCount, env.Checksum, strings.Join(names, "\n"))
}

// Values that differ on every run even with a fixed clock: generation ids
// (random UUIDs) and the platform of the machine running the tests.
var scrubs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`), "UUID"},
	{regexp.MustCompile(`("?platform\.?arch"?: ?)"[a-z0-9_]+"`), `$1"ARCH"`},
	{regexp.MustCompile(`("arch": ?)"[a-z0-9_]+"`), `$1"ARCH"`},
}

// cmdScrub prints a file (stdout, stderr or a path) with run-specific
// values replaced, as its own stdout, for `cmp stdout golden` (which
// -update can rewrite): `scrub stdout`.
func cmdScrub(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: scrub stdout|stderr|FILE")
	}
	data := ts.ReadFile(args[0])
	data = strings.ReplaceAll(data, ts.Getenv("WORK"), "$WORK")
	for _, s := range scrubs {
		data = s.re.ReplaceAllString(data, s.with)
	}
	io.WriteString(ts.Stdout(), data)
}

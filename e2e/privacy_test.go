//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/internal/otelcoltest"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

// The privacy end-to-end test: hostile inputs (prompts full of paths,
// secrets and addresses, hostile model names, hostile edits, and model
// servers that echo all of it back) go through every way caro can be
// driven; then every place where telemetry keeps, shows or sends data is
// searched for any 6-character piece of any input. The paths are in
// privacy_paths_test.go, the places reached over the network (the OTLP
// bytes on the wire, the collector's store) in privacy_upload_test.go.

// window is the length of the pieces of each input searched for: no run
// of this many characters of any input may appear in what telemetry keeps.
const window = 6

// home is a throw-away user: HOME, XDG folders and config.toml.
type home struct {
	dir, config, cache string
}

// newHome makes an air-gapped user whose backends are the model server at
// llmURL (Ollama's and vLLM's API on one server), and whose $SHELL is the
// guard shell (guardShell) when guard is set.
func newHome(t *testing.T, llmURL string, guard bool) home {
	t.Helper()
	dir := t.TempDir()
	h := home{dir: dir, config: filepath.Join(dir, "config"), cache: filepath.Join(dir, "cache")}
	if err := os.MkdirAll(filepath.Join(h.config, "caro"), 0o700); err != nil {
		t.Fatal(err)
	}
	// Air-gapped: the spool is what an upload would send (the upload is
	// made from a copy, see uploadCopy), and no background upload may reach
	// the real endpoint or mark the events transmitted under the test's feet.
	cfg := fmt.Sprintf("[telemetry]\nenabled = true\nlevel = \"detailed\"\nair_gapped = true\n\n"+
		"[backend]\nollama_url = %q\nvllm_url = %q\n", llmURL, llmURL)
	if err := os.WriteFile(filepath.Join(h.config, "caro", "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if guard {
		if err := os.MkdirAll(filepath.Dir(h.guard()), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.guard(), []byte(guardShell), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// guardShell is the $SHELL of the privacy test's users: caro runs what it
// executes with $SHELL -c, and the inputs hold real destructive commands
// (rm -rf /, dd of=/dev/sda), typed raw into the edit prompt. The guard
// runs only the commands the test builds, whose input is single-quoted
// with its own quotes removed (quoted), and refuses anything else, so a
// mistake of the test's pty dialogue cannot run an input. Its name is sh,
// so that caro records platform.shell = sh as with /bin/sh.
const guardShell = `#!/bin/sh
case "$2" in
"printf '%s\n' '"*) exec /bin/sh -c "$2" ;;
esac
echo "guard shell: refused to run a command the privacy test did not build" >&2
exit 126
`

func (h home) guard() string { return filepath.Join(h.dir, "guard", "sh") }

// environ is the clean environment of caro's runs (no CI, no DO_NOT_TRACK
// from the machine running the tests).
func (h home) environ() []string {
	shell := "/bin/sh"
	if _, err := os.Stat(h.guard()); err == nil {
		shell = h.guard()
	}
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir, "XDG_CONFIG_HOME=" + h.config,
		"XDG_CACHE_HOME=" + h.cache, "SHELL=" + shell, "LANG=C.UTF-8"}
}

// command is caro with args as a real process of this user, stdin empty.
func (h home) command(args ...string) *exec.Cmd {
	cmd := exec.Command(caroBin, args...)
	cmd.Dir = h.dir
	cmd.Env = h.environ()
	cmd.Stdin = strings.NewReader("")
	return cmd
}

// caro runs the binary and returns what it printed and its exit code.
func (h home) caro(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := h.command(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run caro %q: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// ollamaServer speaks Ollama's /api/chat and answers with a command that
// embeds the user's whole request (the start-up benchmarks' server; the
// privacy test's is fakeLLM).
func ollamaServer(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat" {
			http.NotFound(w, r)
			return
		}
		model, prompt, ok := readChat(w, r)
		if !ok {
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"model":             model,
			"message":           map[string]string{"role": "assistant", "content": quoted(prompt) + " >/dev/null"},
			"done":              true,
			"prompt_eval_count": 45,
			"eval_count":        23,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// readChat reads a chat request, Ollama's or OpenAI's (the same JSON in
// the parts these servers use): the model and the last message's text. It
// answers 400 and returns false when the body is not one.
func readChat(w http.ResponseWriter, r *http.Request) (model, prompt string, ok bool) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role, Content string
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return "", "", false
	}
	return req.Model, req.Messages[len(req.Messages)-1].Content, true
}

// quoted is a harmless command that carries text: printf of it,
// single-quoted, its own single quotes and line breaks removed so that
// nothing of it is shell syntax. The guard shell runs only these.
func quoted(text string) string {
	return "printf '%s\\n' '" + strings.NewReplacer("'", "", "\n", " ", "\r", " ").Replace(text) + "'"
}

func readPrompts(t *testing.T) []string {
	f, err := os.Open(filepath.Join("testdata", "privacy_prompts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// hostileModels are model names a user might pass with --model: paths,
// addresses and tokens, and local models named after a password, a key, a
// token, a host or a phone number (recorded as custom, never by name).
var hostileModels = []string{"/home/alice/models/qwen2.5-coder-7b.gguf", "alice@example.com",
	"qwen2.5:7b token=9f8e7d6c5b4a3928", "http://10.1.2.3:11434/llama3",
	"hunter2", "sk_live_abc123", "ghp_abc123xyz", "DESKTOP-7Q2KX9L", "415-555-0132"}

// The control run: benign requests and model names through the same
// paths. What it leaves behind is structure (SQL table names, JSON keys,
// show's labels, OTLP's framing), not anything a sensitive input caused.
var (
	benignPrompts = []string{"list files", "show disk usage", "count lines in files", "show running processes",
		"what is the current date", "show memory usage", "list files sorted by size", "show the load average",
		"print the working directory", "count the words in a file", "show the kernel version", "list open ports"}
	benignModels = []string{"llama3.2:3b", "my-local-model", "qwen2.5-coder:7b"}
)

// place is one place where telemetry keeps, shows or sends data, as the
// bytes searched.
type place struct {
	name string
	data []byte
	// skip, when set, says why the place could not be looked at.
	skip string
	// binary marks a database file: there a schema word (an enum value)
	// stands right next to the bytes of a number or a record header, so a
	// window that is a schema word but for its first or last character is
	// that adjacency, not a leak.
	binary bool
}

// generatedIDs match the identifiers telemetry makes itself (generation
// and event UUIDs, the export checksum) and the times a store keeps with
// nanoseconds: random or hashed hex and digits, in which a 6-character run
// of hex or digits from an input turns up by chance (a few times in a
// hundred runs). They are replaced before the search; a 32-hex secret
// from an input has no dashes and so is still searched for.
var generatedIDs = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|sha256:[0-9a-f]{64}|` +
	`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z`)

// scrub blanks the generated identifiers and the user's session ids (the
// hashes of the machine id and each UTC day of the test). Only the ids
// caro must have made are blanked: a session_id that carried 16 hex of an
// input would be searched like the rest.
func scrub(hay []byte, sessionIDs []string) []byte {
	hay = generatedIDs.ReplaceAll(hay, []byte("<id>"))
	for _, id := range sessionIDs {
		hay = bytes.ReplaceAll(hay, []byte(id), []byte("<session>"))
	}
	return hay
}

// sessionIDs are the session ids h's runs made from started until now.
func sessionIDs(t *testing.T, h home, started time.Time) []string {
	t.Helper()
	id, err := sdk.MachineID(sdk.Dirs{Config: filepath.Join(h.config, "caro"), Cache: filepath.Join(h.cache, "caro")})
	if err != nil {
		t.Fatal(err)
	}
	return sdk.SessionIDsSince(id, started, time.Now())
}

// vocabulary is what may appear whatever the input: the schema's event
// names, field keys and enum values.
func vocabulary() []string {
	var v []string
	for _, e := range schema.Events() {
		v = append(v, e.Name)
		for _, f := range e.Fields {
			v = append(v, f.Key)
			v = append(v, f.Enum...)
		}
	}
	return v
}

func inVocabulary(w string, vocab []string) bool {
	for _, v := range vocab {
		if strings.Contains(v, w) {
			return true
		}
	}
	return false
}

// TestNoInputReachesTelemetry: no 6-character piece of any hostile input
// (the prompts of testdata/privacy_prompts.txt, hostileModels), gone through the static backend, Ollama's
// and vLLM's APIs, a failing and a stalling model server, --yes,
// --timeout, SIGINT during generation, and the terminal's edit,
// regenerate and Ctrl-C, appears in any place telemetry keeps, shows or
// sends: the spool, show, status, the export file, the OTLP bytes of an
// upload and the collector's store after it. Pieces that a control run of
// benign inputs through the same paths leaves too (structure) or that are
// schema words are excused.
func TestNoInputReachesTelemetry(t *testing.T) {
	if testing.Short() {
		t.Skip("runs caro about two thousand times")
	}
	prompts := readPrompts(t)
	if len(prompts) < 100 {
		t.Fatalf("%d prompts, want at least 100", len(prompts))
	}
	llm := newFakeLLM(t)
	otelcol := otelcoltest.Path(t)

	control, _ := session(t, "control", llm, otelcol, benignPrompts, benignModels)
	var baseline []byte
	for _, p := range control {
		baseline = append(baseline, p.data...)
	}
	places, inputs := session(t, "hostile", llm, otelcol, prompts, hostileModels)

	vocab := vocabulary()
	var windows []string
	seen := map[string]bool{}
	excused := 0
	for _, in := range inputs {
		for i := 0; i+window <= len(in); i++ {
			w := in[i : i+window]
			if seen[w] {
				continue
			}
			seen[w] = true
			if inVocabulary(w, vocab) || bytes.Contains(baseline, []byte(w)) {
				excused++
				continue
			}
			windows = append(windows, w)
		}
	}
	t.Logf("%d inputs, %d distinct windows of %d characters, %d excused as schema words or structure",
		len(inputs), len(seen), window, excused)
	for _, p := range places {
		t.Run(p.name, func(t *testing.T) {
			if p.skip != "" {
				t.Skip(p.skip)
			}
			if len(p.data) == 0 {
				t.Fatal("nothing to search: the place is empty")
			}
			leaks := map[string]bool{}
			for _, w := range windows {
				if p.binary && (inVocabulary(w[1:], vocab) || inVocabulary(w[:len(w)-1], vocab)) {
					continue
				}
				if bytes.Contains(p.data, []byte(w)) {
					leaks[w] = true
				}
			}
			for _, in := range inputs {
				var found []string
				for i := 0; i+window <= len(in); i++ {
					if w := in[i : i+window]; leaks[w] {
						found = append(found, w)
						delete(leaks, w)
					}
				}
				if len(found) > 0 {
					t.Errorf("%s holds %q of input %q", p.name, found, in)
				}
			}
		})
	}
}

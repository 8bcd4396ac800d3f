package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"caro.sh/telemetry/schema"
)

// window is the length of the pieces of each input searched for: no run
// of this many characters of any input may appear in what telemetry keeps.
const window = 6

// home is a throw-away user: HOME, XDG folders and config.toml.
type home struct {
	dir, config, cache string
}

func newHome(t *testing.T, ollamaURL string) home {
	t.Helper()
	dir := t.TempDir()
	h := home{dir: dir, config: filepath.Join(dir, "config"), cache: filepath.Join(dir, "cache")}
	if err := os.MkdirAll(filepath.Join(h.config, "caro"), 0o700); err != nil {
		t.Fatal(err)
	}
	// Air-gapped: the spool is what an upload would send (upload_test.go
	// covers sending), and no background upload may reach the real
	// endpoint or mark the events transmitted under the test's feet.
	cfg := fmt.Sprintf("[telemetry]\nenabled = true\nlevel = \"detailed\"\nair_gapped = true\n\n[backend]\nollama_url = %q\n", ollamaURL)
	if err := os.WriteFile(filepath.Join(h.config, "caro", "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// caro runs the binary as a real process with a clean environment (no CI,
// no DO_NOT_TRACK from the machine running the tests).
func (h home) caro(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(caroBin, args...)
	cmd.Dir = h.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir, "XDG_CONFIG_HOME=" + h.config,
		"XDG_CACHE_HOME=" + h.cache, "SHELL=/bin/sh", "LANG=C.UTF-8"}
	cmd.Stdin = strings.NewReader("")
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
// embeds the user's whole request, from a model whose name may be hostile:
// the worst a real model could do.
func ollamaServer(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role, Content string
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		prompt := req.Messages[len(req.Messages)-1].Content
		safe := strings.NewReplacer("'", "", "\n", " ").Replace(prompt)
		json.NewEncoder(w).Encode(map[string]any{
			"model":             req.Model,
			"message":           map[string]string{"role": "assistant", "content": "printf '%s\\n' '" + safe + "' >/dev/null"},
			"done":              true,
			"prompt_eval_count": 45,
			"eval_count":        23,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
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

// session runs every prompt through the static backend, the Ollama
// backend, hostile model names and --yes execution, then gathers every
// place telemetry keeps or shows data: the spool files, show --json,
// show --verbose, status and the gunzipped export file.
func session(t *testing.T, h home, prompts []string) (haystack []byte, stored int) {
	t.Helper()
	for i, p := range prompts {
		h.caro(t, p)
		h.caro(t, "--backend", "ollama", p)
		if i%5 == 0 {
			h.caro(t, "--backend", "ollama", "--model", hostileModels[i%len(hostileModels)], p)
		}
		if i%7 == 0 {
			h.caro(t, "--backend", "ollama", "--yes", p)
		}
	}
	var hay bytes.Buffer
	show, _, code := h.caro(t, "telemetry", "show", "--json", "--limit", "0")
	if code != 0 {
		t.Fatalf("show --json exit %d", code)
	}
	var shown []json.RawMessage
	if err := json.Unmarshal([]byte(show), &shown); err != nil {
		t.Fatalf("show --json is not a JSON array: %v", err)
	}
	hay.WriteString(show)
	verbose, _, _ := h.caro(t, "telemetry", "show", "--verbose", "--limit", "0")
	hay.WriteString(verbose)
	status, _, _ := h.caro(t, "telemetry", "status")
	hay.WriteString(status)

	// The spool files, read before export so nothing is cleared yet.
	files, _ := filepath.Glob(filepath.Join(h.cache, "caro", "*"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			hay.Write(b)
		}
	}
	exportPath := filepath.Join(h.dir, "export.json.gz")
	if _, _, code := h.caro(t, "telemetry", "export", "--output", exportPath); code != 0 {
		t.Fatalf("export exit %d", code)
	}
	gz, err := os.Open(exportPath)
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	hay.Write(exported)
	return scrubIDs(hay.Bytes(), shown), len(shown)
}

// generatedIDs match the identifiers telemetry makes itself (generation
// and event UUIDs, the export checksum): random or hashed hex, in which a
// 6-character run of hex from an input turns up by chance (a few times in
// a hundred runs). They are replaced before the search; a 32-hex secret
// from an input has no dashes and so is still searched for.
var generatedIDs = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|sha256:[0-9a-f]{64}`)

// scrubIDs blanks the generated identifiers and the session ids that the
// stored events carry (hashes of the machine id and the date).
func scrubIDs(hay []byte, shown []json.RawMessage) []byte {
	hay = generatedIDs.ReplaceAll(hay, []byte("<id>"))
	seen := map[string]bool{}
	for _, raw := range shown {
		var ev struct {
			SessionID string `json:"session_id"`
		}
		if json.Unmarshal(raw, &ev) == nil && len(ev.SessionID) == 16 && !seen[ev.SessionID] {
			seen[ev.SessionID] = true
			hay = bytes.ReplaceAll(hay, []byte(ev.SessionID), []byte("<session>"))
		}
	}
	return hay
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

func TestNoInputReachesTelemetry(t *testing.T) {
	if testing.Short() {
		t.Skip("runs caro several hundred times")
	}
	prompts := readPrompts(t)
	if len(prompts) < 100 {
		t.Fatalf("%d prompts, want at least 100", len(prompts))
	}
	srv := ollamaServer(t)

	// The control run: benign requests through the same paths. What it
	// leaves behind is structure (SQL table names, JSON keys, show's
	// labels), not anything a sensitive input caused.
	control := newHome(t, srv.URL)
	baseline, _ := session(t, control, []string{"list files", "show disk usage", "count lines in files",
		"show running processes", "what is the current date", "show memory usage", "list files sorted by size"})

	h := newHome(t, srv.URL)
	hay, stored := session(t, h, prompts)
	// Non-vacuous: telemetry really recorded these sessions.
	if stored < 2*len(prompts) {
		t.Fatalf("only %d events stored for %d prompts: the test would prove nothing", stored, len(prompts))
	}
	vocab := vocabulary()
	inputs := append(append([]string{}, prompts...), hostileModels...)
	var checked, excused int
	leaks := map[string]string{}
	for _, in := range inputs {
		for i := 0; i+window <= len(in); i++ {
			w := in[i : i+window]
			checked++
			if inVocabulary(w, vocab) || bytes.Contains(baseline, []byte(w)) {
				excused++
				continue
			}
			if bytes.Contains(hay, []byte(w)) {
				leaks[w] = in
			}
		}
	}
	t.Logf("%d prompts, %d events stored, %d windows of %d characters checked, %d excused as schema words or structure",
		len(prompts), stored, checked, window, excused)
	for w, in := range leaks {
		t.Errorf("%q of input %q appears in telemetry output", w, in)
	}
}

func inVocabulary(w string, vocab []string) bool {
	for _, v := range vocab {
		if strings.Contains(v, w) {
			return true
		}
	}
	return false
}

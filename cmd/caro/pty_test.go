package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/internal/consent"
)

// session runs this test binary as caro (or caro-ga) on a pseudo-terminal,
// stdin, stdout and stderr all attached to it, as a person runs it.
type session struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File

	mu   sync.Mutex
	out  bytes.Buffer
	seen int // offset of the output already matched by expect
	done chan struct{}
}

func startSession(t *testing.T, home, name string, args ...string) *session {
	t.Helper()
	return startSessionIn(t, "", home, name, args...)
}

// startSessionIn is startSession in the working directory dir ("" is the
// test's own).
func startSessionIn(t *testing.T, dir, home, name string, args ...string) *session {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Args = append([]string{name}, args...) // argv[0] selects the entry point
	cmd.Env = cleanEnv(home)
	cmd.Dir = dir
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, cmd: cmd, ptmx: ptmx, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		ptmx.Close()
	})
	return s
}

// expect waits until the output after the last match contains want.
func (s *session) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		rest := s.out.String()[s.seen:]
		if i := strings.Index(rest, want); i >= 0 {
			s.seen += i + len(want)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("timed out waiting for %q; output so far:\n%s", want, s.output())
}

func (s *session) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.ptmx, line+"\r"); err != nil {
		s.t.Fatal(err)
	}
}

func (s *session) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// wait returns caro's exit code and its whole output.
func (s *session) wait() (int, string) {
	s.t.Helper()
	err := s.cmd.Wait()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), s.output()
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return 0, s.output()
}

// execPrompt is what caro asks before it runs a command.
const execPrompt = "Execute? [y/N/e(dit)/r(egenerate)]"

// answer waits for prompt and types reply.
func (s *session) answer(prompt, reply string) {
	s.t.Helper()
	s.expect(prompt)
	s.send(reply)
}

// succeed waits for caro to end, fails the test unless it exited 0, and
// returns its whole output.
func (s *session) succeed() string {
	s.t.Helper()
	code, out := s.wait()
	if code != 0 {
		s.t.Fatalf("exit code %d, want 0; output:\n%s", code, out)
	}
	return out
}

// cleanEnv is the test process's environment with home as HOME and none
// of the variables that change caro's telemetry decisions (CI sets CI).
func cleanEnv(home string) []string {
	env := []string{"HOME=" + home, "SHELL=/bin/sh", "TZ=UTC"}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "HOME", name == "SHELL", name == "TZ", name == "CI", name == "DO_NOT_TRACK",
			strings.HasPrefix(name, "XDG_"), strings.HasPrefix(name, "CARO_"), strings.HasPrefix(name, "OTEL_"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

func spoolOf(home string) string { return filepath.Join(home, ".cache", "caro", "telemetry.db") }
func stateOf(home string) string { return filepath.Join(home, ".config", "caro", consent.StateFile) }

// eventsIn lists the pending event names of home's spool, via caro itself.
func eventsIn(t *testing.T, home string) string {
	t.Helper()
	if !sqlitespool.Exists(spoolOf(home)) {
		return ""
	}
	self, _ := os.Executable()
	cmd := exec.Command(self, "telemetry", "show", "--json")
	cmd.Args[0] = "caro"
	cmd.Env = cleanEnv(home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caro telemetry show --json: %v", err)
	}
	return string(out)
}

// recordedEvents returns home's pending events, as `caro telemetry show
// --json` prints them.
func recordedEvents(t *testing.T, home string) []map[string]any {
	t.Helper()
	out := eventsIn(t, home)
	if out == "" {
		return nil
	}
	var evs []map[string]any
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("caro telemetry show --json: %v\n%s", err, out)
	}
	return evs
}

func TestFirstRunPromptAccepted(t *testing.T) {
	home := t.TempDir()
	s := startSession(t, home, "caro", "list files")
	s.expect("Caro collects anonymous usage metrics to improve the product.")
	s.expect("What we NEVER collect:")
	s.expect("Continue? [Y/n]")
	if sqlitespool.Exists(spoolOf(home)) {
		t.Fatal("the spool exists before the prompt was answered")
	}
	s.send("")
	s.answer(execPrompt, "n")
	s.succeed()
	st, err := consent.LoadState(stateOf(home))
	if err != nil || !st.PromptShown || st.PromptAnswer != consent.AnswerAccepted || st.PromptVersion != "1.1.0" {
		t.Fatalf("state after accepting = %+v, %v", st, err)
	}
	wantRecorded(t, home, `"event": "session.start"`, `"is_first_run": true`, `"event": "command.generated"`,
		`"exit_reason": "user_declined"`)

	// The second run does not ask again.
	s = startSession(t, home, "caro", "list files")
	s.answer(execPrompt, "n")
	if _, out := s.wait(); strings.Contains(out, "Continue? [Y/n]") {
		t.Errorf("the prompt was shown twice:\n%s", out)
	}
}

func TestFirstRunPromptDeclined(t *testing.T) {
	home := t.TempDir()
	s := startSession(t, home, "caro", "list files")
	s.answer("Continue? [Y/n]", "n")
	s.expect("Telemetry is off. Turn it on later with: caro config set telemetry.enabled true")
	s.answer(execPrompt, "n")
	s.succeed()
	cfg, err := os.ReadFile(configOf(home))
	if err != nil || !strings.Contains(string(cfg), "enabled = false") {
		t.Fatalf("config.toml after declining: %q, %v", cfg, err)
	}
	if sqlitespool.Exists(spoolOf(home)) {
		t.Error("a spool was created although the user declined")
	}
}

func TestExecuteEditAndRegenerate(t *testing.T) {
	home := homeWith(t, "[telemetry]\nenabled = true\nlevel = \"detailed\"\n")
	s := startSession(t, home, "caro", "list files by size")
	s.expect("ls -lhS")
	s.answer(execPrompt, "r")
	s.expect("du -sh -- * | sort -h") // the table's next entry for the request
	s.answer(execPrompt, "e")
	s.answer("Edit the command (empty keeps it):", "echo edited-by-hand")
	s.expect("echo edited-by-hand")
	s.answer(execPrompt, "y")
	s.expect("edited-by-hand")
	if out := s.succeed(); strings.Contains(out, "Continue? [Y/n]") {
		t.Error("an explicit opt-in was asked for consent")
	}
	evs := wantRecorded(t, home, `"retry_count": 1`, `"modified_before_execution": true`, `"execution_mode": "confirmed"`,
		`"exit_code_category": "success"`, `"retries": 1`, `"exit_reason": "user_complete"`)
	if strings.Contains(evs, "edited-by-hand") {
		t.Error("the edited command was recorded")
	}
}

// r on the static backend when the table has no other entry for the
// request: caro says so and asks about the same command again; nothing
// new is generated or recorded.
func TestRegenerateWithNoOtherCommand(t *testing.T) {
	home := homeWith(t, "[telemetry]\nenabled = true\n")
	s := startSession(t, home, "caro", "list files")
	s.expect("ls -la")
	s.answer(execPrompt, "r")
	s.expect("caro: the built-in table has no other command for that request; here is the same one again")
	s.expect("ls -la")
	s.answer(execPrompt, "n")
	s.succeed()
	var generated int
	for _, e := range recordedEvents(t, home) {
		switch e["event"] {
		case "command.generated":
			generated++
		case "session.end":
			if e["commands_generated"] != 1.0 || e["retries"] != 0.0 || e["exit_reason"] != "user_declined" {
				t.Errorf("session.end = %v", e)
			}
		}
	}
	if generated != 1 {
		t.Errorf("%d command.generated events, want 1", generated)
	}
}

func TestMigrationNoticeOnAGABuild(t *testing.T) {
	home := t.TempDir()
	if err := consent.SaveState(stateOf(home), consent.State{PromptShown: true, PromptVersion: "1.1.0",
		PromptChannel: consent.Beta, PromptAnswer: consent.AnswerAccepted, LastChannel: consent.Beta}); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, home, "caro-ga", "list files")
	s.expect("Telemetry disabled for GA. Enable with: caro config set telemetry.enabled true")
	s.answer(execPrompt, "n")
	s.wait()
	if evs := eventsIn(t, home); evs != "" {
		t.Errorf("a GA build recorded without an opt-in:\n%s", evs)
	}
	s = startSession(t, home, "caro-ga", "list files")
	s.answer(execPrompt, "n")
	if _, out := s.wait(); strings.Contains(out, "Telemetry disabled for GA") {
		t.Errorf("the notice was printed twice:\n%s", out)
	}
}

// configOf is home's config.toml.
func configOf(home string) string { return filepath.Join(home, ".config", "caro", "config.toml") }

// homeWith returns a new home folder whose caro config.toml is config.
func homeWith(t *testing.T, config string) string {
	t.Helper()
	home := t.TempDir()
	writeFile(t, configOf(home), config)
	return home
}

// wantRecorded fails t unless home's pending events, as eventsIn prints
// them, contain each of wants; it returns them.
func wantRecorded(t *testing.T, home string, wants ...string) string {
	t.Helper()
	evs := eventsIn(t, home)
	for _, want := range wants {
		if !strings.Contains(evs, want) {
			t.Errorf("recorded events lack %s:\n%s", want, evs)
		}
	}
	return evs
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// delete-remote's dialogue on a terminal: the spec's text, today's id,
// Proceed? [y/N]; Enter declines and nothing happens, y sends the request
// and deletes the events here.
func TestDeleteRemoteDialogue(t *testing.T) {
	srv, url, err := startOTLPServer(0, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.srv.Close() })
	home := homeWith(t, "[telemetry]\nenabled = true\nendpoint = \""+url+"\"\n")
	self, _ := os.Executable()
	rec := exec.Command(self, "list files")
	rec.Args[0] = "caro"
	rec.Env = cleanEnv(home)
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("caro 'list files': %v\n%s", err, out)
	}

	s := startSession(t, home, "caro", "telemetry", "delete-remote")
	s.expect("This will request deletion of all data associated with your anonymous ID.")
	s.expect("Your current ID: 5e69fbf98fd2d1d5")
	s.answer("Proceed? [y/N] ", "")
	s.expect("Nothing was sent or deleted.")
	s.succeed()
	if reqs, _ := srv.received(); len(reqs) != 0 {
		t.Fatalf("declined, yet the server got %q", reqs)
	}
	wantRecorded(t, home, "session.end") // declined: the events stay

	s = startSession(t, home, "caro", "telemetry", "delete-remote")
	s.answer("Proceed? [y/N] ", "y")
	s.expect("Deletion request submitted. Data will be purged within 72 hours.")
	s.expect("Deleted 3 events from this machine.")
	s.succeed()
	reqs, problems := srv.received()
	if len(problems) > 0 || len(reqs) != 1 || !strings.Contains(reqs[0], "deletion.request 181 ids (this machine's, 180 days) also log.record.uid") {
		t.Fatalf("the server got %q (problems %q), want one deletion request", reqs, problems)
	}
	if evs := eventsIn(t, home); strings.Contains(evs, "event") {
		t.Fatalf("events left after delete-remote:\n%s", evs)
	}
}

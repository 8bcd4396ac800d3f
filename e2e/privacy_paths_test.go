//go:build unix

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
)

// The ways the privacy test drives caro, each a real process of the
// test's user: every path runs inputs through caro, and says how many
// runs it made and how many events they left in the spool.

// pathResult is what one path did.
type pathResult struct {
	name   string
	runs   int
	events int    // events the path's runs added to the spool
	note   string // what the runs came to, for the log
}

// runPaths runs every prompt through every path, in order; models are
// the --model names, prompts[i] takes a path when i falls on it.
func runPaths(t *testing.T, h home, llm *fakeLLM, prompts, models []string) []pathResult {
	t.Helper()
	paths := []struct {
		name string
		run  func(t *testing.T, h home, llm *fakeLLM, prompts, models []string) (runs int, note string)
	}{
		{"static backend", runStatic},
		{"Ollama API", func(t *testing.T, h home, llm *fakeLLM, prompts, models []string) (int, string) {
			return runRemote(t, h, llm, "ollama", 0, prompts, models)
		}},
		{"vLLM API", func(t *testing.T, h home, llm *fakeLLM, prompts, models []string) (int, string) {
			return runRemote(t, h, llm, "vllm", 2, prompts, models)
		}},
		{"failing model server", runFailures},
		{"--timeout", runTimeouts},
		{"Ctrl-C during generation", runInterruptedGenerations},
		{"terminal: edit, regenerate, Ctrl-C at the prompt and while running", runDialogues},
	}
	// A path that records nothing proves nothing, but SIGINT during
	// generation kills caro today, before it writes the session's events.
	silent := map[string]bool{"Ctrl-C during generation": true}
	var out []pathResult
	for _, p := range paths {
		before := spoolEvents(t, h)
		llm.set(llmAnswer)
		runs, note := p.run(t, h, llm, prompts, models)
		llm.set(llmAnswer)
		res := pathResult{name: p.name, runs: runs, events: spoolEvents(t, h) - before, note: note}
		if res.events == 0 && !silent[p.name] {
			t.Errorf("%s: %d runs recorded no event: the search would prove nothing for them", p.name, runs)
		}
		out = append(out, res)
	}
	return out
}

// spoolEvents counts the events in h's spool.
func spoolEvents(t *testing.T, h home) int {
	if !sqlitespool.Exists(h.spool()) {
		return 0
	}
	return len(listSpool(t, h))
}

// remoteBackend alternates the two remote backends over i.
func remoteBackend(i int) string { return []string{"ollama", "vllm"}[i%2] }

func runStatic(t *testing.T, h home, _ *fakeLLM, prompts, _ []string) (int, string) {
	for _, p := range prompts {
		h.caro(t, p)
	}
	return len(prompts), ""
}

// runRemote: every prompt through one API; some with a --model of models,
// some with --yes (the answer runs, through the guard shell). offset
// staggers which prompts take --model and --yes between the backends. A
// model name that is a path, an address or has spaces is refused as a
// usage error (exit 2), before telemetry starts.
func runRemote(t *testing.T, h home, _ *fakeLLM, backend string, offset int, prompts, models []string) (int, string) {
	codes := map[int]int{}
	for i, p := range prompts {
		args := []string{"--backend", backend}
		model := (i+offset)%5 == 0
		if model {
			args = append(args, "--model", models[((i+offset)/5)%len(models)])
		}
		if (i+offset)%7 == 0 {
			args = append(args, "--yes")
		}
		_, stderr, code := h.caro(t, append(args, p)...)
		codes[code]++
		if code != 0 && code != 4 && (code != 2 || !model) {
			t.Errorf("caro %q: exit %d, want a command shown, run (0) or blocked (4): %s", args, code, stderr)
		}
	}
	return len(prompts), fmt.Sprintf("exit codes %v", codes)
}

// runFailures: a third of the prompts against a server that fails in
// ways that carry the request, half with the fallback to the static
// table (the default), half without.
func runFailures(t *testing.T, h home, llm *fakeLLM, prompts, _ []string) (int, string) {
	llm.set(llmFail)
	var picked []string
	for i, p := range prompts {
		if i%3 == 0 {
			picked = append(picked, p)
		}
	}
	codes := map[int]int{}
	for i, p := range picked {
		if i == len(picked)/2 {
			if _, stderr, code := h.caro(t, "config", "set", "backend.fallback", "false"); code != 0 {
				t.Fatalf("config set backend.fallback false: exit %d: %s", code, stderr)
			}
		}
		_, _, code := h.caro(t, "--backend", remoteBackend(i), p)
		codes[code]++
	}
	if _, stderr, code := h.caro(t, "config", "set", "backend.fallback", "true"); code != 0 {
		t.Fatalf("config set backend.fallback true: exit %d: %s", code, stderr)
	}
	if codes[3] == 0 {
		t.Errorf("no run failed to generate (exit codes %v): the server's failures did not reach caro", codes)
	}
	return len(picked), fmt.Sprintf("exit codes %v", codes)
}

// runTimeouts: a ninth of the prompts with --yes --timeout 300ms, the
// model answering with a command that sleeps 30 s: caro stops it. The
// runs wait, not work, so they go eight at a time.
func runTimeouts(t *testing.T, h home, llm *fakeLLM, prompts, _ []string) (int, string) {
	llm.set(llmSleeper)
	var cmds []*exec.Cmd
	var stderrs []*bytes.Buffer
	for i, p := range prompts {
		if i%9 != 0 {
			continue
		}
		cmd := h.command("--backend", remoteBackend(i/9), "--yes", "--timeout", "300ms", p)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		cmds, stderrs = append(cmds, cmd), append(stderrs, &errb)
	}
	codes := make([]int, len(cmds))
	errs := make([]error, len(cmds))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			codes[i], errs[i] = exitCode(cmd.Run())
		}()
	}
	wg.Wait()
	timedOut, blocked := 0, 0
	for i, err := range errs {
		switch {
		case err != nil:
			t.Fatalf("run caro %q: %v", cmds[i].Args, err)
		case codes[i] == 1 && strings.Contains(stderrs[i].String(), "did not finish within 300ms"):
			timedOut++
		case codes[i] == 4:
			blocked++
		default:
			t.Errorf("caro %q: exit %d, want a timeout (1) or a block (4): %s", cmds[i].Args[1:], codes[i], stderrs[i])
		}
	}
	if timedOut == 0 {
		t.Error("no run timed out")
	}
	return len(cmds), fmt.Sprintf("%d stopped by --timeout, %d blocked before running", timedOut, blocked)
}

// runInterruptedGenerations: a sixth of the prompts sent to a model that
// never answers; SIGINT reaches caro while it waits, as Ctrl-C does.
func runInterruptedGenerations(t *testing.T, h home, llm *fakeLLM, prompts, _ []string) (int, string) {
	llm.set(llmStall)
	runs := 0
	outcomes := map[string]int{}
	for i, p := range prompts {
		if i%6 != 1 {
			continue
		}
		runs++
		cmd := h.command("--backend", remoteBackend(i/6), p)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case got := <-llm.arrived:
			if got != p {
				t.Fatalf("the model server got %q while caro asked for %q", got, p)
			}
		case err := <-done:
			t.Fatalf("caro %q ended before it asked the model: %v", p, err)
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("caro %q never asked the model", p)
		}
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			outcomes[describeExit(err)]++
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("caro %q did not end within 20 s of SIGINT", p)
		}
	}
	return runs, fmt.Sprintf("ended %v", outcomes)
}

// exitCode is a finished process's exit code, or the error that kept it
// from running.
func exitCode(err error) (int, error) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// describeExit says how a process ended: "exit N" or "killed by SIGNAL".
func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exit %d", ee.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exit 0"
}

// The terminal dialogue, driven on a pseudo-terminal as a person drives
// it (see cmd/caro/pty_test.go).
const (
	askExecute = "Execute? [y/N/e(dit)/r(egenerate)]"
	askEdit    = "Edit the command (empty keeps it):"
)

// dialogue is the script of the terminal path for the i-th prompt (four
// scripts, taken in turn). Each step waits for caro's question before it answers; "e:X"
// edits the command to X, "^C" is Ctrl-C at the question, "running^C"
// Ctrl-C once the command runs. A raw input is only ever typed into the
// edit and never run (the guard shell would refuse it): it is replaced or
// declined, or the safety check blocks it.
func dialogue(i int, prompt string) []string {
	raw, harmless := prompt, quoted(prompt)
	switch i % 4 {
	case 0: // regenerate, edit to the raw input, edit to a harmless one, run it
		return []string{"r", "e:" + raw, "e:" + harmless, "y"}
	case 1: // edit, regenerate, edit to the raw input, decline
		return []string{"e:" + harmless, "r", "e:" + raw, "n"}
	case 2: // regenerate, edit to the raw input, Ctrl-C at the question
		return []string{"r", "e:" + raw, "^C"}
	default: // edit to a command that sleeps, run it, Ctrl-C while it runs
		return []string{"e:" + harmless + " >/dev/null; sleep 30", "y", "running^C"}
	}
}

func runDialogues(t *testing.T, h home, _ *fakeLLM, prompts, _ []string) (int, string) {
	outcomes := map[string]int{}
	for i, p := range prompts {
		s := startPty(t, h, "--backend", remoteBackend(i/4), p)
		steps := dialogue(i, p)
		last := ""
		for _, step := range steps {
			if step != "running^C" && !s.waitFor(askExecute) {
				break // blocked, or the generation failed
			}
			last = step
			switch {
			case step == "^C":
				s.write("\x03")
			case step == "running^C":
				if !s.waitSleeping() {
					t.Fatalf("the command of %q never ran; output:\n%s", p, s.output())
				}
				s.write("\x03")
			case strings.HasPrefix(step, "e:"):
				s.write("e\r")
				if !s.waitFor(askEdit) {
					t.Fatalf("no edit prompt for %q; output:\n%s", p, s.output())
				}
				s.write(strings.TrimPrefix(step, "e:") + "\r")
			default:
				s.write(step + "\r")
			}
		}
		how := s.wait()
		outcomes[fmt.Sprintf("%s after %s", how, stepName(last))]++
	}
	return len(prompts), fmt.Sprintf("ended %v", outcomes)
}

// stepName is a step without the input it carries.
func stepName(step string) string {
	if strings.HasPrefix(step, "e:") {
		return "an edit"
	}
	if step == "" {
		return "no question"
	}
	return step
}

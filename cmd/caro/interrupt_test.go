//go:build unix

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

// A session that a signal ends, in each place a person can end it: while
// the model thinks, at a prompt, while the command runs. Ctrl-C is typed on
// a real terminal (the kernel sends SIGINT to caro's process group);
// SIGTERM and SIGHUP are sent to caro's process, as kill and a closed
// terminal send them. Every such session records exactly one session.end,
// exit_reason "interrupted", and caro exits 128 + the signal's number.
func TestInterruptedSessionRecordsOneEnd(t *testing.T) {
	tests := []struct {
		name string
		// reply is the command the model answers; "" stalls the
		// generation until the client gives up.
		reply    string
		terminal bool
		args     []string
		// before brings the session to where it is interrupted.
		before func(s *session, requested <-chan struct{})
		// interrupt is SIGINT typed as Ctrl-C on the terminal, or sent.
		interrupt  syscall.Signal
		wantCode   int
		wantEvents []string
	}{
		{
			name: "Ctrl-C while the model generates", terminal: true,
			before: waitFor, interrupt: syscall.SIGINT, wantCode: 130,
			wantEvents: []string{"session.start", "session.end"},
		},
		{
			name:   "SIGTERM while the model generates, without a terminal",
			before: waitFor, interrupt: syscall.SIGTERM, wantCode: 143,
			wantEvents: []string{"session.start", "session.end"},
		},
		{
			name: "Ctrl-C at the Execute? prompt", reply: "ls -la", terminal: true,
			before: expectPrompt, interrupt: syscall.SIGINT, wantCode: 130,
			wantEvents: []string{"session.start", "command.generated", "session.end"},
		},
		{
			name: "SIGTERM at the Execute? prompt", reply: "ls -la", terminal: true,
			before: expectPrompt, interrupt: syscall.SIGTERM, wantCode: 143,
			wantEvents: []string{"session.start", "command.generated", "session.end"},
		},
		{
			name: "SIGHUP at the Execute? prompt", reply: "ls -la", terminal: true,
			before: expectPrompt, interrupt: syscall.SIGHUP, wantCode: 129,
			wantEvents: []string{"session.start", "command.generated", "session.end"},
		},
		{
			name: "Ctrl-C at the edit prompt", reply: "ls -la", terminal: true,
			before:    answerPrompt("e", "Edit the command (empty keeps it):"),
			interrupt: syscall.SIGINT, wantCode: 130,
			wantEvents: []string{"session.start", "command.generated", "session.end"},
		},
		{
			name: "Ctrl-C while the command runs", reply: "echo now-running; sleep 30", terminal: true,
			before:    answerPrompt("y", "\nnow-running"),
			interrupt: syscall.SIGINT, wantCode: 130,
			wantEvents: []string{"session.start", "command.generated", "command.executed", "session.end"},
		},
		{
			name: "SIGTERM while the command runs, without a terminal", reply: "echo now-running; sleep 30",
			args:   []string{"-y"},
			before: func(s *session, _ <-chan struct{}) { s.expect("\nnow-running") },
			// caro passes SIGTERM on to the command, which ends at once.
			interrupt: syscall.SIGTERM, wantCode: 143,
			wantEvents: []string{"session.start", "command.generated", "command.executed", "session.end"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requested := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case requested <- struct{}{}:
				default:
				}
				if tt.reply == "" {
					// Stall until caro hangs up (the server notices a
					// closed connection once the body has been read).
					io.Copy(io.Discard, r.Body)
					<-r.Context().Done()
					return
				}
				ollamaHandler(tt.reply, func([]byte) {})(w, r)
			}))
			t.Cleanup(srv.Close) // after the session's cleanup kills caro
			home := homeWith(t,
				"[telemetry]\nenabled = true\n\n[backend]\nprimary = \"ollama\"\nollama_url = \""+srv.URL+"\"\n")

			args := append(slices.Clone(tt.args), "do the thing")
			var s *session
			if tt.terminal {
				s = startSession(t, home, "caro", args...)
			} else {
				s = startPiped(t, home, "caro", args...)
			}
			tt.before(s, requested)
			if tt.terminal && tt.interrupt == syscall.SIGINT {
				s.ctrlC()
			} else if err := s.cmd.Process.Signal(tt.interrupt); err != nil {
				t.Fatal(err)
			}
			code, out := s.wait()
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tt.wantCode, out)
			}
			evs := recordedEvents(t, home)
			var names []string
			ends := 0
			for _, e := range evs {
				names = append(names, e["event"].(string))
				if e["event"] == "session.end" {
					ends++
					if e["exit_reason"] != "interrupted" {
						t.Errorf("session.end exit_reason = %v, want interrupted", e["exit_reason"])
					}
				}
			}
			if !slices.Equal(names, tt.wantEvents) || ends != 1 {
				t.Errorf("recorded %q, want %q", names, tt.wantEvents)
			}
		})
	}
}

// Ctrl-C at the first-run prompt is no answer: caro exits 130, records
// nothing and asks again next time.
func TestCtrlCAtTheFirstRunPrompt(t *testing.T) {
	home := t.TempDir()
	s := startSession(t, home, "caro", "list files")
	s.expect("Continue? [Y/n]")
	s.ctrlC()
	code, out := s.wait()
	if code != 130 {
		t.Errorf("exit code %d, want 130; output:\n%s", code, out)
	}
	if evs := recordedEvents(t, home); len(evs) != 0 {
		t.Errorf("recorded %v after Ctrl-C at the consent prompt", evs)
	}
	if _, err := os.Stat(stateOf(home)); !os.IsNotExist(err) {
		t.Errorf("the consent state was written: %v", err)
	}
}

func waitFor(s *session, requested <-chan struct{}) {
	s.t.Helper()
	select {
	case <-requested:
	case <-time.After(15 * time.Second):
		s.t.Fatalf("the model server got no request; output:\n%s", s.output())
	}
}

func expectPrompt(s *session, _ <-chan struct{}) {
	s.t.Helper()
	s.expect(execPrompt)
}

// answerPrompt answers key at the Execute? prompt and waits for the
// output want.
func answerPrompt(key, want string) func(*session, <-chan struct{}) {
	return func(s *session, _ <-chan struct{}) {
		s.t.Helper()
		expectPrompt(s, nil)
		s.send(key)
		s.expect(want)
	}
}

// ctrlC types Ctrl-C on the session's terminal.
func (s *session) ctrlC() {
	s.t.Helper()
	if _, err := io.WriteString(s.ptmx, "\x03"); err != nil {
		s.t.Fatal(err)
	}
}

// startPiped runs caro without a terminal: stdin empty, stdout and stderr
// into the session's output.
func startPiped(t *testing.T, home, name string, args ...string) *session {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Args = append([]string{name}, args...)
	cmd.Env = cleanEnv(home)
	s := &session{t: t, cmd: cmd, done: make(chan struct{})}
	close(s.done)
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return s
}

// Write collects a piped session's output.
func (s *session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

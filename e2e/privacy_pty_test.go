//go:build unix

package e2e

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyCaro is caro on a pseudo-terminal: stdin, stdout and stderr.
type ptyCaro struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File

	mu   sync.Mutex
	out  []byte
	seen int // offset of the output already matched by waitFor

	read   chan struct{} // closed when the terminal has nothing more to read
	exited chan struct{} // closed when the process has ended; err is then set
	err    error
}

func startPty(t *testing.T, h home, args ...string) *ptyCaro {
	t.Helper()
	cmd := exec.Command(caroBin, args...)
	cmd.Dir, cmd.Env = h.dir, h.environ()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 250})
	if err != nil {
		t.Fatal(err)
	}
	s := &ptyCaro{t: t, cmd: cmd, ptmx: ptmx, read: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(s.read)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.out = append(s.out, buf[:n]...)
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
		ptmx.Close()
	})
	return s
}

// waitFor waits until the output after the last match holds want (true),
// or the process has ended without it (false).
func (s *ptyCaro) waitFor(want string) bool {
	s.t.Helper()
	found := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := bytes.Index(s.out[s.seen:], []byte(want)); i >= 0 {
			s.seen += i + len(want)
			return true
		}
		return false
	}
	deadline := time.After(20 * time.Second)
	for {
		if found() {
			return true
		}
		select {
		case <-s.exited:
			// What it wrote last may still be on its way.
			select {
			case <-s.read:
			case <-time.After(2 * time.Second):
			}
			return found()
		case <-deadline:
			s.t.Fatalf("timed out waiting for %q; output so far:\n%s", want, s.output())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitSleeping waits until the command caro runs has reached its sleep
// (true), or caro has ended (false). Ctrl-C must come then: dash catches
// SIGINT while it runs a -c string and acts on it only once its foreground
// child ends, so a Ctrl-C between two of the string's commands would wait
// for the whole sleep. Where there is no /proc to watch the process group
// with, it gives the command a second.
func (s *ptyCaro) waitSleeping() bool {
	s.t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		select {
		case <-s.exited:
			return false
		case <-time.After(time.Second):
			return true
		}
	}
	pgid := s.cmd.Process.Pid // caro leads the terminal's session and group
	deadline := time.After(20 * time.Second)
	for {
		if inGroup(pgid, "sleep") {
			return true
		}
		select {
		case <-s.exited:
			return false
		case <-deadline:
			s.t.Fatalf("the command never reached its sleep; output so far:\n%s", s.output())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// inGroup reports whether a process named comm runs in process group pgid
// (from /proc/PID/stat: the name in parentheses, then state, ppid, pgrp).
func inGroup(pgid int, comm string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if string(b[open+1:end]) == comm && len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

func (s *ptyCaro) write(text string) {
	s.t.Helper()
	if _, err := io.WriteString(s.ptmx, text); err != nil {
		s.t.Fatal(err)
	}
}

func (s *ptyCaro) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.out)
}

// wait says how caro ended (describeExit).
func (s *ptyCaro) wait() string {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.t.Fatalf("caro did not end; output:\n%s", s.output())
	}
	select {
	case <-s.read:
	case <-time.After(2 * time.Second):
	}
	s.ptmx.Close()
	return describeExit(s.err)
}

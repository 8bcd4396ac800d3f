//go:build unix

package cli

import (
	"os"
	"os/exec"
	"syscall"
)

// detach puts a command run without any terminal in its own process
// group, so that a timeout or a signal stops everything it started (a
// shell's children too), not the shell alone. With a terminal the command
// stays in the terminal's foreground group, where it can read the terminal
// and Ctrl-C reaches it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalCommand sends sig to the command, or to its whole process group
// when detach gave it one.
func signalCommand(cmd *exec.Cmd, sig os.Signal, group bool) error {
	if s, ok := sig.(syscall.Signal); ok && group {
		return syscall.Kill(-cmd.Process.Pid, s)
	}
	return cmd.Process.Signal(sig)
}

// killedBy returns the signal of interruptSignals that ended the command
// (its shell died of it), or nil.
func killedBy(ps *os.ProcessState) os.Signal {
	if ps == nil {
		return nil
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return nil
	}
	for _, s := range interruptSignals {
		if s == ws.Signal() {
			return s
		}
	}
	return nil
}

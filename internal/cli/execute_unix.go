//go:build unix

package cli

import (
	"os/exec"
	"syscall"
)

// detach puts a command run without any terminal in its own process
// group, so that a timeout stops everything it started (a shell's
// children too), not the shell alone. With a terminal the command stays in
// the terminal's foreground group, where it can read the terminal and
// Ctrl-C reaches it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

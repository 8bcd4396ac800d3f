//go:build unix

package cli

import (
	"os/exec"
	"syscall"
)

// ownSession starts cmd in a new session, and so a new process group with
// no controlling terminal: the terminal's signals (Ctrl-C, hang-up) and
// job control never reach the background upload.
func ownSession(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// backgroundNice is the scheduling priority of the background upload: the
// lowest, so that it never competes with the user's next commands (nor
// with the exit of the caro run that started it) for the CPU.
const backgroundNice = 19

// lowerPriority makes the started process nice; a failure changes
// nothing else.
func lowerPriority(pid int) {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, pid, backgroundNice)
}

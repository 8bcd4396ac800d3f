//go:build unix

package cli

import (
	"fmt"
	"os"
	"syscall"
)

// lowestNice is the lowest CPU priority of a nice value: the background
// upload's, where no idle scheduling class is set (backgroundPriority).
const lowestNice = 19

// gateShell runs the exit gate. POSIX puts sh here.
const gateShell = "/bin/sh"

// gateScript is the start of the scheduled upload on unix (see
// StartDetached). Its arguments are caro's path ($0), the log's path, the
// time stamp, then caro's arguments. It:
//
//  1. opens the log (or the null device) as stdout and stderr and writes
//     the log's first line; `command` keeps a log that cannot be opened
//     from ending the shell;
//  2. waits for end-of-file on stdin, a pipe whose other end only the
//     starting caro holds: the kernel closes it when that caro exits, and
//     no process caro starts inherits it (it is close-on-exec);
//  3. and for a second to pass since it started (a `sleep` started before
//     the wait), so that caro's start-up does not land on the very moment
//     the user's shell takes over again;
//  4. then replaces itself, same pid, with caro, stdin the null device.
//
// A shell waits, not caro itself, because a shell starts in a fraction of
// the time and CPU of a Go program of caro's size. Without `sleep` the
// wait for the second ends at once; nothing else changes.
const gateScript = `log=$1 stamp=$2; shift 2
command exec >"$log" 2>&1 || exec >/dev/null 2>&1
echo "$stamp scheduled upload: $*, pid $$"
sleep 1 & read -r _; wait
exec "$0" "$@" </dev/null`

// start starts the process behind the exit gate, in a session of its own,
// in the background scheduling classes. Where the gate's shell is missing,
// caro starts at once instead, and the events of the run that started it
// wait for the next upload.
func (b background) start() error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	attr := &syscall.ProcAttr{
		Dir: os.TempDir(), // keep no user folder busy
		Env: b.env,
		Sys: &syscall.SysProcAttr{Setsid: true},
	}
	if _, err := os.Stat(gateShell); err != nil {
		out, err := b.openLog()
		if err != nil {
			return err
		}
		defer out.Close()
		attr.Files = []uintptr{null.Fd(), out.Fd(), out.Fd()}
		pid, err := startBackground(b.exe, append([]string{b.exe}, b.args...), attr)
		if err == nil {
			_, _ = out.WriteString(b.logHeader(pid))
		}
		return err
	}
	gate, err := closeOnExecPipe()
	if err != nil {
		return fmt.Errorf("create the exit gate: %w", err)
	}
	defer syscall.Close(gate[0])
	attr.Files = []uintptr{uintptr(gate[0]), null.Fd(), null.Fd()}
	argv := append([]string{gateShell, "-c", gateScript, b.exe, b.log, b.stamp}, b.args...)
	if _, err := startBackground(gateShell, argv, attr); err != nil {
		syscall.Close(gate[1])
		return err
	}
	// gate[1] stays open, on purpose and untracked, until this process
	// exits: that is the signal the upload waits for.
	return nil
}

// startBackground starts a process and puts it in the background
// scheduling classes (backgroundPriority) before it can start threads of
// its own: the gate's shell has one thread, and caro, which replaces it,
// inherits the classes.
func startBackground(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		return 0, err
	}
	backgroundPriority(pid)
	return pid, nil
}

// closeOnExecPipe is a pipe whose both ends are close-on-exec, made under
// syscall.ForkLock so that no process started meanwhile inherits them (not
// every unix has pipe2). Its descriptors are plain integers, which no
// finalizer closes behind the caller's back.
func closeOnExecPipe() ([2]int, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := syscall.Pipe(p[:]); err != nil {
		return p, err
	}
	syscall.CloseOnExec(p[0])
	syscall.CloseOnExec(p[1])
	return p, nil
}

//go:build !unix

package cli

import (
	"os"
	"os/exec"
)

// detach does nothing where process groups do not exist: a timeout stops
// the shell.
func detach(*exec.Cmd) {}

// signalCommand stops the command: other signals cannot be sent here.
func signalCommand(cmd *exec.Cmd, _ os.Signal, _ bool) error {
	return cmd.Process.Kill()
}

// killedBy returns nil: no exit status tells a signal here.
func killedBy(*os.ProcessState) os.Signal { return nil }

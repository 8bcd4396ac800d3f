//go:build !unix

package cli

import "os/exec"

// detach does nothing where process groups do not exist: a timeout stops
// the shell.
func detach(*exec.Cmd) {}

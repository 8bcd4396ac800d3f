//go:build !unix

package cli

import "os/exec"

// ownSession does nothing where sessions do not exist: the process is
// started plainly and released.
func ownSession(*exec.Cmd) {}

// lowerPriority does nothing where process priorities are not set this way.
func lowerPriority(int) {}

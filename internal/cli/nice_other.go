//go:build unix && !linux

package cli

import "syscall"

// backgroundPriority gives process pid the lowest CPU priority.
func backgroundPriority(pid int) {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, pid, lowestNice)
}

package cli

import (
	"syscall"
	"unsafe"
)

// Linux scheduling and I/O classes (sched(7), ioprio_set(2)).
const (
	schedIdle        = 5 // SCHED_IDLE
	ioprioWhoProcess = 1 // IOPRIO_WHO_PROCESS
	ioprioClassBE    = 2 // IOPRIO_CLASS_BE, best effort
	ioprioLowest     = 7 // the lowest level of a class
	ioprioClassShift = 13
)

// backgroundPriority puts process pid in the background on Linux:
//   - SCHED_IDLE for the CPU: any other runnable thread preempts it at
//     once, where a nice process only gets a smaller share and may still
//     finish its slice while the user's shell waits;
//   - the lowest best-effort I/O level, so that the spool's writes queue
//     behind everyone else's. Not the idle I/O class: under a long build it
//     could starve, holding the spool's write lock.
//
// A failure to set the CPU class falls back to the lowest nice value; any
// other failure leaves the process as it is.
func backgroundPriority(pid int) {
	param := struct{ priority int32 }{0}
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(pid), schedIdle, uintptr(unsafe.Pointer(&param)))
	if errno != 0 {
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, pid, lowestNice)
	}
	_, _, _ = syscall.RawSyscall(syscall.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(pid), ioprioClassBE<<ioprioClassShift|ioprioLowest)
}

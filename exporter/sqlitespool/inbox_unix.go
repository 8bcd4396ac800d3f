//go:build unix

package sqlitespool

import (
	"os"
	"syscall"
)

// lockShared and lockExclusive are flock(2) on the file itself: the locks
// die with their process, so a killed writer never blocks an ingester.
func lockShared(f *os.File) error    { return flock(f, syscall.LOCK_SH) }
func lockExclusive(f *os.File) error { return flock(f, syscall.LOCK_EX) }

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

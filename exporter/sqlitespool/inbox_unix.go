//go:build unix

package sqlitespool

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// The inbox's locks are flock(2) on the file itself: they die with their
// process, so a killed writer never blocks an ingester.

// tryLockShared takes a shared lock on f without waiting. It is false when
// another process holds an exclusive one, or when the file system refuses
// locks (err says why).
func tryLockShared(f *os.File) (bool, error) {
	err := flock(f, syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return false, err
}

// lockExclusive takes an exclusive lock on f, polling until deadline: it
// returns errLocked when another process still holds a lock then.
func lockExclusive(ctx context.Context, f *os.File, deadline time.Time) error {
	wait := 100 * time.Microsecond
	for {
		err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if !time.Now().Before(deadline) {
			return errLocked
		}
		wait = min(wait*2, 10*time.Millisecond, time.Until(deadline)+time.Microsecond)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

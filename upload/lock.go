package upload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/gofrs/flock"
)

// LockPath is the upload lock file of the spool at spoolPath.
func LockPath(spoolPath string) string { return spoolPath + ".upload.lock" }

// Lock takes the exclusive upload lock at path without waiting. ok is false
// when another uploader holds it; then unlock is a no-op. The caller holds
// the lock for the whole Flush (or RequestDeletion and clear) and calls
// unlock when done; unlock may be called more than once.
//
// The lock is an advisory flock(2) (LockFileEx on Windows) on the file, not
// the file's existence. The kernel drops it when its holder's descriptor is
// closed, which includes the process dying in any way, SIGKILL and power
// loss alike: a lock can never outlive its process, so there is no stale
// lock to detect, no pid to check and no age to guess. A leftover file is
// simply the normal state; it is deliberately never deleted, because
// deleting it would let a second uploader lock a new file at the same path
// while the first still holds the old one. A leftover file that cannot be
// opened (a foreign owner or mode, e.g. from a run under sudo) is removed
// and created again once.
//
// Two Locks on one path conflict even within one process (each opens its
// own descriptor). Locks on network file systems that do not support
// flock(2) fail with an error: then the caller should skip the upload.
func Lock(path string) (unlock func(), ok bool, err error) {
	fl, ok, err := tryLock(path)
	var perm *fs.PathError
	if err != nil && errors.As(err, &perm) && errors.Is(err, fs.ErrPermission) {
		if info, serr := os.Lstat(path); serr == nil && info.Mode().IsRegular() {
			if rerr := os.Remove(path); rerr == nil {
				fl, ok, err = tryLock(path)
			}
		}
	}
	if err != nil {
		return func() {}, false, fmt.Errorf("upload lock %s: %w", path, err)
	}
	if !ok {
		return func() {}, false, nil
	}
	var once sync.Once
	return func() { once.Do(func() { _ = fl.Unlock() }) }, true, nil
}

func tryLock(path string) (*flock.Flock, bool, error) {
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil || !ok {
		_ = fl.Close()
		return nil, ok, err
	}
	return fl, true, nil
}

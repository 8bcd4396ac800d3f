//go:build unix

package cli

import "syscall"

// writable reports whether this user may write to path, without writing
// (access(2): a read-only file system too).
func writable(path string) error { return syscall.Access(path, 2 /* W_OK */) }

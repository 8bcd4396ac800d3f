//go:build !unix

package sqlitespool

import (
	"context"
	"os"
	"time"
)

// Without flock, appends still go out in one write and a claim is a
// rename, which Windows refuses while a writer has the file open: the
// ingester then leaves the inbox for the next Open.
func tryLockShared(*os.File) (bool, error)                     { return true, nil }
func lockExclusive(context.Context, *os.File, time.Time) error { return nil }

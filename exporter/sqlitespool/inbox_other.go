//go:build !unix

package sqlitespool

import "os"

// Without flock, appends still go out in one write and a claim is a
// rename, which Windows refuses while a writer has the file open: the
// ingester then leaves the inbox for the next Open.
func lockShared(*os.File) error    { return nil }
func lockExclusive(*os.File) error { return nil }

package upload

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// The test binary doubles as a helper process (the way the CLI will run a
// detached `caro telemetry flush`): with helperEnv set, TestMain runs the
// named helper instead of the tests.
const (
	helperEnv         = "CARO_UPLOAD_TEST_HELPER"
	helperSpoolEnv    = "CARO_UPLOAD_TEST_SPOOL"
	helperEndpointEnv = "CARO_UPLOAD_TEST_ENDPOINT"
	helperBatchEnv    = "CARO_UPLOAD_TEST_BATCH"
	helperLockEnv     = "CARO_UPLOAD_TEST_LOCK"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "flush":
		os.Exit(helperFlush())
	case "lock":
		os.Exit(helperLock())
	default:
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// helperFlush does what `caro telemetry flush` will: take the upload
// lock, open the spool, flush it, report.
func helperFlush() int {
	path := os.Getenv(helperSpoolEnv)
	unlock, ok, err := Lock(LockPath(path))
	if err != nil || !ok {
		fmt.Fprintf(os.Stderr, "lock: ok=%v err=%v\n", ok, err)
		return 3
	}
	defer unlock()
	sp, err := sqlitespoolOpen(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sp.Close()
	batch, _ := strconv.Atoi(os.Getenv(helperBatchEnv))
	res, err := Flush(context.Background(), sp, Options{
		Endpoint:       os.Getenv(helperEndpointEnv),
		Version:        testVersion,
		BatchSize:      batch,
		AttemptTimeout: 5 * time.Second,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("sent %d kept %d dropped %d batches %d failure %v\n", res.Sent, res.Kept, res.Dropped, res.Batches, res.Failure)
	if res.Failure != nil {
		return 4
	}
	return 0
}

// helperLock takes the lock, says so, and waits to be killed.
func helperLock() int {
	_, ok, err := Lock(os.Getenv(helperLockEnv))
	if err != nil || !ok {
		fmt.Printf("not locked: %v %v\n", ok, err)
		return 3
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	return 0
}

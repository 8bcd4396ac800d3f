package upload_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/upload"
)

// The CLI's wiring, in two halves. In every Caro run, cheaply: is an
// upload due? Then start `caro telemetry flush` detached and return.
// In that child (or when the user runs it by hand): lock, flush, report.
func Example() {
	spoolPath := "/home/user/.cache/caro/telemetry.db" // sdk.Dirs.SpoolFile()
	interval := 24 * time.Hour                         // sdk.Config.BatchInterval

	// 1. In every run that records: one small file read. The first such
	// run starts the schedule: the first upload is one interval later.
	due, started := upload.DueFile(spoolPath, interval, time.Now())
	if !started {
		upload.StartSchedule(spoolPath, time.Now())
	}
	if !due {
		return
	}
	// ... start `caro telemetry flush` detached, and carry on at once.

	// 2. In `caro telemetry flush`.
	unlock, ok, err := upload.Lock(upload.LockPath(spoolPath))
	if err != nil || !ok {
		return // another uploader is at work, or locks are unsupported here
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sp, err := sqlitespool.Open(ctx, sqlitespool.Options{Path: spoolPath})
	if err != nil {
		return
	}
	defer sp.Close()
	res, err := upload.Flush(ctx, sp, upload.Options{Endpoint: upload.DefaultEndpoint, Version: "1.1.0"})
	if err != nil {
		return
	}
	fmt.Printf("sent %d, kept %d, dropped %d\n", res.Sent, res.Kept, res.Dropped)
	if res.Failure != nil {
		fmt.Printf("next attempt after %s: %v\n", res.NextAttempt.Format(time.RFC3339), res.Failure)
	}
}

// `caro telemetry delete-remote`, after the user said yes.
func ExampleRequestDeletion() {
	// ids := sdk.SessionIDsSince(machineID, time.Now().AddDate(0, 0, -schema.ErrorRetentionDays), time.Now())
	ids := []string{"a1b2c3d4e5f60718", "0123456789abcdef"}
	err := upload.RequestDeletion(context.Background(), ids, upload.Options{Version: "1.1.0"})
	switch {
	case errors.Is(err, upload.ErrAirGapped):
		// put the request in the next export instead
	case errors.Is(err, upload.ErrUnavailable):
		// "could not reach the server; try again later"
	case errors.Is(err, upload.ErrRejected):
		// "the server refused the request"
	}
}

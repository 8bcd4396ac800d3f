package dashboard_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"caro.sh/telemetry/insights/dashboard"
	"caro.sh/telemetry/insights/fleet"
	"caro.sh/telemetry/store"
)

// fleetEnd is the end of the simulated fleet: it covers the five ISO
// weeks 2026-W44 to 2026-W48 (2026-10-26 to 2026-11-29).
var fleetEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// now is the tests' clock: the last day of 2026-W48, so that week is the
// current one.
var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

var (
	fleetOnce sync.Once
	fleetDir  string
	fleetErr  error
)

// fleetStore returns a new copy of one SQLite store filled once by the
// fleet simulator (16 users over 35 days, seed 5).
func fleetStore(t *testing.T) string {
	t.Helper()
	fleetOnce.Do(func() {
		if fleetDir, fleetErr = os.MkdirTemp("", "dashboard-fleet-"); fleetErr != nil {
			return
		}
		ctx := context.Background()
		s, err := store.Open(ctx, store.Options{Path: filepath.Join(fleetDir, "store.db"), Now: func() time.Time { return fleetEnd }})
		if err != nil {
			fleetErr = err
			return
		}
		p := fleet.DefaultParams()
		p.Users, p.Days, p.End, p.Seed = 16, 35, fleetEnd, 5
		if _, err := fleet.Run(ctx, p, filepath.Join(fleetDir, "users"), fleet.Sink{Store: s}, 2); err != nil {
			s.Close()
			fleetErr = err
			return
		}
		fleetErr = s.Close() // checkpoints the WAL into the file
	})
	if fleetErr != nil {
		t.Fatalf("simulate the fleet: %v", fleetErr)
	}
	dst := filepath.Join(t.TempDir(), "store.db")
	in, err := os.Open(filepath.Join(fleetDir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fleetDir != "" {
		os.RemoveAll(fleetDir)
	}
	os.Exit(code)
}

// openDashboard opens the store at path for reading, as caro-insights
// serve does, and returns its dashboard.
func openDashboard(t *testing.T, path string, opts dashboard.Options) *dashboard.Server {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{Path: path, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	return dashboard.New(s, opts)
}

// appendFleet appends a week (2026-W48) of other users to the store at
// path through a handle of its own, as a collector would.
func appendFleet(t *testing.T, path string, users int, seed uint64) {
	t.Helper()
	w, err := store.Open(context.Background(), store.Options{Path: path, MustExist: true, Now: func() time.Time { return fleetEnd }})
	if err != nil {
		t.Fatal(err)
	}
	p := fleet.DefaultParams()
	p.Users, p.Days, p.End, p.Seed = users, 7, fleetEnd, seed
	if _, err := fleet.Run(context.Background(), p, filepath.Join(t.TempDir(), "users"), fleet.Sink{Store: w}, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

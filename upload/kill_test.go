package upload

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
)

func sqlitespoolOpen(path string) (*sqlitespool.Spool, error) {
	return sqlitespool.Open(context.Background(), sqlitespool.Options{Path: path})
}

func helperCommand(t testing.TB, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestSIGKILLDuringFlushLosesNothing kills a flushing process (the test
// binary as `caro telemetry flush`: lock, open, flush) with SIGKILL at a
// random moment, 50 times, then lets one flush finish. No event may be
// lost, and a duplicate at the server may only be a whole batch that was in
// flight when a process died, sent again with the same ids.
func TestSIGKILLDuringFlushLosesNothing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is POSIX")
	}
	const (
		events = 2000
		batch  = 10
		kills  = 50
	)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))

	path := filepath.Join(t.TempDir(), "telemetry.db")
	sp := openSpool(t, path, time.Now)
	stored := fillSpool(t, sp, events, time.Now())
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	srv := newOTLPServer(t)
	// A little latency after the server has the batch and before it
	// answers: the window where a death makes a duplicate.
	srv.SetLatency(func() time.Duration { return time.Duration(rand.IntN(1500)) * time.Microsecond })
	env := []string{helperEnv + "=flush", helperSpoolEnv + "=" + path, helperEndpointEnv + "=" + srv.URL,
		helperBatchEnv + "=" + strconv.Itoa(batch)}

	killed, finished, idle := 0, 0, 0
	for range kills {
		before := len(srv.Requests())
		cmd := helperCommand(t, env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Startup (exec, runtime, SQLite) takes some milliseconds; the
		// delay spreads the kills over startup, requests in flight and the
		// spool writes between them.
		time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed++
		} else if err == nil {
			finished++
		} else {
			t.Fatalf("helper failed on its own: %v", err)
		}
		if len(srv.Requests()) == before {
			idle++ // killed during exec, lock, spool open or its first read
		}
	}
	cut := 0
	for _, r := range srv.Requests() {
		if !r.Accepted {
			cut++ // the body ended early: killed while sending
		}
	}
	t.Logf("%d of %d helpers killed by SIGKILL (%d finished first): %d before any request, %d while sending a body; "+
		"%d requests so far", killed, kills, finished, idle, cut, len(srv.Requests()))

	out, err := helperCommand(t, env...).CombinedOutput()
	if err != nil {
		t.Fatalf("final flush: %v\n%s", err, out)
	}
	t.Logf("final flush: %s", out)

	sp = openSpool(t, path, time.Now)
	if left := pending(t, sp); len(left) != 0 {
		t.Errorf("%d events still pending after the final flush", len(left))
	}
	all, err := sp.List(context.Background(), sqlitespool.ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != events {
		t.Errorf("spool holds %d events, want %d: a kill lost some", len(all), events)
	}

	// No loss, identical copies.
	dups := checkDelivered(t, stored, nil, srv)

	// Every duplicate comes from a whole batch sent again: a request that
	// repeats any id repeats exactly an earlier request's ids.
	lastWith := map[string][]string{} // uid -> the ids of the latest request holding it
	resends := 0
	for _, r := range srv.Requests() {
		if !r.Accepted {
			continue
		}
		ids := make([]string, len(r.Records))
		for i, rec := range r.Records {
			ids[i] = rec.UID
		}
		repeated := 0
		for _, id := range ids {
			if _, ok := lastWith[id]; ok {
				repeated++
			}
		}
		if repeated > 0 {
			resends++
			if prev := lastWith[ids[0]]; repeated != len(ids) || !slices.Equal(prev, ids) {
				t.Errorf("request repeats %d of %d ids %v, not exactly the earlier batch %v", repeated, len(ids), ids, prev)
			}
		}
		for _, id := range ids {
			lastWith[id] = ids
		}
	}
	if resends > killed {
		t.Errorf("%d batches sent again, more than the %d kills", resends, killed)
	}
	t.Logf("%d duplicate records in %d batches sent again (killed after the server had the batch, before "+
		"it was marked); %d events, none lost", dups, resends, events)
}

// TestLockExcludesASecondUploader: two Locks conflict, even in one process;
// unlocking frees the lock; a leftover file is reused.
func TestLockExcludesASecondUploader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db.upload.lock")
	if err := os.WriteFile(path, []byte("left over by a previous uploader"), 0o600); err != nil {
		t.Fatal(err)
	}
	unlock, ok, err := Lock(path)
	if err != nil || !ok {
		t.Fatalf("Lock over a leftover file = %v, %v", ok, err)
	}
	unlock2, ok2, err := Lock(path)
	if err != nil || ok2 {
		t.Fatalf("second Lock = %v, %v; want held elsewhere", ok2, err)
	}
	unlock2() // a no-op
	unlock()
	unlock() // twice is fine
	unlock3, ok3, err := Lock(path)
	if err != nil || !ok3 {
		t.Fatalf("Lock after unlock = %v, %v", ok3, err)
	}
	unlock3()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("lock file removed: %v (it must stay, see Lock)", err)
	}
}

// TestLockOfAKilledProcessIsFree: a holder killed with SIGKILL leaves its
// file behind, and the lock is free at once.
func TestLockOfAKilledProcessIsFree(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is POSIX")
	}
	path := filepath.Join(t.TempDir(), "telemetry.db.upload.lock")
	cmd := helperCommand(t, helperEnv+"=lock", helperLockEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	if _, ok, err := Lock(path); ok || err != nil {
		t.Fatalf("Lock while another process holds it = %v, %v", ok, err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	unlock, ok, err := Lock(path)
	if err != nil || !ok {
		t.Fatalf("Lock after its holder was killed = %v, %v; want it free", ok, err)
	}
	unlock()
}

// TestLockRecoversAnUnopenableLeftover: a leftover file this user cannot
// open (e.g. made under sudo) is replaced.
func TestLockRecoversAnUnopenableLeftover(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs POSIX permissions and a user that they bind (not root)")
	}
	path := filepath.Join(t.TempDir(), "telemetry.db.upload.lock")
	if err := os.WriteFile(path, nil, 0o000); err != nil {
		t.Fatal(err)
	}
	unlock, ok, err := Lock(path)
	if err != nil || !ok {
		t.Fatalf("Lock = %v, %v", ok, err)
	}
	unlock()
}

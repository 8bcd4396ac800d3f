package sqlitespool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests below run real writer processes: the test binary re-executed
// with -test.run=^TestHelperWriter$ and its job in the environment, the
// usual Go helper-process pattern.
const (
	envHelper       = "SQLITESPOOL_HELPER" // "concurrent" or "crash"
	envPath         = "SQLITESPOOL_PATH"
	envWorker       = "SQLITESPOOL_WORKER"
	envCount        = "SQLITESPOOL_COUNT"
	envStart        = "SQLITESPOOL_START" // unix nanoseconds to start at
	envUnprivileged = "SQLITESPOOL_UNPRIVILEGED"
	crashBatch      = 20
)

// TestHelperWriter is not a test: it is the body of the writer processes.
func TestHelperWriter(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		t.Skip("helper process only")
	}
	if err := helperWriter(mode); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helperWriter(mode string) error {
	worker, _ := strconv.Atoi(os.Getenv(envWorker))
	count, _ := strconv.Atoi(os.Getenv(envCount))
	if start, _ := strconv.ParseInt(os.Getenv(envStart), 10, 64); start > 0 {
		time.Sleep(time.Until(time.Unix(0, start)))
	}
	if mode == "inbox" {
		return helperInboxWriter(worker, count)
	}
	s, err := Open(ctx, Options{Path: os.Getenv(envPath), BusyTimeout: 30 * time.Second})
	if err != nil {
		return err
	}
	defer s.Close()
	switch mode {
	case "concurrent":
		// One event per transaction: the most contention there can be.
		for i := range count {
			if _, err := s.Append(ctx, []Event{seqEvent(worker*100000+i, t0)}); err != nil {
				return fmt.Errorf("event %d: %w", i, err)
			}
		}
	case "crash":
		for b := 0; ; b++ {
			evs := make([]Event, crashBatch)
			for i := range evs {
				evs[i] = seqEvent(b*crashBatch+i, t0)
			}
			if _, err := s.Append(ctx, evs); err != nil {
				return err
			}
			fmt.Printf("committed %d\n", b) // only once the transaction has committed
		}
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	return nil
}

func helperCmd(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// startWriters starts procs helper processes in mode, worker w writing
// each events to path from start (Unix nanoseconds) on; wait waits for
// them all and reports on t each that failed, with its output.
func startWriters(t *testing.T, mode, path string, procs, each int, start int64) (wait func()) {
	t.Helper()
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*strings.Builder, procs)
	for w := range procs {
		outs[w] = new(strings.Builder)
		cmds[w] = helperCmd(t, envHelper+"="+mode, envPath+"="+path, envWorker+"="+strconv.Itoa(w),
			envCount+"="+strconv.Itoa(each), envStart+"="+strconv.FormatInt(start, 10))
		cmds[w].Stdout, cmds[w].Stderr = outs[w], outs[w]
		if err := cmds[w].Start(); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for w, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("writer %d: %v\n%s", w, err, outs[w])
			}
		}
	}
}

func TestEightProcessesWritingAtOnceLoseNothing(t *testing.T) {
	const procs, each = 8, 200
	path := filepath.Join(t.TempDir(), "caro", "telemetry.db") // created by the racing writers
	start := time.Now().Add(500 * time.Millisecond).UnixNano()
	startWriters(t, "concurrent", path, procs, each, start)()
	if t.Failed() {
		return
	}

	s := openTemp(t, Options{Path: path})
	evs, err := s.List(ctx, ListOptions{IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != procs*each {
		t.Errorf("%d events, want %d", len(evs), procs*each)
	}
	ids := map[string]bool{}
	seqs := map[int]bool{}
	for _, e := range evs {
		ids[e.EventID] = true
		seqs[seqOf(t, e)] = true
	}
	if len(ids) != len(evs) {
		t.Errorf("%d distinct event ids for %d events", len(ids), len(evs))
	}
	for w := range procs {
		for i := range each {
			if !seqs[w*100000+i] {
				t.Fatalf("event %d of writer %d is missing", i, w)
			}
		}
	}
	if got := pragma[string](t, rawDB(t, path), "PRAGMA integrity_check"); got != "ok" {
		t.Errorf("integrity_check = %s", got)
	}
}

func TestAWriterKilledMidStreamLosesNoCommittedBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.db")
	cmd := helperCmd(t, envHelper+"=crash", envPath+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	committed := map[int]bool{}
	read := func() bool {
		if !lines.Scan() {
			return false
		}
		if n, ok := strings.CutPrefix(lines.Text(), "committed "); ok {
			b, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("bad line %q", lines.Text())
			}
			committed[b] = true
		}
		return true
	}
	for len(committed) < 50 {
		if !read() {
			t.Fatalf("writer stopped early: %v\n%s", cmd.Wait(), stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for read() { // lines written before the kill
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("writer ended with %v, want killed\n%s", err, stderr.String())
	}

	// The WAL is left behind, as after a real crash; opening recovers it.
	db := rawDB(t, path)
	if got := pragma[string](t, db, "PRAGMA integrity_check"); got != "ok" {
		t.Fatalf("integrity_check = %s", got)
	}
	db.Close()
	s := openTemp(t, Options{Path: path})
	if r := s.Recovered(); r != "" {
		t.Errorf("Recovered() = %q after a crash", r)
	}
	evs, err := s.Pending(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	perBatch := map[int]int{}
	for _, e := range evs {
		perBatch[seqOf(t, e)/crashBatch]++
	}
	for b := range committed {
		if perBatch[b] != crashBatch {
			t.Errorf("batch %d reported committed has %d of %d events", b, perBatch[b], crashBatch)
		}
	}
	for b, n := range perBatch {
		if n != crashBatch {
			t.Errorf("batch %d is partial: %d of %d events", b, n, crashBatch)
		}
	}
	t.Logf("%d batches reported committed, %d stored, killed after %d events", len(committed), len(perBatch), len(evs))
}

// runUnprivileged reruns the named test as the nobody user, since root
// ignores a folder's permissions. It copies the test binary where nobody can
// run it.
func runUnprivileged(t *testing.T, name string) {
	t.Helper()
	if os.Getenv(envUnprivileged) != "" {
		t.Fatal("still root after dropping privileges")
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "sqlitespool.test")
	if err := copyFile(os.Args[0], bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envUnprivileged+"=1", "HOME="+dir, "TMPDIR="+os.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil && errors.Is(err, syscall.EPERM) {
		t.Skipf("cannot drop privileges to test permissions: %v", err)
	}
	t.Logf("as uid 65534:\n%s", out)
	if err != nil {
		t.Fatalf("unprivileged run failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("unprivileged run did not pass %s", name)
	}
}

// readOnlyDir returns a folder its owner cannot write to.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	return dir
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exporter/sqlitespool"
)

// The fault matrix, caro's rows: each test runs the real caro binary into
// a fault as a user meets it and checks the promise "telemetry never hurts
// Caro": the same stdout and exit code as with --no-telemetry, at most one
// warning line, no wait, and no staged event lost. Each prints its figure
// (time added, events lost); run them with
//
//	go test -count=1 -v ./e2e -run 'Fault'
//
// The faults come from real processes and the kernel: another process
// holding flock(2) locks (this test binary, re-executed as a lock holder),
// a file size limit (RLIMIT_FSIZE, set by this binary re-executed as a
// wrapper that then becomes caro), a full tmpfs and a read-only bind mount
// (when the tests may mount, i.e. as root).

// Helper modes of this test binary, chosen by environment variable before
// TestMain builds caro.
const (
	envHoldLocks = "CARO_E2E_HOLD_LOCKS" // list of paths: lock each, say "locked", wait for stdin to close
	envFileSize  = "CARO_E2E_FSIZE"      // bytes: set RLIMIT_FSIZE, then exec the arguments
)

func init() {
	if paths := os.Getenv(envHoldLocks); paths != "" {
		os.Exit(holdLocks(filepath.SplitList(paths)))
	}
	if limit := os.Getenv(envFileSize); limit != "" {
		os.Exit(execWithFileSize(limit, os.Args[1:]))
	}
}

// holdLocks takes an exclusive flock on every path, as a stuck flush, a
// backup tool or a sync client would, and holds them until stdin closes.
func holdLocks(paths []string) int {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			fmt.Fprintf(os.Stderr, "lock %s: %v\n", p, err)
			return 1
		}
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// execWithFileSize becomes argv with a file size limit: what a full disk
// looks like to a write (EFBIG, and SIGXFSZ, which kills a process that
// does not handle it).
func execWithFileSize(limit string, argv []string) int {
	n, err := strconv.ParseUint(limit, 10, 64)
	if err == nil {
		err = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
	}
	if err == nil {
		err = syscall.Exec(argv[0], argv, os.Environ())
	}
	fmt.Fprintln(os.Stderr, "fsize wrapper:", err)
	return 1
}

// lockHolder is a second process holding locks on files.
type lockHolder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func holdLocksIn(t *testing.T, paths ...string) *lockHolder {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envHoldLocks+"="+strings.Join(paths, string(filepath.ListSeparator)))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &lockHolder{cmd: cmd, stdin: stdin}
	t.Cleanup(l.release)
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("the lock holder did not lock %v", paths)
	}
	return l
}

func (l *lockHolder) release() {
	if l.stdin != nil {
		l.stdin.Close()
		l.cmd.Wait()
		l.stdin = nil
	}
}

// faultHome is a user who opted in, air-gapped (no upload process comes
// into play), with caro's static backend.
func faultHome(t *testing.T, extra string) home {
	return uploadHome(t, "enabled = true\nair_gapped = true\n"+extra)
}

// baseline is caro's stdout and exit code for args with --no-telemetry.
func baseline(t *testing.T, h home, args ...string) (string, int) {
	t.Helper()
	out, _, code, _ := h.run(t, nil, append([]string{"--no-telemetry"}, args...)...)
	return out, code
}

// checkUnhurt checks a run against the baseline: same stdout and exit
// code, and at most one line on stderr, a warning. It returns that line.
func checkUnhurt(t *testing.T, what, wantOut string, wantCode int, out, stderr string, code int) string {
	t.Helper()
	if out != wantOut || code != wantCode {
		t.Errorf("%s: stdout %q, exit %d; want %q, exit %d as with --no-telemetry", what, out, code, wantOut, wantCode)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if stderr == "" {
		return ""
	}
	if len(lines) > 1 || !strings.HasPrefix(lines[0], "caro: warning: ") {
		t.Errorf("%s: stderr %q; want at most one warning line", what, stderr)
	}
	return lines[0]
}

// spoolCount opens the home's spool as the next `caro telemetry` command
// would and returns its events (by event id: a copy stored twice shows as
// fewer ids than events), their count, its counters and what Open said.
func spoolCount(t *testing.T, h home) (ids map[string]bool, n int, counters map[string]int64, recovered string) {
	t.Helper()
	evs, st, recovered := readSpool(t, h, nil)
	ids = map[string]bool{}
	for _, e := range evs {
		ids[e.EventID] = true
	}
	return ids, len(evs), st.Counters, recovered
}

// eventsPerRun is how many events one `caro "list files"` records.
func eventsPerRun(t *testing.T) int {
	t.Helper()
	h := faultHome(t, "")
	h.run(t, nil, "list files")
	_, n, _, _ := spoolCount(t, h)
	if n == 0 {
		t.Fatal("a recording run recorded nothing")
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// TestFaultLockedSpoolFilesAddNoWaitAndLoseNoEvent: while another process
// holds exclusive flocks on the spool's files (the inbox, the database,
// its WAL and a claim file a stuck flush left), caro runs as fast as
// beside an unlocked spool, prints nothing, and every event is there once
// the locks are gone. It prints the median run time of each, side by side.
func TestFaultLockedSpoolFilesAddNoWaitAndLoseNoEvent(t *testing.T) {
	const runs = 20
	free, locked := faultHome(t, ""), faultHome(t, "")
	wantOut, wantCode := baseline(t, free, "list files")
	for _, h := range []home{free, locked} {
		h.run(t, nil, "list files")
		h.run(t, nil, "telemetry", "show") // the database, its inbox ingested
		h.run(t, nil, "list files")        // a new inbox
	}
	// A flush that claimed the inbox and got stuck: its claim, locked.
	claim := sqlitespool.InboxPath(locked.spool()) + ".claim-1-1"
	if err := os.Rename(sqlitespool.InboxPath(locked.spool()), claim); err != nil {
		t.Fatal(err)
	}
	for _, h := range []home{free, locked} {
		h.run(t, nil, "list files")
	}
	files, _ := filepath.Glob(locked.spool() + "*")
	holder := holdLocksIn(t, files...)
	t.Logf("locked by another process: %s", strings.ReplaceAll(strings.Join(files, ", "), locked.cache+"/", ""))

	var tFree, tLocked []time.Duration
	for i := range runs {
		order := []home{free, locked}
		if i%2 == 1 {
			order = []home{locked, free}
		}
		for _, h := range order {
			out, stderr, code, took := h.run(t, nil, "list files")
			if h == locked {
				tLocked = append(tLocked, took)
				if stderr != "" {
					t.Errorf("run %d beside locked files: stderr %q", i, stderr)
				}
				checkUnhurt(t, "beside locked files", wantOut, wantCode, out, stderr, code)
			} else {
				tFree = append(tFree, took)
			}
		}
	}
	// A reader while the locks are held: it waits a bounded time for the
	// locked claims, stores the rest, and leaves those for later.
	_, showErr, showCode, showTook := locked.run(t, nil, "telemetry", "show")
	free.run(t, nil, "telemetry", "show")
	holder.release()

	freeIDs, nFree, _, _ := spoolCount(t, free)
	ids, n, counters, recovered := spoolCount(t, locked)
	if n != nFree || len(ids) != n || counters[sqlitespool.CounterInboxMalformed] != 0 || recovered != "" {
		t.Errorf("once the locks are gone: %d events (%d distinct), counters %v, %q; want %d as beside the free spool",
			n, len(ids), counters, recovered, nFree)
	}
	if left, _ := filepath.Glob(sqlitespool.InboxPath(locked.spool()) + "*"); len(left) > 0 {
		t.Errorf("still staged after the locks are gone: %v", left)
	}
	added := median(tLocked) - median(tFree)
	t.Logf("median of %d runs: %v unlocked, %v beside locked files: %+.2f ms added; events: %d stored, %d lost (%d beside the free spool)",
		runs, median(tFree).Round(10*time.Microsecond), median(tLocked).Round(10*time.Microsecond),
		float64(added.Microseconds())/1000, n, nFree-len(ids), len(freeIDs))
	t.Logf("`caro telemetry show` while locked: exit %d in %v, stderr %q", showCode, showTook.Round(time.Millisecond), strings.TrimSpace(showErr))
}

// filler takes every free byte of the file system holding dir, and gives
// them back when removed.
func fillUp(t *testing.T, dir string) (remove func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for _, n := range []int{512, 64, 1} { // the last bytes of the last page
		for {
			if _, err := f.Write(block[:n]); err != nil {
				break
			}
		}
	}
	f.Close()
	return func() { os.Remove(path) }
}

// mountTmpfs mounts a tmpfs of size bytes on dir, or skips the test where
// this process may not mount.
func mountTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the file size limit stands in for a full disk", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// TestFaultDiskFullCaroExitsAsWithoutTelemetryAndLosesNothingStaged: with
// no room left for caro's cache folder, a run's stdout and exit code are
// those of --no-telemetry, with at most one warning line; it loses only
// its own events (there is no room for them), none of those staged
// before, and the next run with room records again.
func TestFaultDiskFullCaroExitsAsWithoutTelemetryAndLosesNothingStaged(t *testing.T) {
	perRun := eventsPerRun(t)
	for _, tc := range []struct {
		name string
		// full makes the next runs meet a full disk and returns how to run
		// caro then, and how to give the room back.
		full func(t *testing.T, h home) (wrap func(args []string) []string, free func())
	}{
		{"file size limit (RLIMIT_FSIZE)", func(t *testing.T, h home) (func([]string) []string, func()) {
			st, err := os.Stat(sqlitespool.InboxPath(h.spool()))
			if err != nil {
				t.Fatal(err)
			}
			// Room for part of a line: the first run's write is cut short,
			// the next ones cannot write at all.
			limit := strconv.FormatInt(st.Size()+100, 10)
			return func(args []string) []string {
				return append([]string{envFileSize + "=" + limit}, args...)
			}, func() {}
		}},
		{"full file system (tmpfs, ENOSPC)", func(t *testing.T, h home) (func([]string) []string, func()) {
			return nil, fillUp(t, filepath.Join(h.cache, "caro"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := faultHome(t, "")
			if strings.Contains(tc.name, "tmpfs") {
				mountTmpfs(t, h.cache, 2<<20)
			}
			wantOut, wantCode := baseline(t, h, "list files")
			h.run(t, nil, "list files")
			h.run(t, nil, "list files")
			staged := stagedIDs(t, h)
			wrap, free := tc.full(t, h)
			run := func(args ...string) (string, string, int) {
				if wrap == nil {
					out, stderr, code, _ := h.run(t, nil, args...)
					return out, stderr, code
				}
				// The wrapper is this test binary, which sets the limit and
				// becomes caro.
				out, stderr, code, _ := h.runVia(t, wrap(nil), os.Args[0], append([]string{caroBin}, args...)...)
				return out, stderr, code
			}
			var warning string
			for i := range 2 {
				out, stderr, code := run("list files")
				if w := checkUnhurt(t, fmt.Sprintf("full disk, run %d", i+1), wantOut, wantCode, out, stderr, code); w != "" {
					warning = w
				}
			}
			if warning == "" {
				t.Error("no run said that its events could not be saved")
			}
			// A reader meets the full disk too: it may fail, and must keep
			// what is staged.
			_, showErr, showCode := run("telemetry", "show")

			free()
			wrap = nil
			for i := range 2 {
				out, stderr, code := run("list files")
				checkUnhurt(t, fmt.Sprintf("room again, run %d", i+1), wantOut, wantCode, out, stderr, code)
				if stderr != "" {
					t.Errorf("room again, run %d: stderr %q", i+1, stderr)
				}
			}
			ids, n, counters, recovered := spoolCount(t, h)
			for id := range staged {
				if !ids[id] {
					t.Errorf("event %s, staged before the disk filled up, is lost", id)
				}
			}
			// The runs on the full disk keep what fitted, whole lines only.
			if n < 4*perRun || n > 6*perRun || len(ids) != n {
				t.Errorf("%d events (%d distinct); want the %d staged before, the %d after and what fitted, each once", n, len(ids), 2*perRun, 2*perRun)
			}
			t.Logf("full disk: warning %q; a reader meanwhile: exit %d, %q; once room is back: %q",
				warning, showCode, strings.TrimSpace(showErr), recovered)
			t.Logf("events lost: %d of the %d recorded by the 2 runs on the full disk (no room), 0 of the %d staged before; unreadable staged lines counted: %d",
				6*perRun-n, 2*perRun, len(staged), counters[sqlitespool.CounterInboxMalformed])
		})
	}
}

// stagedIDs are the ids of the events staged in h's inbox.
func stagedIDs(t *testing.T, h home) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(sqlitespool.InboxPath(h.spool()))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, raw := range strings.Split(string(b), "\n") {
		l, err := event.ParseLine([]byte(raw))
		if err != nil || l.ID == "" {
			continue
		}
		if _, _, _, err := event.Decode(l.Event); err == nil {
			ids[l.ID] = true
		}
	}
	if len(ids) == 0 {
		t.Fatal("nothing staged")
	}
	return ids
}

// runVia runs bin with args as caro would be run in h (its environment
// plus env), and fails the test if the process died of a signal.
func (h home) runVia(t *testing.T, env []string, bin string, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	stdout, stderr, code, took, exit := h.runBin(t, env, bin, args...)
	if exit != nil {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Errorf("caro %q was killed by %v", args, ws.Signal())
		}
	}
	return stdout, stderr, code, took
}

// readOnly makes dir read-only for caro: a read-only bind mount where this
// process may mount (root ignores a folder's mode), else the folder's mode.
// It returns the undo.
func readOnly(t *testing.T, dir string) (undo func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		return func() { os.Chmod(dir, 0o700) }
	}
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("root, and cannot bind-mount %s read-only: %v", dir, err)
	}
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		syscall.Unmount(dir, syscall.MNT_DETACH)
		t.Skipf("cannot remount %s read-only: %v", dir, err)
	}
	done := false
	undo = func() {
		if !done {
			done = true
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	}
	t.Cleanup(undo)
	return undo
}

// TestFaultReadOnlyCacheFolderWarnsOnceAndRecoversOnTheNextRun: when
// caro's cache folder cannot be written, a run prints one clear warning
// and otherwise exits as with --no-telemetry; the next run with a
// writable folder records again, and nothing stored before is lost.
func TestFaultReadOnlyCacheFolderWarnsOnceAndRecoversOnTheNextRun(t *testing.T) {
	perRun := eventsPerRun(t)
	for _, staged := range []bool{false, true} {
		t.Run(fmt.Sprintf("inbox already there: %v", staged), func(t *testing.T) {
			h := faultHome(t, "")
			wantOut, wantCode := baseline(t, h, "list files")
			h.run(t, nil, "list files")
			h.run(t, nil, "telemetry", "show") // stored in the database
			if staged {
				h.run(t, nil, "list files")
			}
			undo := readOnly(t, filepath.Join(h.cache, "caro"))
			out, stderr, code, _ := h.run(t, nil, "list files")
			warning := checkUnhurt(t, "read-only cache folder", wantOut, wantCode, out, stderr, code)
			if warning == "" && (!staged || os.Geteuid() == 0) {
				t.Error("read-only cache folder: no warning")
			}
			undo()
			out, stderr, code, _ = h.run(t, nil, "list files")
			checkUnhurt(t, "writable again", wantOut, wantCode, out, stderr, code)
			if stderr != "" {
				t.Errorf("writable again: stderr %q", stderr)
			}
			ids, n, _, recovered := spoolCount(t, h)
			before := perRun
			if staged {
				before += perRun
			}
			if n < before+perRun || len(ids) != n || recovered != "" {
				t.Errorf("%d events (%d distinct), %q; want the %d recorded before and the %d after, each once", n, len(ids), recovered, before, perRun)
			}
			t.Logf("warning: %q; events lost: %d (the run on the read-only folder), 0 of the %d before", warning, before+2*perRun-n, before)
		})
	}
}

// commandServer speaks Ollama's /api/chat and always suggests command.
func commandServer(t *testing.T, command string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"model":   "llama3.2:3b",
			"message": map[string]string{"role": "assistant", "content": command},
			"done":    true,
		})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFaultCacheFolderRemovedWhileCaroRunsNoCrashAndTheNextRunRecovers:
// the command caro runs removes caro's cache folder, telemetry spool and
// all, under the running caro. caro exits as with --no-telemetry, its own
// events land in a folder made again, and the next run records as usual.
func TestFaultCacheFolderRemovedWhileCaroRunsNoCrashAndTheNextRunRecovers(t *testing.T) {
	perRun := eventsPerRun(t)
	url := commandServer(t, `rm -rf "$XDG_CACHE_HOME/caro"`)
	h := faultHome(t, fmt.Sprintf("\n[backend]\nollama_url = %q\n", url))
	args := []string{"--backend", "ollama", "-y", "clear the cache"}
	h.run(t, nil, "list files")
	h.run(t, nil, "telemetry", "show")
	h.run(t, nil, "list files")
	wantOut, wantCode := baseline(t, h, args...)
	if _, err := os.Stat(filepath.Join(h.cache, "caro")); err == nil {
		t.Fatal("the command did not remove the cache folder")
	}
	h.run(t, nil, "list files")
	h.run(t, nil, "telemetry", "show")
	h.run(t, nil, "list files")

	out, stderr, code, _ := h.run(t, nil, args...)
	warning := checkUnhurt(t, "folder removed while running", wantOut, wantCode, out, stderr, code)
	_, nRun, _, _ := spoolCount(t, h)
	out, stderr, code, _ = h.run(t, nil, "list files")
	wantNext, wantNextCode := baseline(t, h, "list files")
	checkUnhurt(t, "the next run", wantNext, wantNextCode, out, stderr, code)
	if stderr != "" {
		t.Errorf("the next run: stderr %q", stderr)
	}
	ids, n, _, recovered := spoolCount(t, h)
	if nRun == 0 || n != nRun+perRun || len(ids) != n || recovered != "" {
		t.Errorf("%d events after the run that removed the folder, %d (%d distinct) after the next, %q; want its own and %d more", nRun, n, len(ids), recovered, perRun)
	}
	t.Logf("warning: %q; the run that removed the folder kept its %d events (the folder's older ones went with it, as the command asked); the next run added %d", warning, nRun, n-nRun)
}

// TestFaultCorruptInboxLinesAndATruncatedDatabaseKeepGoodLinesCountBadOnesWarnOnce:
// staged lines that cannot be read (a half line, garbage, an event the
// schema does not know) are skipped and counted, every good line is
// stored, and a database cut in half is moved aside for a new one; the
// reader says so in one warning line. A recording run never notices.
func TestFaultCorruptInboxLinesAndATruncatedDatabaseKeepGoodLinesCountBadOnesWarnOnce(t *testing.T) {
	perRun := eventsPerRun(t)
	h := faultHome(t, "")
	wantOut, wantCode := baseline(t, h, "list files")
	for range 3 {
		h.run(t, nil, "list files")
	}
	h.run(t, nil, "telemetry", "show") // into the database
	db := h.spool()
	st, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(db, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	out, stderr, code, _ := h.run(t, nil, "list files")
	checkUnhurt(t, "a run beside a truncated database", wantOut, wantCode, out, stderr, code)
	bad := []string{
		`{"id":"0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","at":"2026-11-`,
		"\x00\x00\x00garbage\xff",
		`{"id":"0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","at":"2026-11-26T09:30:00.000Z","event":{"event":"no.such_event","timestamp":"2026-11-26T09:30:00Z"}}`,
	}
	f, err := os.OpenFile(sqlitespool.InboxPath(db), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Join(bad, "\n")) // the last one cut short
	f.Close()
	out, stderr, code, _ = h.run(t, nil, "list files")
	checkUnhurt(t, "a run after bad lines", wantOut, wantCode, out, stderr, code)
	staged := stagedIDs(t, h)

	showOut, showErr, showCode, _ := h.run(t, nil, "telemetry", "show")
	warnings := strings.Count(showErr, "\n")
	if showCode != 0 || warnings != 1 || !strings.Contains(showErr, "was unreadable") || !strings.Contains(showErr, "3 unreadable staged lines") {
		t.Errorf("show: exit %d, stderr %q; want exit 0 and one line on the database moved aside and the 3 bad lines", showCode, showErr)
	}
	ids, n, counters, _ := spoolCount(t, h)
	for id := range staged {
		if !ids[id] {
			t.Errorf("good staged event %s is lost", id)
		}
	}
	if n != 2*perRun || counters[sqlitespool.CounterInboxMalformed] != int64(len(bad)) {
		t.Errorf("%d events, counters %v; want the %d good staged ones and %d bad lines counted", n, counters, 2*perRun, len(bad))
	}
	moved, _ := filepath.Glob(db + ".corrupt-*")
	t.Logf("show said: %q; %s", strings.TrimSpace(showErr), strings.SplitN(showOut, "\n", 2)[0])
	t.Logf("events lost: 0 of %d good staged lines; %d bad lines counted; the %d events in the truncated database are in %d moved-aside file(s)",
		len(staged), counters[sqlitespool.CounterInboxMalformed], 3*perRun, len(moved))
}

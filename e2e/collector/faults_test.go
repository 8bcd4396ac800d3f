package collector

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The collector's rows of the fault matrix (issue 15): each test names
// its promise and logs its figures.

// storeCheck is what a SQLite store file holds of a set of uids.
type storeCheck struct {
	rows, distinct, found int
	integrity             string
}

// checkSQLite opens the store file of a collector that is not running (a
// killed one's WAL is recovered here, as the next start would), runs
// PRAGMA integrity_check and counts the rows and those of want.
func checkSQLite(t *testing.T, path string, want []string) storeCheck {
	t.Helper()
	db := sqlDB(t, path)
	defer db.Close()
	var c storeCheck
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&c.integrity); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if err := db.QueryRow("SELECT count(*), count(DISTINCT uid) FROM events").Scan(&c.rows, &c.distinct); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TEMP TABLE want (uid TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, uid := range want {
		if _, err := tx.Exec("INSERT OR IGNORE INTO want VALUES (?)", uid); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM events JOIN want USING (uid)").Scan(&c.found); err != nil {
		t.Fatal(err)
	}
	return c
}

// expectStored fails the test unless every uid of want is stored once
// and the file is intact.
func expectStored(t *testing.T, c storeCheck, want int) {
	t.Helper()
	if c.integrity != "ok" {
		t.Errorf("PRAGMA integrity_check: %s", c.integrity)
	}
	if c.found != want {
		t.Errorf("%d of %d acknowledged events are stored", c.found, want)
	}
	if c.rows != c.distinct {
		t.Errorf("%d rows but %d distinct uids", c.rows, c.distinct)
	}
}

// postOnce sends one batch once and returns the status (0: no answer)
// and the Retry-After header.
func postOnce(client *http.Client, url string, body []byte) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		return 0, ""
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// warnings counts the log lines at warn or error level in out[from:].
func warnings(out string, from int) int { return len(warningLines(out, from)) }

// warningLines returns the log lines at warn or error level in
// out[from:], each cut to its level, source and message.
func warningLines(out string, from int) []string {
	var lines []string
	for _, line := range strings.Split(out[from:], "\n") {
		if strings.Contains(line, "\twarn\t") || strings.Contains(line, "\terror\t") {
			f := strings.SplitN(line, "\t", 5)
			lines = append(lines, strings.Join(f[1:min(4, len(f))], " "))
		}
	}
	return lines
}

// TestASIGKILLUnderLoadLosesNothingAcknowledged: the collector with its
// SQLite store is SIGKILLed three times under load from four clients that
// resend what was not acknowledged. At every kill, each event
// acknowledged before it is in the file once the collector has started
// again (an event acknowledged but not yet in the table is in the store's
// journal, which the restart replays before it serves), once, and PRAGMA
// integrity_check says ok.
func TestASIGKILLUnderLoadLosesNothingAcknowledged(t *testing.T) {
	col := startCollector(t, "local.yaml")
	s := newSender(t)
	urls := []string{"http://" + col.otlp + "/v1/logs"}
	stop := make(chan struct{})
	loaded := make(chan uint64)
	go func() { loaded <- loadUntil(t, s, urls, 0, 4, 0, stop) }()
	ackedN := func() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.acked) }

	for kill := 1; kill <= 3; kill++ {
		for ackedN() < 40*kill {
			time.Sleep(5 * time.Millisecond)
		}
		col.kill(t)
		want := ackedUIDs(s) // acknowledged before the kill: no live process can add to them now
		begin := time.Now()
		col.start(t)
		t.Logf("kill %d: serving again %v after the restart began", kill, time.Since(begin).Round(time.Millisecond))
		c := checkSQLite(t, col.store, want)
		expectStored(t, c, len(want))
		t.Logf("kill %d: %d acknowledged events, %d found in the file after the restart, %d rows, integrity_check %s",
			kill, len(want), c.found, c.rows, c.integrity)
	}
	close(stop)
	sent := <-loaded
	col.stop(t)
	want := ackedUIDs(s)
	c := checkSQLite(t, col.store, want)
	expectStored(t, c, len(want))
	s.mu.Lock()
	t.Logf("after 3 kills: %d batches sent, %d acknowledged (%d events), all stored once (%d rows), "+
		"integrity_check %s; failed attempts by status %v", sent, len(s.acked), len(want), c.rows, c.integrity, s.codes)
	s.mu.Unlock()
}

// smallDisk is a tmpfs of a given size mounted on a fresh folder for the
// test, so that a store can fill it.
type smallDisk struct{ dir string }

func newSmallDisk(t *testing.T, bytes int64) *smallDisk {
	t.Helper()
	d := &smallDisk{dir: t.TempDir()}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(bytes, 10)+",mode=0700", "tmpfs", d.dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs here (root is needed): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", d.dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", d.dir, err, out)
		}
	})
	return d
}

// resize gives the file system a new size: space returns.
func (d *smallDisk) resize(t *testing.T, bytes int64) {
	t.Helper()
	out, err := exec.Command("mount", "-o", "remount,size="+strconv.FormatInt(bytes, 10), d.dir).CombinedOutput()
	if err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
}

// faultLoad sends one batch after another, once each, for d, and returns
// the batches acknowledged and refused, the refusals by status, how many
// said Retry-After, and the next batch index.
func faultLoad(s *sender, url string, first uint64, d time.Duration, pause time.Duration) (acked, refused []uint64, codes map[int]int, retryAfter int, next uint64) {
	client := &http.Client{Timeout: 10 * time.Second}
	codes = map[int]int{}
	end := time.Now().Add(d)
	for next = first; time.Now().Before(end); next++ {
		body, _ := s.gen.Batch(next).Body()
		code, ra := postOnce(client, url, body)
		if code/100 == 2 {
			acked = append(acked, next)
			s.mu.Lock()
			s.acked[next] = url
			s.mu.Unlock()
		} else {
			refused = append(refused, next)
			codes[code]++
			if ra != "" {
				retryAfter++
			}
		}
		time.Sleep(pause)
	}
	return acked, refused, codes, retryAfter, next
}

// caroLoad posts a /v1/events batch of one event every pause for d, and
// returns the answers by status and how many said Retry-After.
func caroLoad(url string, d, pause time.Duration) (codes map[int]int, retryAfter int) {
	client := &http.Client{Timeout: 10 * time.Second}
	codes = map[int]int{}
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(pause) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(eventsJSON(sessionStartJSON(""))))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			codes[0]++
			continue
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
		if resp.Header.Get("Retry-After") != "" {
			retryAfter++
		}
	}
	return codes, retryAfter
}

// resendUntilStored sends each batch again until it is acknowledged or
// the deadline passes, and returns when the first was acknowledged.
func resendUntilStored(t *testing.T, s *sender, url string, batches []uint64, deadline time.Time) time.Time {
	t.Helper()
	var first time.Time
	for _, n := range batches {
		if !s.post(t, n, []string{url}, deadline) {
			t.Fatalf("batch %d not acknowledged once the store was back (failed attempts %v)", n, s.codes)
		}
		if first.IsZero() {
			first = time.Now()
		}
	}
	return first
}

// expectRetryable fails the test unless every refusal was a 503 with
// Retry-After: a client must keep its events and try again, never drop
// them on a 4xx nor wait forever on a 500.
func expectRetryable(t *testing.T, codes map[int]int, retryAfter int) {
	t.Helper()
	total := 0
	for code, n := range codes {
		total += n
		if code != http.StatusServiceUnavailable {
			t.Errorf("%d answers %d, want 503 only (all: %v)", n, code, codes)
		}
	}
	if total == 0 {
		t.Error("no request was refused: the fault was not met")
	}
	if retryAfter != total {
		t.Errorf("%d of %d refusals said Retry-After", retryAfter, total)
	}
}

// TestAFullDiskIsAnswered503AndLosesNothingAcknowledged: the store's
// file system (a 3 MiB tmpfs) fills up under load. Clients get 503 with
// Retry-After, never a 4xx or a 500; once space returns, what they send
// again is stored, and every event acknowledged before, during and after
// is in an intact file.
func TestAFullDiskIsAnswered503AndLosesNothingAcknowledged(t *testing.T) {
	binary(t)
	d := newSmallDisk(t, 3<<20)
	path := filepath.Join(d.dir, "store", "caro.db")
	col := startCollector(t, "local.yaml", "CARO_STORE="+path, "CARO_LOG_LEVEL=warn")
	col.store = path
	s := newSender(t)
	url := "http://" + col.otlp + "/v1/logs"

	// Fill the disk: one batch after another until refusals go on for 5 s.
	client := &http.Client{Timeout: 10 * time.Second}
	logFrom := len(col.out.String())
	var n uint64
	for ; n < 2000; n++ {
		body, _ := s.gen.Batch(n).Body()
		if code, _ := postOnce(client, url, body); code/100 != 2 {
			break
		}
		s.acked[n] = url
	}
	full := len(s.acked)
	if n == 2000 {
		t.Fatalf("2000 batches stored on a 3 MiB disk: it never filled")
	}
	_, refused, codes, retryAfter, _ := faultLoad(s, url, n, 5*time.Second, 20*time.Millisecond)
	refused = append([]uint64{n}, refused...) // the batch that met the full disk first
	col.alive(t)
	expectRetryable(t, codes, retryAfter)
	logged := warnings(col.out.String(), logFrom)

	d.resize(t, 64<<20)
	back := time.Now()
	first := resendUntilStored(t, s, url, refused, time.Now().Add(30*time.Second))
	col.stop(t)
	want := ackedUIDs(s)
	c := checkSQLite(t, path, want)
	expectStored(t, c, len(want))
	t.Logf("disk full after %d batches (%d events) on 3 MiB; then %d requests refused %v, %d with Retry-After, "+
		"%d warning lines logged; space back: first batch stored after %v, all %d refused batches stored, "+
		"%d acknowledged events in the file, integrity_check %s\n%s", full, full*s.gen.RecordsPerBatch(), len(refused)-1,
		codes, retryAfter, logged, first.Sub(back).Round(time.Millisecond), len(refused), c.found, c.integrity,
		strings.Join(warningLines(col.out.String(), logFrom), "\n"))
	if logged == 0 {
		t.Error("nothing logged while the store refused every batch")
	}
	if logged > 3 {
		t.Errorf("%d warning lines in 5 s of refusals: want one per interval, not one per request:\n%s",
			logged, strings.Join(warningLines(col.out.String(), logFrom), "\n"))
	}
}

// chattr sets or clears the immutable flag of files: on ext4 and most
// disk file systems even root can then not write to a file it has open,
// as on a store whose file system went read-only.
func chattr(t *testing.T, flag string, files ...string) error {
	t.Helper()
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	out, err := exec.Command("chattr", append([]string{flag}, existing...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("chattr %s: %v %s", flag, err, out)
	}
	return nil
}

// TestAStoreThatTurnsReadOnlyIsAnswered503AndRecovers: the store's files
// (the database, its WAL, its journal and their folder) can no longer be
// written while the collector runs. Clients get 503 with
// Retry-After; the log says so once per interval, not once per request;
// the process stays up, and stores again once the files are writable.
func TestAStoreThatTurnsReadOnlyIsAnswered503AndRecovers(t *testing.T) {
	col := startCollector(t, "local.yaml", "CARO_LOG_LEVEL=warn")
	s := newSender(t)
	url := "http://" + col.otlp + "/v1/logs"
	acked, _, _, _, next := faultLoad(s, url, 0, 500*time.Millisecond, 0)
	if len(acked) == 0 {
		t.Fatal("nothing stored before the fault")
	}
	// Every file of the store, its journal's segments and its folder: as
	// a file system gone read-only. The folder first, so that no segment
	// comes or goes while the files are listed.
	dir := filepath.Dir(col.store)
	if err := chattr(t, "+i", dir); err != nil {
		t.Skipf("the store's file system cannot make a file immutable: %v", err)
	}
	files := []string{col.store, col.store + "-wal", col.store + "-shm", col.store + ".lock"}
	segments, _ := filepath.Glob(col.store + ".ingest-*")
	files = append(append(files, segments...), dir)
	t.Cleanup(func() { _ = chattr(t, "-i", files...) })
	if err := chattr(t, "+i", files...); err != nil {
		t.Fatal(err)
	}
	logFrom := len(col.out.String())
	var caroCodes map[int]int
	var caroRetryAfter int
	caroDone := make(chan struct{})
	go func() {
		defer close(caroDone)
		caroCodes, caroRetryAfter = caroLoad("http://"+col.events+"/v1/events", 5*time.Second, 100*time.Millisecond)
	}()
	_, refused, codes, retryAfter, _ := faultLoad(s, url, next, 5*time.Second, 20*time.Millisecond)
	<-caroDone
	col.alive(t)
	t.Run("OTLP clients get 503 with Retry-After", func(t *testing.T) { expectRetryable(t, codes, retryAfter) })
	t.Run("caro clients get 503 with Retry-After", func(t *testing.T) { expectRetryable(t, caroCodes, caroRetryAfter) })
	logged := warnings(col.out.String(), logFrom)
	if logged == 0 {
		t.Error("nothing logged while the store refused every batch")
	}
	if logged > 3 {
		t.Errorf("%d warning lines in 5 s of refusals: want one per interval, not one per request:\n%s",
			logged, strings.Join(warningLines(col.out.String(), logFrom), "\n"))
	}

	if err := chattr(t, "-i", files...); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	first := resendUntilStored(t, s, url, refused, time.Now().Add(30*time.Second))
	col.stop(t)
	want := ackedUIDs(s)
	c := checkSQLite(t, col.store, want)
	expectStored(t, c, len(want))
	t.Logf("store read-only for 5 s: %d OTLP requests refused %v, %d with Retry-After; /v1/events answered %v, "+
		"%d with Retry-After; %d warning lines; writable again: first batch stored after %v, %d acknowledged events "+
		"in the file, integrity_check %s\n%s", len(refused), codes, retryAfter, caroCodes, caroRetryAfter, logged, first.Sub(back).Round(time.Millisecond), c.found, c.integrity,
		strings.Join(warningLines(col.out.String(), logFrom), "\n"))
}

// TestAStoreFolderRemovedWhileRunningIsNoticedAndRecreated: the store's
// folder is deleted under the running collector (an operator, a cleaner of
// temporary files). Nothing is acknowledged into the deleted file, which
// no one would ever read again: the collector notices, says so once, and
// stores into a new file at its path, with no restart.
func TestAStoreFolderRemovedWhileRunningIsNoticedAndRecreated(t *testing.T) {
	col := startCollector(t, "local.yaml", "CARO_LOG_LEVEL=warn")
	s := newSender(t)
	url := "http://" + col.otlp + "/v1/logs"
	before, _, _, _, next := faultLoad(s, url, 0, 500*time.Millisecond, 0)
	if err := os.RemoveAll(filepath.Dir(col.store)); err != nil {
		t.Fatal(err)
	}
	logFrom := len(col.out.String())
	for k := range before {
		s.mu.Lock()
		delete(s.acked, before[k]) // gone with the folder, by the operator's hand
		s.mu.Unlock()
	}
	after, refused, codes, retryAfter, _ := faultLoad(s, url, next, 3*time.Second, 20*time.Millisecond)
	col.alive(t)
	for code := range codes {
		if code != http.StatusServiceUnavailable {
			t.Errorf("answered %d after the folder was removed, want 2xx or 503 (all: %v)", code, codes)
		}
	}
	logged := warnings(col.out.String(), logFrom)
	resendUntilStored(t, s, url, refused, time.Now().Add(30*time.Second))
	col.stop(t)
	if _, err := os.Stat(col.store); err != nil {
		t.Fatalf("no store at its path after the folder was removed: %v", err)
	}
	want := ackedUIDs(s)
	c := checkSQLite(t, col.store, want)
	expectStored(t, c, len(want))
	if logged == 0 || logged > 3 {
		t.Errorf("%d warning lines after the folder was removed, want one (per interval)", logged)
	}
	t.Logf("folder removed after %d batches: then %d batches acknowledged and %d refused %v (%d with Retry-After); "+
		"%d warning lines; %d acknowledged events in the new file, integrity_check %s\n%s",
		len(before), len(after), len(refused), codes, retryAfter, logged, c.found, c.integrity,
		strings.Join(warningLines(col.out.String(), logFrom), "\n"))
}

package collector

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// soakSample is the gateway's resident set and open files at a moment,
// with what makes up the resident set and the sizes on disk.
type soakSample struct {
	at         time.Duration // since the soak began
	rss        int64         // KiB
	anon, file int64         // KiB: RssAnon, RssFile+RssShmem
	goSys      int64         // KiB: what the Go runtime holds (the collector's own metric)
	files      int
	disk       int64 // KiB: the store (with its WAL) and the forward queue
}

// prefill appends at least n events of the load generator (batches far
// beyond those the soak sends) to the store at path, directly, and
// returns how many.
func prefill(t *testing.T, path string, s *sender, n int) int {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	total := 0
	for b := uint64(1 << 40); total < n; {
		var evs []store.Event
		for ; len(evs) < 20000; b++ {
			for _, r := range s.gen.Batch(b).Records {
				uid, attrs := event.SplitRecordUID(append([]schema.Attr(nil), r.Attrs...))
				evs = append(evs, store.Event{UID: uid, Name: r.Event, Time: r.Time, Attrs: attrs})
			}
		}
		res, err := st.Append(context.Background(), evs)
		if err != nil {
			t.Fatal(err)
		}
		total += res.Stored
	}
	return total
}

// du is the size of the files under dir, in bytes.
func du(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// soakWriterCacheKiB is the SQLite store writer's page cache (the store's
// writerCacheKiB): as much as the gateway's anonymous memory may grow
// while the cache fills with a growing store's index.
const soakWriterCacheKiB = 256 << 10

// TestSoak runs the gateway (gateway.yaml: SQLite store and forward) under
// the load generator's sessions for SOAK (default 20 s; `make soak`: 10m)
// while a loop SIGKILLs and restarts it, and the stack it forwards to
// (the stock collector) goes down and comes back, killed or stopped in
// turn. Clients resend what was not acknowledged. At the end, with both
// up, it prints the events sent, acknowledged, stored, forwarded and lost
// (which must be 0, in the store and in the forward), and the gateway's
// peak resident set and open files over time. With SOAK of 3 minutes or
// more, the peak memory of the Go runtime and the open files of the last
// minute must be within 10% of the first's, and the anonymous memory must
// not grow by more than the store writer's page cache, which fills as the
// store's index grows (file pages mapped from the growing store count in
// the resident set too, and are not held to anything: the kernel takes
// them back when it needs them). Such a soak starts from a store of
// 600,000 events.
func TestSoak(t *testing.T) {
	soak := durationEnv(t, "SOAK", 20*time.Second)
	killEvery := max(soak/30, 5*time.Second)
	flapEvery, flapDown := killEvery*3/2, killEvery/2
	st, gw, s := startForwarding(t, append(forwardEnv, "CARO_LOG_LEVEL=warn")...)
	urls := []string{gw.logsURL()}
	prefilled := 0
	if soak >= 3*time.Minute {
		// A gateway that has run for a while: its store already larger
		// than SQLite's page cache (64 MiB), which a new store would
		// otherwise fill during the first minutes and look like growth.
		gw.stop(t)
		prefilled = prefill(t, gw.store, s, 600000)
		gw.start(t)
	}

	var pidMu sync.Mutex
	pid := gw.cmd.Process.Pid
	start := time.Now()
	stopLoad, stopSampler := make(chan struct{}), make(chan struct{})
	loaded := make(chan uint64)
	go func() { loaded <- loadUntil(t, s, urls, 0, 2, 100*time.Millisecond, stopLoad) }()
	var samples []soakSample
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		everySecond(stopSampler, func() bool {
			pidMu.Lock()
			p := pid
			pidMu.Unlock()
			rss, err1 := procRSS(p)
			files, err2 := procFiles(p)
			if err1 != nil || err2 != nil || rss == 0 {
				return true
			}
			x := soakSample{at: time.Since(start), rss: rss, files: files, disk: du(gw.data) >> 10}
			x.anon, _ = procStatus(p, "RssAnon")
			file, _ := procStatus(p, "RssFile")
			shmem, _ := procStatus(p, "RssShmem")
			x.file = file + shmem
			if sys, err := scrapeErr(gw.metrics, "otelcol_process_runtime_total_sys_memory_bytes"); err == nil {
				x.goSys = int64(sys) >> 10
			}
			samples = append(samples, x)
			return true
		})
	}()

	kills, flaps := 0, 0
	nextKill, nextFlap, stackBack := start.Add(killEvery), start.Add(flapEvery), time.Time{}
	for end := start.Add(soak); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		now := time.Now()
		if now.After(nextKill) {
			pidMu.Lock()
			gw.kill(t)
			time.Sleep(200 * time.Millisecond)
			gw.start(t)
			pid = gw.cmd.Process.Pid
			pidMu.Unlock()
			kills++
			nextKill = now.Add(killEvery)
		}
		if now.After(nextFlap) && st.running() {
			if flaps%2 == 0 {
				st.kill(t)
			} else {
				st.stop(t)
			}
			flaps++
			stackBack, nextFlap = now.Add(flapDown), now.Add(flapEvery)
		}
		if !st.running() && now.After(stackBack) {
			st.start(t)
		}
	}
	close(stopLoad)
	sent := <-loaded
	if !st.running() {
		st.start(t)
	}
	gw.alive(t)
	want := ackedUIDs(s)
	drainBegin := time.Now()
	fc := st.awaitForwarded(want, time.Now().Add(2*time.Minute))
	drained := time.Since(drainBegin)
	close(stopSampler)
	<-sampled
	gw.stop(t)
	sc := checkSQLite(t, gw.store, want)

	window := min(time.Minute, soak/4)
	var first, last soakSample
	peak := func(p *soakSample, x soakSample) {
		p.rss, p.anon, p.goSys, p.files = max(p.rss, x.rss), max(p.anon, x.anon), max(p.goSys, x.goSys), max(p.files, x.files)
	}
	for _, x := range samples {
		if x.at < window {
			peak(&first, x)
		}
		if x.at > soak-window {
			peak(&last, x)
		}
	}
	var over strings.Builder
	for i, x := range samples {
		if i%max(1, len(samples)/12) == 0 {
			fmt.Fprintf(&over, "\n    %7v  RSS %4d MiB (anon %4d, files and shm %4d; the Go runtime holds %4d)  %3d files open  data on disk %5d MiB",
				x.at.Round(time.Second), x.rss>>10, x.anon>>10, x.file>>10, x.goSys>>10, x.files, x.disk>>10)
		}
	}
	s.mu.Lock()
	codes := fmt.Sprint(s.codes)
	s.mu.Unlock()
	report := fmt.Sprintf("soak %v: gateway SIGKILLed and restarted %d times, stack down %d times (%v each); "+
		"%d events in its store before\n"+
		"  events sent %d, acknowledged %d, stored %d, forwarded %d (%d extra copies, same uid; %d unacknowledged "+
		"but forwarded)\n  lost: store %d, forward %d; forward drained %v after the load stopped; integrity_check %s\n"+
		"  failed attempts by status %s\n"+
		"  gateway peaks, first %v and last: RSS %d and %d MiB, anon %d and %d MiB, the Go runtime %d and %d MiB; "+
		"open files %d and %d\n  over time:%s\n",
		soak, kills, flaps, flapDown, prefilled, int(sent)*s.gen.RecordsPerBatch(), len(want), sc.found, fc.forwarded, fc.copies, fc.unknown,
		len(want)-sc.found, fc.missing, drained.Round(time.Millisecond), sc.integrity, codes,
		window, first.rss>>10, last.rss>>10, first.anon>>10, last.anon>>10, first.goSys>>10, last.goSys>>10,
		first.files, last.files, over.String())
	t.Log("\n" + report)

	expectStored(t, sc, len(want))
	expectForwarded(t, st, fc, offeredUIDs(s, sent))
	if len(want) == 0 {
		t.Fatal("nothing acknowledged")
	}
	if soak >= 3*time.Minute {
		// What the Go runtime holds is what a leak of the collector's own
		// (requests, goroutines, buffers) would grow: within 10% (and 8
		// MiB, a GC cycle's worth at this size) of the first window's.
		if float64(last.goSys) > 1.1*float64(first.goSys)+8<<10 {
			t.Errorf("the Go runtime's memory at its peak, last %v: %d MiB, first: %d MiB: it grew", window,
				last.goSys>>10, first.goSys>>10)
		}
		// The rest of the resident set may grow with the store: file
		// pages (the kernel takes them back when it needs them) and
		// SQLite's page caches, which fill with the index as it grows, up
		// to the writer's 256 MiB. Not past that.
		if last.anon > first.anon*11/10+soakWriterCacheKiB {
			t.Errorf("anonymous memory at its peak, last %v: %d MiB, first: %d MiB: more than the writer's page cache can explain",
				window, last.anon>>10, first.anon>>10)
		}
		if float64(last.files) > 1.1*float64(first.files) {
			t.Errorf("open files of the last %v %d, of the first %d: more than 10%% growth", window, last.files, first.files)
		}
	}
}

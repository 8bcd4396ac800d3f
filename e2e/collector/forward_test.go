package collector

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadUntil posts batches first, first+1, ... from workers goroutines,
// each pausing pace after every batch, until stop is closed; each batch
// is sent again until acknowledged or until a minute has passed. It
// returns the next unused batch index.
func loadUntil(t *testing.T, s *sender, urls []string, first uint64, workers int, pace time.Duration, stop <-chan struct{}) uint64 {
	var next atomic.Uint64
	next.Store(first)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s.post(t, next.Add(1)-1, urls, time.Now().Add(time.Minute))
				if pace > 0 {
					select {
					case <-stop:
						return
					case <-time.After(pace):
					}
				}
			}
		})
	}
	wg.Wait()
	return next.Load()
}

// loadN posts batches first..first+n-1 from workers goroutines and fails
// the test for any not acknowledged within a minute.
func loadN(t *testing.T, s *sender, urls []string, first, n uint64, workers int) {
	t.Helper()
	next := make(chan uint64, n)
	for i := range n {
		next <- first + i
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range next {
				if !s.post(t, b, urls, time.Now().Add(time.Minute)) {
					t.Errorf("batch %d never acknowledged", b)
				}
			}
		})
	}
	wg.Wait()
}

// ackedUIDs returns the uids of every event of the acknowledged batches.
func ackedUIDs(s *sender) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.acked {
		out = append(out, s.uids(n)...)
	}
	return out
}

// offeredUIDs returns the uids of every event of batches 0..n-1, whether
// acknowledged or not.
func offeredUIDs(s *sender, n uint64) []string {
	var out []string
	for b := range n {
		out = append(out, s.uids(b)...)
	}
	return out
}

// expectForwarded fails the test unless the stack received every
// acknowledged event, and nothing but copies of events offered to the
// gateway: a copy carries the uid of its original, never another.
func expectForwarded(t *testing.T, st *stack, c forwardCheck, offered []string) {
	t.Helper()
	if c.missing > 0 {
		t.Errorf("%d of %d acknowledged events never reached the stack", c.missing, c.acked)
	}
	if n := st.foreign(offered); n > 0 {
		t.Errorf("the stack received %d uids that no client sent", n)
	}
}

// forwardEnv shortens the forward's backoff so that a test sees the queue
// drain seconds, not half a minute, after the stack is back.
var forwardEnv = []string{"CARO_FORWARD_RETRY_INITIAL=200ms", "CARO_FORWARD_RETRY_MAX=1s"}

// startForwarding runs a stack, a gateway forwarding to it (env adds to or
// overrides the gateway's environment) and a sender whose client trusts
// the gateway's certificate.
func startForwarding(t *testing.T, env ...string) (*stack, *gateway, *sender) {
	t.Helper()
	st := startStack(t)
	gw := startGateway(t, st.url(), env...)
	s := newSender(t)
	s.client = gw.client
	return st, gw, s
}

// TestTheGatewayForwardsEveryAcceptedEventOnce: gateway.yaml end to end,
// the stock collector as the stack: every event the gateway acknowledged
// over TLS is stored and reaches the stack exactly once.
func TestTheGatewayForwardsEveryAcceptedEventOnce(t *testing.T) {
	st, gw, s := startForwarding(t)
	start := time.Now()
	loadN(t, s, []string{gw.logsURL()}, 0, 60, 4)
	want := ackedUIDs(s)
	c := st.awaitForwarded(want, time.Now().Add(30*time.Second))
	took := time.Since(start)
	expectForwarded(t, st, c, want)
	if c.copies != 0 || c.unknown != 0 {
		t.Errorf("the stack received %d extra copies and %d unknown uids, want none without a fault", c.copies, c.unknown)
	}
	if got := st.accepted(t); int(got) != len(want) {
		t.Errorf("the stack's otelcol_receiver_accepted_log_records is %v, want %d", got, len(want))
	}
	if rows := len(gw.rows(t)); rows != len(want) {
		t.Errorf("the gateway stored %d events, want %d", rows, len(want))
	}
	gw.alive(t)
	t.Logf("forward: %d events acknowledged over TLS, %d stored, %d reached the stack once each (%d records), in %v",
		len(want), len(want), c.forwarded, c.records, took.Round(time.Millisecond))
}

// TestTheQueueDeliversEverythingAfterTheStackWasDownAMinute: the stack's
// process is killed and stays away a minute (FORWARD_OUTAGE shortens it)
// while clients keep sending; the gateway goes on acknowledging (its
// store does not depend on the stack), and once the stack is back its
// queue delivers every event.
func TestTheQueueDeliversEverythingAfterTheStackWasDownAMinute(t *testing.T) {
	t.Parallel() // a minute of waiting, beside the other long waits
	outage := durationEnv(t, "FORWARD_OUTAGE", time.Minute)
	st, gw, s := startForwarding(t, forwardEnv...)
	urls := []string{gw.logsURL()}
	loadN(t, s, urls, 0, 10, 2)

	st.kill(t)
	down := time.Now()
	stop := make(chan struct{})
	time.AfterFunc(outage, func() { close(stop) })
	next := loadUntil(t, s, urls, 10, 2, 250*time.Millisecond, stop)
	sentDown := next - 10
	s.mu.Lock()
	failed := fmt.Sprint(s.codes)
	if len(s.codes) > 0 {
		t.Errorf("clients got non-2xx answers while the stack was down: %s (the store does not need the stack)", failed)
	}
	s.mu.Unlock()
	distinctDown, _ := st.received()

	st.start(t)
	back := time.Now()
	want := ackedUIDs(s)
	c := st.awaitForwarded(want, time.Now().Add(90*time.Second))
	drained := time.Since(back)
	expectForwarded(t, st, c, offeredUIDs(s, next))
	gw.alive(t)
	t.Logf("stack down %v: %d batches (%d events) acknowledged meanwhile; %d events had reached the stack before; "+
		"back, the queue delivered all %d acknowledged events in %v (%d missing, %d extra copies, same uid)",
		back.Sub(down).Round(time.Second), sentDown, int(sentDown)*s.gen.RecordsPerBatch(), distinctDown,
		c.forwarded, drained.Round(time.Millisecond), c.missing, c.copies)
}

// TestARestartedGatewayDeliversWhatItsQueueHeld: with the stack down, the
// gateway acknowledges events, then is stopped (SIGTERM) or killed
// (SIGKILL) at once; started again, with the stack back, it delivers every
// one of them.
func TestARestartedGatewayDeliversWhatItsQueueHeld(t *testing.T) {
	for _, tc := range []struct {
		name string
		halt func(t *testing.T, gw *gateway)
	}{
		{"SIGTERM", func(t *testing.T, gw *gateway) { gw.stop(t) }},
		{"SIGKILL", func(t *testing.T, gw *gateway) { gw.kill(t) }},
	} {
		t.Run("after a "+tc.name, func(t *testing.T) {
			st, gw, s := startForwarding(t, forwardEnv...)
			urls := []string{gw.logsURL()}
			loadN(t, s, urls, 0, 5, 2)
			st.kill(t)
			loadN(t, s, urls, 5, 30, 4)
			tc.halt(t, gw)
			held, _ := st.received()

			st.start(t)
			gw.start(t)
			back := time.Now()
			want := ackedUIDs(s)
			c := st.awaitForwarded(want, time.Now().Add(60*time.Second))
			expectForwarded(t, st, c, want)
			t.Logf("%s with the stack down: %d of %d acknowledged events had reached the stack; after the restart "+
				"%d reached it in %v (%d missing, %d extra copies, same uid)", tc.name, held, len(want), c.forwarded,
				time.Since(back).Round(time.Millisecond), c.missing, c.copies)
		})
	}
}

//go:build unix

package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/internal/cli"
	"caro.sh/telemetry/internal/clocktest"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

// The clock-jump row of the fault matrix runs caro in this process, with
// its clock injected (cli.Env.Now, which every part of caro reads: the
// SDK, the spool, the upload and its schedule): the caro binary has no
// faked-clock option, and libfaketime, which moves the clock of C
// programs, cannot move a Go program's (the Go runtime reads the clock
// through the vDSO itself, never through libc). Files, the upload and its
// HTTP receiver on 127.0.0.1 are real.

// clock is a settable clock.
type clock = clocktest.Clock

// inProcess runs caro's Main in this process, in h, with clock c. A
// scheduled upload is not started as a process: it is noted, and
// uploadIfScheduled runs it the way the detached process would, after the
// run.
type inProcess struct {
	h         home
	c         *clock
	machine   string
	scheduled bool
}

func (p *inProcess) main(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	env := map[string]string{"HOME": p.h.dir, "XDG_CONFIG_HOME": p.h.config, "XDG_CACHE_HOME": p.h.cache, "SHELL": "/bin/sh"}
	var out, errb bytes.Buffer
	code = cli.Main(args, cli.Env{
		Stdout:           &out,
		Stderr:           &errb,
		Getenv:           func(k string) string { return env[k] },
		Now:              p.c.Now,
		HTTPClient:       &http.Client{},
		TelemetryOptions: []sdk.Option{sdk.WithMachineID(p.machine)},
		Detach: func([]string, string) error {
			p.scheduled = true
			return nil
		},
	})
	return out.String(), errb.String(), code
}

// record runs `caro "list files"` and returns the ids and session ids of
// the events it staged.
func (p *inProcess) record(t *testing.T) map[string]string {
	t.Helper()
	before := stagedSessions(t, p.h)
	out, stderr, code := p.main(t, "list files")
	if code != 0 || stderr != "" || out == "" {
		t.Fatalf("caro at %v: exit %d, stderr %q", p.c.Now(), code, stderr)
	}
	got := map[string]string{}
	for id, s := range stagedSessions(t, p.h) {
		if _, old := before[id]; !old {
			got[id] = s
		}
	}
	return got
}

// uploadIfScheduled runs the scheduled upload a run asked for, if any.
func (p *inProcess) uploadIfScheduled(t *testing.T) bool {
	t.Helper()
	if !p.scheduled {
		return false
	}
	p.scheduled = false
	out, stderr, code := p.main(t, "telemetry", "flush", "--background")
	if code != 0 || stderr != "" {
		t.Fatalf("scheduled upload at %v: exit %d, %q, %q", p.c.Now(), code, out, stderr)
	}
	return true
}

// stagedSessions maps the id of every event staged in h's inbox (claims
// included) to its session id.
func stagedSessions(t *testing.T, h home) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(sqlitespool.InboxPath(h.spool()) + "*")
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, raw := range bytes.Split(b, []byte("\n")) {
			l, err := event.ParseLine(raw)
			if err != nil || l.ID == "" {
				continue
			}
			_, _, attrs, err := event.Decode(l.Event)
			if err != nil {
				continue
			}
			for _, a := range attrs {
				if a.Key == schema.KeySessionID {
					out[l.ID] = a.Value.Str
				}
			}
		}
	}
	return out
}

// TestFaultClockJumpsNeitherUploadTwiceNorLoseEventsAndKeepSessionIDsAndRetention:
// the clock goes back a day, then forward a year, then back to the right
// time. Every event is uploaded exactly once, each with the session id of
// its run's (clock's) UTC day, the schedule goes on (a clock set back does
// not hold the next upload for a day or a year), and retention is counted
// on the corrected clock: what was recorded a year ahead is purged 7 days
// after the clock came back, not a year later. The one loss is retention's
// own: events still pending when the clock leaps a year are older than 7
// days by it, and are purged and counted (a spool cannot tell a wrong
// clock from a machine left off for a year).
func TestFaultClockJumpsNeitherUploadTwiceNorLoseEventsAndKeepSessionIDsAndRetention(t *testing.T) {
	rv := newReceiver(t)
	h := uploadHome(t, fmt.Sprintf("enabled = true\nendpoint = %q\n", rv.URL))
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	p := &inProcess{h: h, c: clocktest.New(t0), machine: "clock-jumps"}

	recorded := map[string]string{} // event id -> session id
	phase := map[string]string{}    // event id -> step
	var uploads []string
	step := func(name string, at time.Time) {
		t.Helper()
		p.c.Set(at)
		for id, s := range p.record(t) {
			recorded[id], phase[id] = s, name
			if want := sdk.SessionID(p.machine, at); s != want {
				t.Errorf("%s: event %s has session id %s, want %s (the clock's day, %s)", name, id, s, want, at.Format(time.DateOnly))
			}
		}
		if p.uploadIfScheduled(t) {
			uploads = append(uploads, name)
		}
	}
	step("on time", t0)
	step("back a day", t0.Add(-24*time.Hour))
	step("on time again", t0.Add(time.Hour))
	step("next day", t0.Add(25*time.Hour))
	// Still pending when the clock jumps: the upload a year ahead finds
	// them 7 days old and more by its clock, and purges them (counted).
	step("pending at the jump", t0.Add(25*time.Hour+30*time.Minute))
	step("a year ahead", t0.Add(365*24*time.Hour))
	step("a year ahead, later", t0.Add(365*24*time.Hour+time.Hour))
	step("back on time", t0.Add(26*time.Hour))

	// Everything recorded was uploaded, once.
	p.c.Set(t0.Add(50 * time.Hour))
	p.main(t, "telemetry", "flush")
	_, got := rv.got()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.uid]++
	}
	lost, purged, twice := 0, 0, 0
	for id := range recorded {
		switch n := seen[id]; {
		case n == 0 && phase[id] == "pending at the jump":
			purged++
		case n == 0:
			lost++
			t.Errorf("event %s (%s, session %s) never reached the receiver", id, phase[id], recorded[id])
		case n > 1:
			twice++
			t.Errorf("event %s reached the receiver %d times", id, n)
		}
	}
	if len(seen) != len(recorded)-purged {
		t.Errorf("the receiver got %d distinct events, %d were recorded and %d purged", len(seen), len(recorded), purged)
	}

	// Retention on the corrected clock: 8 days later, everything recorded
	// before (sent, so no longer needed) is purged, the year-ahead events
	// included.
	p.c.Set(t0.Add(26*time.Hour + 8*24*time.Hour))
	last := p.record(t)
	p.main(t, "telemetry", "show")
	kept, st, _ := readSpool(t, h, p.c.Now)
	if purged == 0 || st.Counters[sqlitespool.CounterPurgedAge] < int64(purged) {
		t.Errorf("%d events pending at the forward jump were not uploaded, purged_age is %d: each must be counted", purged, st.Counters[sqlitespool.CounterPurgedAge])
	}
	var stale []string
	for _, e := range kept {
		if _, ok := last[e.EventID]; !ok {
			stale = append(stale, fmt.Sprintf("%s created %s", e.Name, e.CreatedAt.Format(time.DateOnly)))
		}
	}
	if len(stale) > 0 {
		t.Errorf("8 days after the clock came back, %d events older than 7 days are kept: %s", len(stale), strings.Join(stale, ", "))
	}
	t.Logf("%d events recorded over the jumps, scheduled uploads at: %s", len(recorded), strings.Join(uploads, ", "))
	t.Logf("%d lost, %d uploaded twice, %d kept past retention; %d pending at the forward jump purged as older than %d days by the clock a year ahead (purged_age %d)",
		lost, twice, len(stale), purged, schema.LocalRetentionDays, st.Counters[sqlitespool.CounterPurgedAge])
}

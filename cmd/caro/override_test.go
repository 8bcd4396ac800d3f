package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/insights"
	"caro.sh/telemetry/store"
)

// TestOverriddenBlocksMakeTheFalsePositiveRate: at the strict level a high
// risk command is blocked, and on a terminal the user may run it anyway by
// typing "yes, run it"; --yes never overrides a block, and a critical one
// is never offered. Four real caro sessions on a pseudo-terminal record
// four blocks, one overridden; the events of caro's spool, stored as an
// upload stores them, give a False Positive Rate of 1/4 (1/3 of the high
// risk blocks, 0/1 of the critical one).
func TestOverriddenBlocksMakeTheFalsePositiveRate(t *testing.T) {
	var mu sync.Mutex
	reply := "rm -rf ./*" // high risk (filesystem_destruction)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cmd := reply
		mu.Unlock()
		ollamaHandler(cmd, func([]byte) {})(w, r)
	}))
	t.Cleanup(srv.Close)
	home := homeWith(t, "[telemetry]\nenabled = true\n\n"+
		"[backend]\nprimary = \"ollama\"\nollama_url = \""+srv.URL+"\"\n\n[safety]\nlevel = \"strict\"\n")
	// The generated command empties the folder it runs in: a scratch one.
	scratch := t.TempDir()
	keep := filepath.Join(scratch, "keep")
	const offer = `caro: blocked at the strict safety level. To run it anyway, type "yes, run it" (anything else cancels): `

	// 1. Overridden: the command runs.
	writeFile(t, keep, "x")
	s := startSessionIn(t, scratch, home, "caro", "empty this folder")
	s.expect("caro: this command is high risk (filesystem_destruction):")
	s.expect(offer)
	s.send("yes, run it")
	if code, out := s.wait(); code != 0 {
		t.Fatalf("overridden: exit code %d, want 0; output:\n%s", code, out)
	}
	if _, err := os.Stat(keep); !os.IsNotExist(err) {
		t.Fatalf("overridden, yet the command did not run: %v", err)
	}

	// 2. Declined: y is not the phrase.
	writeFile(t, keep, "x")
	s = startSessionIn(t, scratch, home, "caro", "empty this folder")
	s.expect(offer)
	s.send("y")
	s.expect("caro: blocked: high risk (filesystem_destruction); not run")
	if code, out := s.wait(); code != 4 {
		t.Fatalf("declined: exit code %d, want 4; output:\n%s", code, out)
	}

	// 3. --yes: blocked, nothing offered.
	s = startSessionIn(t, scratch, home, "caro", "-y", "empty this folder")
	s.expect(`caro: blocked: high risk (filesystem_destruction) at the strict safety level; to run it anyway, ` +
		`run caro on a terminal without --yes and type "yes, run it"`)
	if code, out := s.wait(); code != 4 || strings.Contains(out, offer) {
		t.Fatalf("--yes: exit code %d, want 4 and no offer; output:\n%s", code, out)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("a block that was not overridden ran: %v", err)
	}

	// 4. Critical: blocked, nothing offered, never printed to stdout
	// (here stdout and stderr are the same terminal: see safety.txtar).
	mu.Lock()
	reply = "rm -rf /"
	mu.Unlock()
	s = startSessionIn(t, scratch, home, "caro", "clean up everything")
	s.expect("caro: blocked: critical risk (filesystem_destruction); caro does not run this command, not even with --yes")
	if code, out := s.wait(); code != 4 || strings.Contains(out, offer) {
		t.Fatalf("critical: exit code %d, want 4 and no offer; output:\n%s", code, out)
	}

	rep := computeFromSpool(t, home)
	for _, c := range []struct {
		name, segment string
		num, den      int64
	}{
		{"false_positive_rate", "all", 1, 4},
		{"false_positive_rate", "risk_level=high", 1, 3},
		{"false_positive_rate", "risk_level=critical", 0, 1},
		{"safety_block_rate", "all", 4, 4},
		{"csr", "all", 1, 4},
	} {
		m, ok := rep.Get(c.name, c.segment)
		if !ok || !m.OK || m.Numerator != c.num || m.Denominator != c.den {
			t.Errorf("%s %s = %d/%d (found %v), want %d/%d", c.name, c.segment, m.Numerator, m.Denominator, ok, c.num, c.den)
		}
	}
}

// computeFromSpool stores home's pending events into a new collector
// store, each with its spool id as an upload sends it (log.record.uid), as
// the fleet simulator does, and computes the metrics of their UTC day.
func computeFromSpool(t *testing.T, home string) insights.Report {
	t.Helper()
	ctx := context.Background()
	sp, err := sqlitespool.Open(ctx, sqlitespool.Options{Path: spoolOf(home), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := sp.Pending(ctx, 0)
	sp.Close()
	if err != nil {
		t.Fatal(err)
	}
	var evs []store.Event
	var day time.Time
	for _, e := range pending {
		evs = append(evs, store.Event{UID: e.EventID, Name: e.Name, Time: e.Time, Attrs: e.Attrs})
		day = insights.Day(e.Time)
	}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "store.db"),
		Now: func() time.Time { return day.Add(12 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if res, err := st.Append(ctx, evs); err != nil || res.Stored != len(evs) {
		t.Fatalf("stored %+v of %d events: %v", res, len(evs), err)
	}
	rep, err := insights.Compute(ctx, st, day, day.AddDate(0, 0, 1), insights.SegmentNone)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

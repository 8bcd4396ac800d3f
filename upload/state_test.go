package upload

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		name string
		st   State
		now  time.Time
		want bool
	}{
		{"a state with no time at all is due", State{}, t0, true},
		{"the first upload waits an interval after the first events", State{FirstEvent: t0}, t0.Add(23 * time.Hour), false},
		{"the first upload is due an interval after the first events", State{FirstEvent: t0}, t0.Add(day), true},
		{"after an attempt the first events no longer count",
			State{FirstEvent: t0.Add(-72 * time.Hour), LastAttempt: t0}, t0.Add(time.Hour), false},
		{"first events in the future restart the schedule", State{FirstEvent: t0}, t0.Add(-time.Hour), true},
		{"an upload an hour ago is not due again", State{LastAttempt: t0}, t0.Add(time.Hour), false},
		{"an upload a full interval ago is due", State{LastAttempt: t0}, t0.Add(day), true},
		{"a backoff beyond the interval still holds",
			State{LastAttempt: t0, Failures: 6, NextAttempt: t0.Add(40 * time.Hour)}, t0.Add(30 * time.Hour), false},
		{"a backoff that has passed is due",
			State{LastAttempt: t0, Failures: 6, NextAttempt: t0.Add(40 * time.Hour)}, t0.Add(40 * time.Hour), true},
		{"a Retry-After shorter than the interval does not shorten it",
			State{LastAttempt: t0, Failures: 1, NextAttempt: t0.Add(time.Minute)}, t0.Add(time.Hour), false},
		{"a clock set back restarts the schedule",
			State{LastAttempt: t0, NextAttempt: t0.Add(72 * time.Hour)}, t0.Add(-time.Hour), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.st.Due(day, tc.now); got != tc.want {
				t.Errorf("Due(%+v, %v) = %v, want %v", tc.st, tc.now, got, tc.want)
			}
			path := filepath.Join(t.TempDir(), "telemetry.db")
			if err := tc.st.save(StatePath(path)); err != nil {
				t.Fatal(err)
			}
			if got, started := DueFile(path, day, tc.now); got != tc.want || !started {
				t.Errorf("DueFile = %v, %v; want %v, started (state file round trip)", got, started, tc.want)
			}
		})
	}
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "telemetry.db")
	t.Run("a missing file is a spool never uploaded", func(t *testing.T) {
		st, err := LoadState(StatePath(spool))
		if err != nil || st != (State{}) {
			t.Fatalf("LoadState = %+v, %v", st, err)
		}
	})
	t.Run("a missing file is a schedule not started, not due", func(t *testing.T) {
		if due, started := DueFile(spool, time.Hour, time.Now()); due || started {
			t.Errorf("DueFile = %v, %v; want not due, not started", due, started)
		}
	})
	t.Run("a malformed file is reported and counts as never uploaded", func(t *testing.T) {
		if err := os.WriteFile(StatePath(spool), []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadState(StatePath(spool)); err == nil {
			t.Error("LoadState accepted a malformed file")
		}
		if due, started := DueFile(spool, time.Hour, time.Now()); !due || !started {
			t.Errorf("a malformed state: DueFile = %v, %v; want due, started", due, started)
		}
	})
	t.Run("save replaces the file whole and leaves no temporary file", func(t *testing.T) {
		want := State{LastAttempt: time.Unix(1_800_000_000, 0).UTC(), Failures: 2,
			NextAttempt: time.Unix(1_800_003_600, 0).UTC(), LastError: "send telemetry: server answered 500"}
		if err := os.WriteFile(StatePath(spool)+".tmp", []byte("left by a killed writer"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := want.save(StatePath(spool)); err != nil {
			t.Fatal(err)
		}
		got, err := LoadState(StatePath(spool))
		if err != nil || got != want {
			t.Fatalf("LoadState = %+v, %v; want %+v", got, err, want)
		}
		if _, err := os.Stat(StatePath(spool) + ".tmp"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("temporary file left: %v", err)
		}
		if info, _ := os.Stat(StatePath(spool)); info.Mode().Perm() != 0o600 {
			t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
		}
	})
}

func TestBackoff(t *testing.T) {
	base, max := time.Minute, time.Hour
	for _, tc := range []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0, 30 * time.Second},
		{1, 0.999999, time.Minute - 30*time.Microsecond},
		{2, 0, time.Minute},
		{3, 0.5, 3 * time.Minute},
		{7, 0, 30 * time.Minute}, // 64 min capped at 60
		{1000, 0, 30 * time.Minute},
	} {
		got := backoff(tc.n, base, max, func() float64 { return tc.jitter })
		if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("backoff(%d, jitter %v) = %v, want %v", tc.n, tc.jitter, got, tc.want)
		}
	}
	s, _ := Options{BackoffBase: base, BackoffMax: max}.settings()
	long := &SendError{Outcome: Throttled, HasRetryAfter: true, RetryAfter: 30 * 24 * time.Hour}
	if d := delayAfter(long, 1, s); d != max {
		t.Errorf("a 30-day Retry-After waits %v, want the cap %v", d, max)
	}
	zero := &SendError{Outcome: Throttled, HasRetryAfter: true}
	if d := delayAfter(zero, 3, s); d != 0 {
		t.Errorf("Retry-After: 0 waits %v, want 0", d)
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	netErr := errors.New("dial tcp: connection refused")
	for _, tc := range []struct {
		status int
		ra     string
		err    error
		want   Outcome // 0: delivered
		is     error
	}{
		{200, "", nil, 0, nil},
		{204, "", nil, 0, nil},
		{200, "", errors.New("OTLP partial success: 1 log records rejected"), 0, nil},
		{0, "", netErr, Retry, ErrUnavailable},
		{0, "", nil, Retry, ErrUnavailable},
		{500, "", errors.New("500"), Retry, ErrUnavailable},
		{502, "", errors.New("502"), Retry, ErrUnavailable},
		{504, "", errors.New("504"), Retry, ErrUnavailable},
		{307, "", errors.New("307"), Retry, ErrUnavailable},
		{429, "7", errors.New("429"), Throttled, ErrUnavailable},
		{503, "", errors.New("503"), Throttled, ErrUnavailable},
		{400, "", errors.New("400"), Rejected, ErrRejected},
		{401, "", errors.New("401"), Rejected, ErrRejected},
		{404, "", errors.New("404"), Rejected, ErrRejected},
		{413, "", errors.New("413"), Rejected, ErrRejected},
	} {
		e := classify(tc.status, tc.ra, tc.err, now)
		switch {
		case tc.want == 0 && e != nil:
			t.Errorf("classify(%d, %v) = %v, want delivered", tc.status, tc.err, e)
		case tc.want != 0 && (e == nil || e.Outcome != tc.want || !errors.Is(e, tc.is)):
			t.Errorf("classify(%d, %v) = %v, want %v (%v)", tc.status, tc.err, e, tc.want, tc.is)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"0", 0, true},
		{"-3", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999999", maxRetryAfter, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"Thu, 26 Nov 2026 08:00:00 GMT", 0, true}, // in the past
		{"Thursday, 26-Nov-26 09:01:00 GMT", time.Minute, true},
		{"Thu Nov 26 09:02:00 2026", 2 * time.Minute, true},
		{"tomorrow", 0, false},
	} {
		got, ok := parseRetryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "Thu, 26 Nov 2026 09:00:00 GMT", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if d < 0 || d > maxRetryAfter || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", v, d, ok)
		}
		_ = now.Add(d) // must not overflow into the past
		if now.Add(d).Before(now) {
			t.Fatalf("parseRetryAfter(%q) = %v overflows", v, d)
		}
	})
}

// DueFile reads the schedule without encoding/json when the file is as
// save writes it (quickSchedule) and with it otherwise; either way it must
// decide as LoadState and Due do.
func TestDueFileReadsEveryStateFileAsEncodingJSONDoes(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.UTC)
	day := 24 * time.Hour
	saved := func(st State) string {
		path := filepath.Join(t.TempDir(), "state.json")
		if err := st.save(path); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		return string(b)
	}
	cases := []struct {
		name  string
		file  string
		quick bool // quickSchedule reads it
	}{
		{"saved, never attempted", saved(State{}), true},
		{"saved, schedule started", saved(State{FirstEvent: t0}), true},
		{"saved, started and attempted", saved(State{FirstEvent: t0.Add(-day), LastAttempt: t0, LastSuccess: t0}), true},
		{"saved, started and backing off", saved(State{FirstEvent: t0.Add(-day), LastAttempt: t0, Failures: 1,
			NextAttempt: t0.Add(40 * time.Hour)}), true},
		{"written by an older caro", `{"last_attempt":"0001-01-01T00:00:00Z","next_attempt":"2026-11-28T09:00:00Z"}`, true},
		{"first_event after another field", `{"last_attempt":"2026-11-26T09:00:00Z","first_event":"2026-11-20T09:00:00Z"}`, false},
		{"a key again in capitals", `{"first_event":"2026-11-26T09:00:00Z","FIRST_EVENT":"2026-11-20T09:00:00Z"}`, false},
		{"a key again, escaped", `{"last_attempt":"2026-11-26T09:00:00Z","next_\u0061ttempt":"2027-11-20T09:00:00Z"}`, false},
		{"saved, attempted", saved(State{LastAttempt: t0, LastSuccess: t0}), true},
		{"saved, backing off", saved(State{LastAttempt: t0, Failures: 3, NextAttempt: t0.Add(40 * time.Hour),
			LastError: `server said "next_attempt":"2099-01-01T00:00:00Z"`}), true},
		{"saved, in another zone", saved(State{LastAttempt: t0.In(time.FixedZone("X", 5*3600))}), true},
		{"hand-written with spaces", `{ "last_attempt": "2026-11-26T09:00:00Z", "next_attempt": "2026-11-28T09:00:00Z" }`, false},
		{"next_attempt first", `{"next_attempt":"2026-11-28T09:00:00Z","last_attempt":"2026-11-26T09:00:00Z"}`, false},
		{"next_attempt after another field", `{"last_attempt":"2026-11-26T09:00:00Z","failures":2,"next_attempt":"2026-11-28T09:00:00Z"}`, false},
		{"a time that is not RFC 3339", `{"last_attempt":"yesterday"}`, false},
		{"an escaped time", `{"last_attempt":"2026-11-26T09:00:00\u005a"}`, false},
		{"not JSON", `{not json`, false},
		{"truncated", `{"last_attempt":"2026-11-26T09:0`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := quickSchedule([]byte(tc.file)); ok != tc.quick {
				t.Errorf("quickSchedule ok = %v, want %v for %s", ok, tc.quick, tc.file)
			}
			spool := filepath.Join(t.TempDir(), "telemetry.db")
			if err := os.WriteFile(StatePath(spool), []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			st, _ := LoadState(StatePath(spool))
			for _, now := range []time.Time{t0.Add(-time.Hour), t0.Add(time.Hour), t0.Add(day + time.Hour),
				t0.Add(41 * time.Hour), t0.Add(3 * day)} {
				if got, _ := DueFile(spool, day, now); got != st.Due(day, now) {
					want := st.Due(day, now)
					t.Errorf("DueFile at %v = %v, LoadState+Due = %v, for %s", now, got, want, tc.file)
				}
			}
		})
	}
}

func TestStartSchedule(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	t.Run("the first call creates the state, folder and all, and the next ones do not", func(t *testing.T) {
		spool := filepath.Join(t.TempDir(), "cache", "caro", "telemetry.db")
		for i, want := range []bool{true, false} {
			created, err := StartSchedule(spool, t0.Add(time.Duration(i)*time.Hour))
			if err != nil || created != want {
				t.Fatalf("call %d: StartSchedule = %v, %v; want %v", i+1, created, err, want)
			}
		}
		st, err := LoadState(StatePath(spool))
		if err != nil || st != (State{FirstEvent: t0}) {
			t.Fatalf("state = %+v, %v; want the first call's", st, err)
		}
		if due, started := DueFile(spool, day, t0.Add(day-time.Second)); due || !started {
			t.Errorf("a second before the interval: DueFile = %v, %v; want not due, started", due, started)
		}
		if due, _ := DueFile(spool, day, t0.Add(day)); !due {
			t.Error("an interval after the first events: not due")
		}
		entries, _ := os.ReadDir(filepath.Dir(spool))
		if len(entries) != 1 {
			t.Errorf("the folder holds %d files, want the state alone", len(entries))
		}
		if info, _ := os.Stat(filepath.Dir(spool)); info.Mode().Perm() != 0o700 {
			t.Errorf("folder mode %v, want 0700", info.Mode().Perm())
		}
	})
	t.Run("a state a flush wrote is kept", func(t *testing.T) {
		spool := filepath.Join(t.TempDir(), "telemetry.db")
		flushed := State{LastAttempt: t0, LastSuccess: t0}
		if err := flushed.save(StatePath(spool)); err != nil {
			t.Fatal(err)
		}
		if created, err := StartSchedule(spool, t0.Add(time.Hour)); created || err != nil {
			t.Fatalf("StartSchedule = %v, %v; want false", created, err)
		}
		if st, _ := LoadState(StatePath(spool)); st != flushed {
			t.Errorf("state = %+v, want %+v", st, flushed)
		}
	})
}

// Whatever a state file holds, the quick read decides as encoding/json
// does.
func FuzzQuickSchedule(f *testing.F) {
	f.Add([]byte(`{"first_event":"2026-11-26T09:00:00Z"}`))
	f.Add([]byte(`{"first_event":"2026-11-20T09:00:00Z","last_attempt":"2026-11-26T09:00:00Z","next_attempt":"2026-11-28T09:00:00Z","failures":1}`))
	f.Add([]byte(`{"last_attempt":"2026-11-26T09:00:00Z","last_success":"2026-11-26T09:00:00Z"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"first_event":"2026-11-26T09:00:00Z","FIRST_EVENT":"2026-11-20T09:00:00Z"}`))
	f.Add([]byte(`{"last_attempt":"2026-11-26T09:00:00Z","next_\u0061ttempt":"2027-11-20T09:00:00Z"}`))
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		quick, ok := quickSchedule(b)
		if !ok {
			return
		}
		var st State
		if err := json.Unmarshal(b, &st); err != nil {
			return // the quick read only looks at its three fields
		}
		for _, now := range []time.Time{t0.Add(-time.Hour), t0, t0.Add(30 * time.Hour), t0.Add(400 * 24 * time.Hour)} {
			if quick.Due(24*time.Hour, now) != st.Due(24*time.Hour, now) {
				t.Fatalf("at %v quickSchedule decides %v, encoding/json %v, for %s", now, quick.Due(24*time.Hour, now), st.Due(24*time.Hour, now), b)
			}
		}
	})
}

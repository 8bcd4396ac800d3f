package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
)

// testDirs returns throw-away config and cache folders.
func testDirs(t *testing.T) Dirs {
	t.Helper()
	dir := t.TempDir()
	return Dirs{Config: filepath.Join(dir, "config"), Cache: filepath.Join(dir, "cache")}
}

func enabledConfig(dirs Dirs, level schema.Level) Config {
	return Config{Enabled: true, Level: level, Dirs: dirs, SpoolMaxBytes: 10 << 20}
}

type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(s string) { w.mu.Lock(); w.msgs = append(w.msgs, s); w.mu.Unlock() }
func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

var fixedNow = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

// recordFullSession records the six events with every field set.
func recordFullSession(c *Client) {
	c.SessionStart(SessionStart{
		Platform: Platform{OS: schema.OSLinux, Arch: schema.ArchX8664, Shell: schema.ShellZsh},
		Backend:  schema.BackendOllama, FallbackEnabled: true, SafetyLevel: schema.SafetyStrict,
		OutputFormat: schema.OutputJSON, IsFirstRun: Ptr(false), ConfigSource: schema.ConfigFile,
	})
	gen := c.CommandGenerated(CommandGenerated{Backend: schema.BackendOllama, InferenceTime: 1823 * time.Millisecond,
		RiskLevel: schema.RiskHigh, PatternsMatched: 2, ModelName: "Qwen2.5-Coder-1.5B", InputTokens: Ptr(45),
		OutputTokens: Ptr(23), Confidence: Ptr(0.92), RetryCount: Ptr(1)})
	c.SafetyTriggered(SafetyTriggered{GenerationID: gen, RiskLevel: schema.RiskHigh,
		PatternCategory: schema.PatternPermissionChange, Action: schema.ActionWarned, UserOverride: Ptr(true),
		SafetyLevelConfig: schema.SafetyStrict})
	c.CommandExecuted(CommandExecuted{GenerationID: gen, Mode: schema.ExecAutoYes, Modified: true,
		ExitCategory: schema.ExitError, ExecutionTime: Ptr(234 * time.Millisecond)})
	c.ErrorOccurred(ErrorOccurred{Category: schema.ErrBackendTimeout, Component: schema.ComponentInference,
		Backend: schema.BackendOllama, Recoverable: Ptr(true), FallbackAttempted: Ptr(true)})
	c.SessionEnd(SessionEnd{ExitReason: schema.ExitUserComplete})
}

func readSpool(t *testing.T, dirs Dirs) []sqlitespool.Event {
	t.Helper()
	sp, err := sqlitespool.Open(context.Background(), sqlitespool.Options{Path: dirs.SpoolFile()})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	evs, err := sp.List(context.Background(), sqlitespool.ListOptions{Limit: 1000, IncludeTransmitted: true})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestAllSixEventsWithEveryFieldReachTheSpool(t *testing.T) {
	dirs := testDirs(t)
	var w warnings
	c := Start(context.Background(), enabledConfig(dirs, schema.LevelDetailed), WithVersion("1.1.0"),
		WithMachineID("test-machine"), WithWarn(w.add))
	recordFullSession(c)
	c.Shutdown(context.Background())
	if len(w.all()) != 0 {
		t.Fatalf("warnings: %v", w.all())
	}

	evs := readSpool(t, dirs)
	var names []string
	for _, e := range evs {
		names = append(names, e.Name)
	}
	want := []string{schema.EventSessionStart, schema.EventCommandGenerated, schema.EventSafetyTriggered,
		schema.EventCommandExecuted, schema.EventErrorOccurred, schema.EventSessionEnd}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("stored events %v, want %v", names, want)
	}
	for _, e := range evs {
		t.Run(e.Name+" carries exactly its schema fields with their types", func(t *testing.T) {
			def, _ := schema.Lookup(e.Name)
			got := map[string]schema.Value{}
			for _, a := range e.Attrs {
				got[a.Key] = a.Value
			}
			for _, f := range def.Fields {
				if f.Transport {
					continue // log.record.uid: the spool's id column, never set by Caro code
				}
				v, ok := got[f.Key]
				if !ok {
					t.Errorf("field %s missing", f.Key)
					continue
				}
				if v.Type != f.Type {
					t.Errorf("field %s has type %s, want %s", f.Key, v.Type, f.Type)
				}
				delete(got, f.Key)
			}
			for k := range got {
				t.Errorf("field %s is not in the schema", k)
			}
		})
	}
	end := evs[len(evs)-1]
	for _, a := range end.Attrs {
		switch a.Key {
		case "commands_generated", "commands_executed", "errors_encountered", "safety_blocks", "retries":
			want := map[string]int64{"commands_generated": 1, "commands_executed": 1, "errors_encountered": 1,
				"safety_blocks": 0, "retries": 1}[a.Key]
			if a.Value.Int != want {
				t.Errorf("session.end %s = %d, want %d", a.Key, a.Value.Int, want)
			}
		case schema.KeySessionID:
			if a.Value.Str != c.sessionID || len(a.Value.Str) != 16 {
				t.Errorf("session id %q", a.Value.Str)
			}
		}
	}
}

func TestFieldsOutsideTheSchemaNeverReachTheSpool(t *testing.T) {
	dirs := testDirs(t)
	c := Start(context.Background(), enabledConfig(dirs, schema.LevelDetailed), WithMachineID("m"))
	// A caller bypassing the typed API: the redaction processor still
	// keeps only allowlisted fields, and rejects sensitive values.
	var r log.Record
	r.SetEventName(schema.EventErrorOccurred)
	r.SetTimestamp(time.Now())
	r.AddAttributes(
		attribute.String(schema.KeySessionID, c.SessionID()),
		attribute.String("error_category", "config_error"),
		attribute.String("error_code", "E2001"),
		attribute.String("component", "config"),
		attribute.String("message", "open /home/alice/.config/caro/config.toml: permission denied"),
		attribute.String("host.name", "alice-laptop"),
	)
	c.logger.Emit(context.Background(), r)
	var bad log.Record
	bad.SetEventName(schema.EventErrorOccurred)
	bad.AddAttributes(attribute.String(schema.KeySessionID, c.SessionID()),
		attribute.String("error_category", "/etc/passwd"), attribute.String("error_code", "E2001"),
		attribute.String("component", "config"))
	c.logger.Emit(context.Background(), bad)
	c.Shutdown(context.Background())

	evs := readSpool(t, dirs)
	if len(evs) != 1 {
		t.Fatalf("stored %d events, want 1 (the sensitive one rejected)", len(evs))
	}
	var keys []string
	for _, a := range evs[0].Attrs {
		keys = append(keys, a.Key)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "component,error_category,error_code,session_id" {
		t.Errorf("stored keys %s", got)
	}
	sp, _ := sqlitespool.Open(context.Background(), sqlitespool.Options{Path: dirs.SpoolFile()})
	defer sp.Close()
	st, _ := sp.Stats(context.Background())
	if st.Counters["rejected_path"] != 1 || st.Counters["rejected_dropped_field"] != 2 {
		t.Errorf("counters = %v, want one path rejection and two dropped fields", st.Counters)
	}
	raw, _ := os.ReadFile(dirs.SpoolFile())
	for _, secret := range []string{"alice", "/etc/passwd", "permission denied"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("spool file contains %q", secret)
		}
	}
}

func TestLevelsDecideWhatIsRecorded(t *testing.T) {
	tests := []struct {
		level      schema.Level
		wantEvents []string
		wantFields map[string]bool // field -> present in command.generated
	}{
		{schema.LevelMinimal, []string{"session.start", "error.occurred", "session.end"}, nil},
		{schema.LevelStandard, []string{"session.start", "command.generated", "safety.triggered", "command.executed", "error.occurred", "session.end"},
			map[string]bool{"retry_count": true, "model_name": true, "input_token_count": false, "confidence_score": false}},
		{schema.LevelDetailed, []string{"session.start", "command.generated", "safety.triggered", "command.executed", "error.occurred", "session.end"},
			map[string]bool{"retry_count": true, "input_token_count": true, "output_token_count": true, "confidence_score": true}},
	}
	for _, tt := range tests {
		t.Run("level "+tt.level.String()+" records its events and fields only", func(t *testing.T) {
			dirs := testDirs(t)
			c := Start(context.Background(), enabledConfig(dirs, tt.level), WithMachineID("m"))
			recordFullSession(c)
			c.Shutdown(context.Background())
			evs := readSpool(t, dirs)
			var names []string
			for _, e := range evs {
				names = append(names, e.Name)
				if e.Name == schema.EventSessionEnd {
					// The tally counts events the level did not record.
					for _, a := range e.Attrs {
						if a.Key == "commands_generated" && a.Value.Int != 1 {
							t.Errorf("commands_generated = %d, want 1", a.Value.Int)
						}
					}
				}
				if e.Name != schema.EventCommandGenerated {
					continue
				}
				have := map[string]bool{}
				for _, a := range e.Attrs {
					have[a.Key] = true
				}
				for k, want := range tt.wantFields {
					if have[k] != want {
						t.Errorf("field %s present = %v, want %v", k, have[k], want)
					}
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.wantEvents, ",") {
				t.Errorf("events %v, want %v", names, tt.wantEvents)
			}
		})
	}
}

func TestDisabledClientOpensNoFile(t *testing.T) {
	dirs := testDirs(t)
	c := Start(context.Background(), Config{Enabled: false, Dirs: dirs})
	recordFullSession(c)
	c.Shutdown(context.Background())
	var nilClient *Client
	recordFullSession(nilClient)
	nilClient.Shutdown(context.Background())
	for _, d := range []string{dirs.Config, dirs.Cache} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s exists after a disabled session", d)
		}
	}
}

func TestEventsRecordedButNeverStoredAtAnEmptySessionOpenNoSpool(t *testing.T) {
	dirs := testDirs(t)
	c := Start(context.Background(), enabledConfig(dirs, schema.LevelStandard), WithMachineID("m"))
	c.Shutdown(context.Background())
	if sqlitespool.Exists(dirs.SpoolFile()) {
		t.Error("a session that recorded nothing created the spool or its inbox")
	}
}

func TestTelemetryFailuresBecomeOneWarning(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dirs Dirs)
		want  int // events stored afterwards (-1: not checked)
		// warnings the recording process prints: the client stages events
		// in the inbox and never opens the database, so a corrupt one is
		// found, moved aside and recreated by the next Open, not here.
		warnings int
	}{
		{name: "a read-only cache folder", want: -1, warnings: 1, setup: func(t *testing.T, dirs Dirs) {
			if os.Getuid() == 0 {
				// root ignores permissions: a file where the folder should be
				// fails the same way.
				if err := os.WriteFile(dirs.Cache, []byte("not a folder"), 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err := os.MkdirAll(dirs.Cache, 0o500); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a corrupt database file", want: 6, warnings: 0, setup: func(t *testing.T, dirs Dirs) {
			if err := os.MkdirAll(dirs.Cache, 0o700); err != nil {
				t.Fatal(err)
			}
			junk := bytes.Repeat([]byte("this is not sqlite "), 500)
			if err := os.WriteFile(dirs.SpoolFile(), junk, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" leaves the client working with at most one warning", func(t *testing.T) {
			dirs := testDirs(t)
			tt.setup(t, dirs)
			var w warnings
			c := Start(context.Background(), enabledConfig(dirs, schema.LevelStandard), WithMachineID("m"), WithWarn(w.add))
			recordFullSession(c)
			recordFullSession(c)
			c.Shutdown(context.Background())
			if n := len(w.all()); n != tt.warnings {
				t.Errorf("%d warnings, want %d: %v", n, tt.warnings, w.all())
			}
			if tt.want >= 0 {
				if got := len(readSpool(t, dirs)); got != tt.want*2 {
					t.Errorf("stored %d events after recovery, want %d", got, tt.want*2)
				}
			}
		})
	}
}

func TestDebugPrintsWhatIsStored(t *testing.T) {
	dirs := testDirs(t)
	var buf bytes.Buffer
	// Today, not fixedNow: the spool keeps 7 days, counted from the
	// real clock when it is read.
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := Start(context.Background(), enabledConfig(dirs, schema.LevelStandard), WithMachineID("m"),
		WithDebug(&buf), WithClock(func() time.Time { return now }))
	c.SessionEnd(SessionEnd{ExitReason: schema.ExitUserComplete})
	c.Shutdown(context.Background())
	line := strings.TrimPrefix(strings.TrimSpace(buf.String()), "caro telemetry: ")
	var printed map[string]any
	if err := json.Unmarshal([]byte(line), &printed); err != nil {
		t.Fatalf("debug line %q: %v", buf.String(), err)
	}
	evs := readSpool(t, dirs)
	stored, err := event.Encode(evs[0].Name, evs[0].Time, evs[0].Attrs)
	if err != nil || string(stored) != line {
		t.Errorf("debug printed\n%s\nspool holds\n%s", line, stored)
	}
}

// TestRecordingWhileAnotherGoroutineShutsDown: a signal handler may end
// the session while the flow still records; under -race this fails if
// Enabled and Shutdown share unsynchronised state. Every event recorded
// before Shutdown began is stored, and Shutdown persists once.
func TestRecordingWhileAnotherGoroutineShutsDown(t *testing.T) {
	dirs := Dirs{Config: t.TempDir(), Cache: t.TempDir()}
	c := Start(context.Background(), enabledConfig(dirs, schema.LevelDetailed), WithMachineID("m"))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				recordFullSession(c)
			}
		})
	}
	wg.Go(func() { c.Shutdown(context.Background()) })
	wg.Go(func() { c.Shutdown(context.Background()) })
	wg.Wait()
	c.Shutdown(context.Background())
	if c.Enabled() {
		t.Fatal("still enabled after Shutdown")
	}
	if n := len(readSpool(t, dirs)); n > 4*50*6 {
		t.Fatalf("%d events stored, want at most %d", n, 4*50*6)
	}
}

// TestOTelAttributeLimitsInTheEnvironmentLoseNoEvent: the SDK reads
// OTEL_LOGRECORD_ATTRIBUTE_* limits from the environment; set for another
// program, they must not cut Caro's events (redaction would refuse them
// all).
func TestOTelAttributeLimitsInTheEnvironmentLoseNoEvent(t *testing.T) {
	t.Setenv("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "2")
	t.Setenv("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3")
	dirs := testDirs(t)
	c := Start(context.Background(), enabledConfig(dirs, schema.LevelDetailed), WithVersion("1.1.0"),
		WithMachineID("test-machine"))
	recordFullSession(c)
	c.Shutdown(context.Background())
	if n := len(readSpool(t, dirs)); n != 6 {
		t.Fatalf("%d of 6 events stored", n)
	}
}

package sdk

import (
	"context"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

// startRecording starts a client that records at the standard level, shut
// down when b ends.
func startRecording(b *testing.B) *Client {
	dirs := Dirs{Config: b.TempDir(), Cache: b.TempDir()}
	c := Start(context.Background(), enabledConfig(dirs, schema.LevelStandard), WithMachineID("m"))
	b.Cleanup(func() { c.Shutdown(context.Background()) })
	return c
}

// BenchmarkRecordEnabled is the cost Caro pays per event with telemetry
// on: typed event -> log record -> redaction -> batch queue (the SQLite
// write happens on the batch goroutine). Budget 100 us, aim < 5 us.
func BenchmarkRecordEnabled(b *testing.B) {
	c := startRecording(b)
	ev := CommandGenerated{GenerationID: "6f1c2a8e-3b4d-4c5e-9f60-718293a4b5c6", Backend: schema.BackendStatic,
		InferenceTime: 3 * time.Millisecond, RiskLevel: schema.RiskSafe, ModelName: "Qwen2.5-Coder-1.5B",
		RetryCount: Ptr(0)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.CommandGenerated(ev)
	}
}

// BenchmarkRecordSessionStartEnabled records the widest event.
func BenchmarkRecordSessionStartEnabled(b *testing.B) {
	c := startRecording(b)
	ev := SessionStart{Platform: Platform{OS: schema.OSLinux, Arch: schema.ArchX8664, Shell: schema.ShellBash},
		Backend: schema.BackendStatic, FallbackEnabled: true, SafetyLevel: schema.SafetyModerate,
		OutputFormat: schema.OutputPlain, IsFirstRun: Ptr(false), ConfigSource: schema.ConfigFile}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.SessionStart(ev)
	}
}

// BenchmarkRecordDisabled is the disabled path. Budget < 1 us.
func BenchmarkRecordDisabled(b *testing.B) {
	c := Start(context.Background(), Config{Enabled: false})
	ev := CommandGenerated{Backend: schema.BackendStatic, RiskLevel: schema.RiskSafe}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.CommandGenerated(ev)
	}
}

// BenchmarkSessionPersisted is a whole CLI session: start the client,
// record the six events, shut down (the spool write is inside).
func BenchmarkSessionPersisted(b *testing.B) {
	dirs := Dirs{Config: b.TempDir(), Cache: b.TempDir()}
	cfg := enabledConfig(dirs, schema.LevelDetailed)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := Start(context.Background(), cfg, WithMachineID("m"))
		recordFullSession(c)
		c.Shutdown(context.Background())
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/session")
}

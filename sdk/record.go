package sdk

import (
	"context"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"caro.sh/telemetry/schema"
)

// builder assembles one event's attributes, skipping optional fields above
// the configured level (the schema says which).
//
// The attributes are gathered in a fixed array and handed to the record in
// one call: the widest event has 11 fields, so nothing escapes to the heap
// on the way.
type builder struct {
	ev    *schema.Event
	level schema.Level
	n     int
	kvs   [maxFields]attribute.KeyValue
}

// maxFields is the widest event's field count.
const maxFields = 12

func (c *Client) newBuilder(name string) (builder, bool) {
	ev, ok := schema.Lookup(name)
	if !ok || ev.Level > c.level {
		return builder{}, false
	}
	b := builder{ev: ev, level: c.level}
	b.str(schema.KeySessionID, c.sessionID)
	return b, true
}

func (b *builder) add(kv attribute.KeyValue) {
	if b.n < len(b.kvs) {
		b.kvs[b.n] = kv
		b.n++
	}
}

func (b *builder) wanted(key string) bool {
	if b.level >= schema.LevelDetailed {
		return true
	}
	f, ok := b.ev.Field(key)
	return ok && f.Level <= b.level
}

func (b *builder) str(key, v string) {
	if v != "" && b.wanted(key) {
		b.add(attribute.String(key, v))
	}
}

func (b *builder) int(key string, v int64) {
	if b.wanted(key) {
		b.add(attribute.Int64(key, v))
	}
}

func (b *builder) optInt(key string, v *int) {
	if v != nil {
		b.int(key, int64(*v))
	}
}

func (b *builder) bool(key string, v bool) {
	if b.wanted(key) {
		b.add(attribute.Bool(key, v))
	}
}

func (b *builder) optBool(key string, v *bool) {
	if v != nil {
		b.bool(key, *v)
	}
}

func (c *Client) emit(b *builder) {
	var rec log.Record
	now := c.now()
	rec.SetEventName(b.ev.Name)
	rec.SetTimestamp(now)
	rec.SetObservedTimestamp(now)
	rec.SetSeverity(log.SeverityInfo)
	rec.AddAttributes(b.kvs[:b.n]...)
	c.logger.Emit(context.Background(), rec)
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// SessionStart records session.start.
func (c *Client) SessionStart(e SessionStart) {
	if !c.Enabled() {
		return
	}
	b, ok := c.newBuilder(schema.EventSessionStart)
	if !ok {
		return
	}
	p := e.Platform
	if p == (Platform{}) {
		p = DetectPlatform(c.getenv)
	}
	b.str(schema.KeyCaroVersion, c.version)
	b.str(schema.KeyPlatformOS, string(p.OS))
	b.str(schema.KeyPlatformArch, string(p.Arch))
	b.str(schema.KeyPlatformShell, string(p.Shell))
	b.str(schema.KeyBackendPrimary, string(e.Backend))
	b.bool(schema.KeyFallbackEnabled, e.FallbackEnabled)
	b.str(schema.KeySafetyLevel, string(e.SafetyLevel))
	b.str(schema.KeyOutputFormat, string(e.OutputFormat))
	b.optBool(schema.KeyIsFirstRun, e.IsFirstRun)
	b.str(schema.KeyConfigSource, string(e.ConfigSource))
	c.emit(&b)
}

// CommandGenerated records command.generated and returns the generation
// id that links the later events ("" when disabled).
func (c *Client) CommandGenerated(e CommandGenerated) string {
	if !c.Enabled() {
		return ""
	}
	c.generated.Add(1)
	c.firstCommand.CompareAndSwap(-1, ms(c.now().Sub(c.start)))
	if e.RetryCount != nil && *e.RetryCount > 0 {
		c.retries.Add(1)
	}
	id := e.GenerationID
	if id == "" {
		id = uuid.NewString()
	}
	b, ok := c.newBuilder(schema.EventCommandGenerated)
	if !ok {
		return id
	}
	b.str(schema.KeyGenerationID, id)
	b.str(schema.KeyBackendUsed, string(e.Backend))
	b.int(schema.KeyInferenceTimeMs, ms(e.InferenceTime))
	b.str(schema.KeySafetyRiskLevel, string(e.RiskLevel))
	b.int(schema.KeySafetyPatternsMatched, int64(e.PatternsMatched))
	b.str(schema.KeyModelName, e.ModelName)
	b.optInt(schema.KeyInputTokenCount, e.InputTokens)
	b.optInt(schema.KeyOutputTokenCount, e.OutputTokens)
	if e.Confidence != nil && b.wanted(schema.KeyConfidenceScore) {
		b.add(attribute.Float64(schema.KeyConfidenceScore, *e.Confidence))
	}
	b.optInt(schema.KeyRetryCount, e.RetryCount)
	c.emit(&b)
	return id
}

// CommandExecuted records command.executed.
func (c *Client) CommandExecuted(e CommandExecuted) {
	if !c.Enabled() {
		return
	}
	c.executed.Add(1)
	b, ok := c.newBuilder(schema.EventCommandExecuted)
	if !ok {
		return
	}
	b.str(schema.KeyGenerationID, e.GenerationID)
	b.str(schema.KeyExecutionMode, string(e.Mode))
	b.bool(schema.KeyModifiedBeforeExecution, e.Modified)
	b.str(schema.KeyExitCodeCategory, string(e.ExitCategory))
	if e.ExecutionTime != nil {
		b.int(schema.KeyExecutionTimeMs, ms(*e.ExecutionTime))
	}
	c.emit(&b)
}

// SafetyTriggered records safety.triggered.
func (c *Client) SafetyTriggered(e SafetyTriggered) {
	if !c.Enabled() {
		return
	}
	if e.Action == schema.ActionBlocked {
		c.blocks.Add(1)
	}
	b, ok := c.newBuilder(schema.EventSafetyTriggered)
	if !ok {
		return
	}
	b.str(schema.KeyGenerationID, e.GenerationID)
	b.str(schema.KeyRiskLevel, string(e.RiskLevel))
	b.str(schema.KeyPatternCategory, string(e.PatternCategory))
	b.str(schema.KeyActionTaken, string(e.Action))
	b.optBool(schema.KeyUserOverride, e.UserOverride)
	b.str(schema.KeySafetyLevelConfig, string(e.SafetyLevelConfig))
	c.emit(&b)
}

// ErrorOccurred records error.occurred.
func (c *Client) ErrorOccurred(e ErrorOccurred) {
	if !c.Enabled() {
		return
	}
	c.errs.Add(1)
	b, ok := c.newBuilder(schema.EventErrorOccurred)
	if !ok {
		return
	}
	b.str(schema.KeyErrorCategory, string(e.Category))
	b.str(schema.KeyErrorCode, string(schema.CodeOf(e.Category)))
	b.str(schema.KeyComponent, string(e.Component))
	b.str(schema.KeyBackend, string(e.Backend))
	b.optBool(schema.KeyRecoverable, e.Recoverable)
	b.optBool(schema.KeyFallbackAttempted, e.FallbackAttempted)
	c.emit(&b)
}

// SessionEnd records session.end with the session's tally.
func (c *Client) SessionEnd(e SessionEnd) {
	if !c.Enabled() {
		return
	}
	b, ok := c.newBuilder(schema.EventSessionEnd)
	if !ok {
		return
	}
	b.int(schema.KeySessionDurationMs, ms(c.now().Sub(c.start)))
	b.int(schema.KeyCommandsGenerated, c.generated.Load())
	b.int(schema.KeyCommandsExecuted, c.executed.Load())
	b.int(schema.KeyErrorsEncountered, c.errs.Load())
	b.str(schema.KeyExitReason, string(e.ExitReason))
	b.int(schema.KeySafetyBlocks, c.blocks.Load())
	b.int(schema.KeyRetries, c.retries.Load())
	if ttfc := c.firstCommand.Load(); ttfc >= 0 {
		b.int(schema.KeyTimeToFirstCommandMs, ttfc)
	}
	c.emit(&b)
}

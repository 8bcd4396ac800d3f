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
	b.str("caro_version", c.version)
	b.str("platform.os", string(p.OS))
	b.str("platform.arch", string(p.Arch))
	b.str("platform.shell", string(p.Shell))
	b.str("backend_config.primary", string(e.Backend))
	b.bool("backend_config.fallback_enabled", e.FallbackEnabled)
	b.str("safety_level", string(e.SafetyLevel))
	b.str("output_format", string(e.OutputFormat))
	b.optBool("is_first_run", e.IsFirstRun)
	b.str("config_source", string(e.ConfigSource))
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
	b.str("backend_used", string(e.Backend))
	b.int("inference_time_ms", ms(e.InferenceTime))
	b.str("safety_result.risk_level", string(e.RiskLevel))
	b.int("safety_result.patterns_matched", int64(e.PatternsMatched))
	b.str("model_name", e.ModelName)
	b.optInt("input_token_count", e.InputTokens)
	b.optInt("output_token_count", e.OutputTokens)
	if e.Confidence != nil && b.wanted("confidence_score") {
		b.add(attribute.Float64("confidence_score", *e.Confidence))
	}
	b.optInt("retry_count", e.RetryCount)
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
	b.str("execution_mode", string(e.Mode))
	b.bool("modified_before_execution", e.Modified)
	b.str("exit_code_category", string(e.ExitCategory))
	if e.ExecutionTime != nil {
		b.int("execution_time_ms", ms(*e.ExecutionTime))
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
	b.str("risk_level", string(e.RiskLevel))
	b.str("pattern_category", string(e.PatternCategory))
	b.str("action_taken", string(e.Action))
	b.optBool("user_override", e.UserOverride)
	b.str("safety_level_config", string(e.SafetyLevelConfig))
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
	b.str("error_category", string(e.Category))
	b.str("error_code", string(schema.CodeOf(e.Category)))
	b.str("component", string(e.Component))
	b.str("backend", string(e.Backend))
	b.optBool("recoverable", e.Recoverable)
	b.optBool("fallback_attempted", e.FallbackAttempted)
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
	b.int("session_duration_ms", ms(c.now().Sub(c.start)))
	b.int("commands_generated", c.generated.Load())
	b.int("commands_executed", c.executed.Load())
	b.int("errors_encountered", c.errs.Load())
	b.str("exit_reason", string(e.ExitReason))
	b.int("safety_blocks", c.blocks.Load())
	b.int("retries", c.retries.Load())
	if ttfc := c.firstCommand.Load(); ttfc >= 0 {
		b.int("time_to_first_command_ms", ttfc)
	}
	c.emit(&b)
}

package sdk

import (
	"time"

	"caro.sh/telemetry/schema"
)

// Platform is the coarse platform of a session. DetectPlatform fills it.
type Platform struct {
	OS    schema.OS
	Arch  schema.Arch
	Shell schema.Shell
}

// SessionStart is the session.start event. The session id, version and
// timestamp are added by the Client.
type SessionStart struct {
	Platform        Platform // zero value: DetectPlatform
	Backend         schema.Backend
	FallbackEnabled bool
	// Optional fields: the zero value means "not recorded".
	SafetyLevel  schema.SafetyLevel
	OutputFormat schema.OutputFormat
	IsFirstRun   *bool
	ConfigSource schema.ConfigSource
}

// CommandGenerated is the command.generated event. It never carries the
// prompt or the command.
type CommandGenerated struct {
	// GenerationID links the later safety and execution events; empty
	// means "make a new UUID v4" (returned by Client.CommandGenerated).
	GenerationID    string
	Backend         schema.Backend
	InferenceTime   time.Duration
	RiskLevel       schema.RiskLevel
	PatternsMatched int
	// Optional fields: nil / empty means "not recorded". Token counts and
	// confidence are recorded at the detailed level only.
	ModelName    string
	InputTokens  *int
	OutputTokens *int
	Confidence   *float64
	RetryCount   *int
}

// CommandExecuted is the command.executed event: never the command, its
// output or its exit code.
type CommandExecuted struct {
	GenerationID string
	Mode         schema.ExecutionMode
	Modified     bool
	// Optional: ExitCategory empty and ExecutionTime nil are not recorded;
	// ExecutionTime is recorded at the detailed level only.
	ExitCategory  schema.ExitCodeCategory
	ExecutionTime *time.Duration
}

// SafetyTriggered is the safety.triggered event: the category only, never
// the pattern or the matched text.
type SafetyTriggered struct {
	GenerationID      string
	RiskLevel         schema.RiskLevel
	PatternCategory   schema.PatternCategory
	Action            schema.ActionTaken
	UserOverride      *bool
	SafetyLevelConfig schema.SafetyLevel
}

// ErrorOccurred is the error.occurred event. The error code is derived
// from the category (schema.CodeOf), so the two always agree; no message
// or stack is ever recorded.
type ErrorOccurred struct {
	Category          schema.ErrorCategory
	Component         schema.Component
	Backend           schema.Backend
	Recoverable       *bool
	FallbackAttempted *bool
}

// SessionEnd is the session.end event. The counts, duration and time to
// first command come from what the Client saw during the session.
type SessionEnd struct {
	ExitReason schema.ExitReason
}

// Ptr returns a pointer to v, for the optional fields.
func Ptr[T any](v T) *T { return &v }

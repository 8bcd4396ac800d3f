package schema

// Field keys: the one spelling of every field, for the table below and for
// every package that reads or writes a field by name. No other package
// spells a key in a string (a test in package schema checks the module's
// sources), so that renaming a field is a change here that the compiler
// carries everywhere.
const (
	KeyCaroVersion             = "caro_version"
	KeyPlatformOS              = "platform.os"
	KeyPlatformArch            = "platform.arch"
	KeyPlatformShell           = "platform.shell"
	KeyBackendPrimary          = "backend_config.primary"
	KeyFallbackEnabled         = "backend_config.fallback_enabled"
	KeySafetyLevel             = "safety_level"
	KeyOutputFormat            = "output_format"
	KeyIsFirstRun              = "is_first_run"
	KeyConfigSource            = "config_source"
	KeyBackendUsed             = "backend_used"
	KeyInferenceTimeMs         = "inference_time_ms"
	KeySafetyRiskLevel         = "safety_result.risk_level"
	KeySafetyPatternsMatched   = "safety_result.patterns_matched"
	KeyModelName               = "model_name"
	KeyInputTokenCount         = "input_token_count"
	KeyOutputTokenCount        = "output_token_count"
	KeyConfidenceScore         = "confidence_score"
	KeyRetryCount              = "retry_count"
	KeyExecutionMode           = "execution_mode"
	KeyModifiedBeforeExecution = "modified_before_execution"
	KeyExitCodeCategory        = "exit_code_category"
	KeyExecutionTimeMs         = "execution_time_ms"
	KeyRiskLevel               = "risk_level"
	KeyPatternCategory         = "pattern_category"
	KeyActionTaken             = "action_taken"
	KeyUserOverride            = "user_override"
	KeySafetyLevelConfig       = "safety_level_config"
	KeyErrorCategory           = "error_category"
	KeyErrorCode               = "error_code"
	KeyComponent               = "component"
	KeyBackend                 = "backend"
	KeyRecoverable             = "recoverable"
	KeyFallbackAttempted       = "fallback_attempted"
	KeySessionDurationMs       = "session_duration_ms"
	KeyCommandsGenerated       = "commands_generated"
	KeyCommandsExecuted        = "commands_executed"
	KeyErrorsEncountered       = "errors_encountered"
	KeyExitReason              = "exit_reason"
	KeySafetyBlocks            = "safety_blocks"
	KeyRetries                 = "retries"
	KeyTimeToFirstCommandMs    = "time_to_first_command_ms"

	KeySessionID    = "session_id"
	KeyGenerationID = "generation_id"
	// KeyRecordUID is the transport field every event may carry: the OTel
	// semantic convention for a log record's unique id, here the stored
	// event's id, which the collector deduplicates by.
	KeyRecordUID = "log.record.uid"
	// KeySessionIDs is the list of session ids of a deletion.request.
	KeySessionIDs = "session_ids"
)

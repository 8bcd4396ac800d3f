package schema

import (
	"fmt"
	"sort"
)

// Type is the value type of a field. It maps one to one onto the OTel log
// attribute kinds (string, int64, bool, float64, and a slice of strings).
type Type uint8

// Field types.
const (
	TypeString Type = iota + 1
	TypeInt
	TypeBool
	TypeFloat
	// TypeStringList is a list of strings, each constrained by the field's
	// Format and MaxLen, at most MaxItems of them. Only control events
	// (deletion.request) have one.
	TypeStringList
)

// String returns the type's name as the data inventory prints it.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "int"
	case TypeBool:
		return "bool"
	case TypeFloat:
		return "float"
	case TypeStringList:
		return "string list"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Level is a collection level. A field or event is collected when the
// configured level is at least its own.
type Level uint8

// Collection levels of the spec.
const (
	LevelMinimal Level = iota + 1
	LevelStandard
	LevelDetailed
	// LevelOnRequest is the level of control events: above every level a
	// user can configure, so the SDK never records them; they are sent
	// only when the user asks (caro telemetry delete-remote), whatever the
	// configured level, even with telemetry off. ParseLevel refuses it.
	LevelOnRequest
)

// String returns the level's config spelling.
func (l Level) String() string {
	switch l {
	case LevelMinimal:
		return "minimal"
	case LevelStandard:
		return "standard"
	case LevelDetailed:
		return "detailed"
	case LevelOnRequest:
		return "on-request"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// ParseLevel parses a config spelling of a level.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "minimal":
		return LevelMinimal, nil
	case "standard":
		return LevelStandard, nil
	case "detailed":
		return LevelDetailed, nil
	}
	return 0, fmt.Errorf("unknown telemetry level %q (want minimal, standard or detailed)", s)
}

// Format constrains the shape of a string field that is not an enum. Free
// text is never allowed: every string field is either an enum or one of
// these formats, each with a strict character set.
type Format uint8

// String formats.
const (
	// FormatEnum: the value must be one of Field.Enum.
	FormatEnum Format = iota + 1
	// FormatVersion: a release version in strict SemVer 2.0 (semver.org):
	// MAJOR.MINOR.PATCH without leading zeros, then optionally a
	// pre-release after '-' and build metadata after '+', each of
	// dot-separated [0-9A-Za-z-] identifiers: 1.1.0, 1.2.0-beta.1,
	// 1.1.0+git.abc1234.
	FormatVersion
	// FormatModelName: a name from the model catalog (models.txt, see
	// CatalogModel) such as qwen2.5-coder:7b or Qwen2.5-Coder-1.5B-Instruct,
	// or ModelCustom for any other model. The redaction processor records
	// a value as its catalog name, or as ModelCustom, never as it came.
	FormatModelName
	// FormatSessionID: 16 lowercase hex digits.
	FormatSessionID
	// FormatUUID: a lowercase UUID v4 in its 8-4-4-4-12 form.
	FormatUUID
	// FormatRecordUID: a lowercase UUID of any version in its 8-4-4-4-12
	// form (the spool's UUID v7 event ids, and the name-based ids the
	// collector derives for events that arrive without one).
	FormatRecordUID
)

// String names the format for the data inventory.
func (f Format) String() string {
	switch f {
	case FormatEnum:
		return "enum"
	case FormatVersion:
		return "SemVer 2.0 version"
	case FormatModelName:
		return "model catalog name"
	case FormatSessionID:
		return "session id (16 hex)"
	case FormatUUID:
		return "uuid v4"
	case FormatRecordUID:
		return "uuid"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// Length limits of the spec.
const (
	MaxStringLen    = 100
	MaxModelNameLen = 50
	MaxVersionLen   = 20
)

// Field describes one attribute of an event. Nested fields of the spec's
// JSON are flattened with dots (platform.os).
type Field struct {
	Key      string
	Type     Type
	Required bool
	// Level is the lowest collection level at which the field is recorded.
	// Required fields always have their event's level.
	Level Level
	// Format and Enum constrain string fields; MaxLen caps them (values
	// longer than MaxLen are shortened for FormatVersion, rejected
	// otherwise; catalog model names are never longer).
	Format Format
	Enum   []string
	MaxLen int
	// Min and Max bound int and float fields (inclusive).
	Min, Max float64
	// MaxItems caps the number of items of a TypeStringList field.
	MaxItems int
	// Transport marks a field that the pipeline sets, never Caro code: the
	// stored event's id (log.record.uid), added by the upload and read by
	// the collector's store. It is not part of the event's JSON payload;
	// the spool keeps it in its own column.
	Transport bool
	Doc       string

	enumSet map[string]struct{}
}

// Allows reports whether s is in the field's enum domain.
func (f *Field) Allows(s string) bool {
	_, ok := f.enumSet[s]
	return ok
}

// Event describes one event type.
type Event struct {
	Name  string
	Level Level
	Doc   string
	// Control marks an event that is not telemetry about Caro's use but an
	// instruction to the collector (deletion.request). The SDK never
	// records one; its Level is LevelOnRequest.
	Control bool
	// RetentionDays is how long the server keeps raw events of this type
	// (the spec's Data Retention table). The client purges after 7 days.
	RetentionDays int
	Fields        []Field

	index map[string]int
}

// Field returns the named field of the event.
func (e *Event) Field(key string) (*Field, bool) {
	i, ok := e.index[key]
	if !ok {
		return nil, false
	}
	return &e.Fields[i], true
}

// Event names of the spec.
const (
	EventSessionStart     = "session.start"
	EventCommandGenerated = "command.generated"
	EventCommandExecuted  = "command.executed"
	EventSafetyTriggered  = "safety.triggered"
	EventErrorOccurred    = "error.occurred"
	EventSessionEnd       = "session.end"
	// EventDeletionRequest is the control event of `caro telemetry
	// delete-remote`: the collector deletes every event of the listed
	// session ids.
	EventDeletionRequest = "deletion.request"
)

// Resource attribute keys: the only two that may ever be attached to
// Caro's telemetry (no host, process, OS user or IP attribute).
const (
	ResourceServiceName    = "service.name"
	ResourceServiceVersion = "service.version"
	ServiceName            = "caro"
)

// ResourceKeys lists the allowed resource attribute keys.
func ResourceKeys() []string { return []string{ResourceServiceName, ResourceServiceVersion} }

// Retention of local and server-side data (the spec's Data Retention table).
const (
	LocalRetentionDays     = 7
	RawRetentionDays       = 90
	SessionRetentionDays   = 30
	ErrorRetentionDays     = 180
	AggregateRetentionDays = 730
)

// MaxDeletionSessionIDs bounds a deletion request: two years of daily
// session ids, longer than any retention.
const MaxDeletionSessionIDs = 2*365 + 1

func recordUID() Field {
	return Field{Key: KeyRecordUID, Type: TypeString, Format: FormatRecordUID, MaxLen: 36, Transport: true,
		Doc: "the stored event's id for deduplication; set by the spool and the upload, never by Caro code"}
}

// The few shapes reused across events.
func sessionID() Field {
	return Field{Key: KeySessionID, Type: TypeString, Required: true, Format: FormatSessionID, MaxLen: 16,
		Doc: "anonymous, rotates daily: first 16 hex of sha256(machine id + UTC date)"}
}

func generationID() Field {
	return Field{Key: KeyGenerationID, Type: TypeString, Required: true, Format: FormatUUID, MaxLen: 36,
		Doc: "random UUID v4 linking a generation to its safety and execution events"}
}

func enum[T ~string](key string, required bool, vs []T, doc string) Field {
	return Field{Key: key, Type: TypeString, Required: required, Format: FormatEnum, Enum: strs(vs),
		MaxLen: MaxStringLen, Doc: doc}
}

func count(key string, required bool, max float64, doc string) Field {
	return Field{Key: key, Type: TypeInt, Required: required, Min: 0, Max: max, Doc: doc}
}

func flag(key string, required bool, doc string) Field {
	return Field{Key: key, Type: TypeBool, Required: required, Doc: doc}
}

func detailed(f Field) Field {
	f.Level = LevelDetailed
	return f
}

const (
	maxMillis = 7 * 24 * 3600 * 1000 // a week: no real duration is longer
	maxCount  = 1_000_000
	maxTokens = 1_000_000
)

// events is the table itself, in the spec's order.
var events = []Event{
	{
		Name: EventSessionStart, Level: LevelMinimal, RetentionDays: SessionRetentionDays,
		Doc: "CLI invocation begins",
		Fields: []Field{
			sessionID(),
			{Key: KeyCaroVersion, Type: TypeString, Required: true, Format: FormatVersion, MaxLen: MaxVersionLen,
				Doc: "Caro release version"},
			enum(KeyPlatformOS, true, OSes(), "operating system family"),
			enum(KeyPlatformArch, true, Arches(), "CPU architecture"),
			enum(KeyPlatformShell, true, Shells(), "shell family (base name of $SHELL, never its path)"),
			enum(KeyBackendPrimary, true, Backends(), "configured primary backend"),
			flag(KeyFallbackEnabled, true, "whether falling back to the static backend is enabled"),
			enum(KeySafetyLevel, false, SafetyLevels(), "configured safety level"),
			enum(KeyOutputFormat, false, OutputFormats(), "configured output format"),
			flag(KeyIsFirstRun, false, "true on the first session after install"),
			enum(KeyConfigSource, false, ConfigSources(), "where the configuration came from"),
		},
	},
	{
		Name: EventCommandGenerated, Level: LevelStandard, RetentionDays: RawRetentionDays,
		Doc: "after successful command generation (never the command or the prompt)",
		Fields: []Field{
			sessionID(),
			generationID(),
			enum(KeyBackendUsed, true, Backends(), "backend that produced the command"),
			count(KeyInferenceTimeMs, true, maxMillis, "inference time in milliseconds"),
			enum(KeySafetyRiskLevel, true, RiskLevels(), "safety verdict"),
			count(KeySafetyPatternsMatched, true, 1000, "number of safety patterns matched"),
			{Key: KeyModelName, Type: TypeString, Format: FormatModelName, MaxLen: MaxModelNameLen,
				Doc: "model that generated the command, by its public name (never a name of your own)"},
			detailed(count(KeyInputTokenCount, false, maxTokens, "prompt token count (counts only)")),
			detailed(count(KeyOutputTokenCount, false, maxTokens, "completion token count (counts only)")),
			detailed(Field{Key: KeyConfidenceScore, Type: TypeFloat, Min: 0, Max: 1,
				Doc: "backend confidence between 0 and 1"}),
			count(KeyRetryCount, false, 1000, "regenerations before this one in the session"),
		},
	},
	{
		Name: EventCommandExecuted, Level: LevelStandard, RetentionDays: RawRetentionDays,
		Doc: "user executes a generated command (never its output or exit code)",
		Fields: []Field{
			sessionID(),
			generationID(),
			enum(KeyExecutionMode, true, ExecutionModes(), "how execution was approved"),
			flag(KeyModifiedBeforeExecution, true, "whether the user edited the command first"),
			enum(KeyExitCodeCategory, false, ExitCodeCategories(), "success, error or timeout; never the code"),
			detailed(count(KeyExecutionTimeMs, false, maxMillis, "execution time in milliseconds")),
		},
	},
	{
		Name: EventSafetyTriggered, Level: LevelStandard, RetentionDays: RawRetentionDays,
		Doc: "safety validation blocks or warns (never the matched text)",
		Fields: []Field{
			sessionID(),
			generationID(),
			enum(KeyRiskLevel, true, RiskLevels(), "risk level of the command"),
			enum(KeyPatternCategory, true, PatternCategories(), "high-level category of the matched pattern"),
			enum(KeyActionTaken, true, ActionsTaken(), "blocked or warned"),
			flag(KeyUserOverride, false, "whether the user ran it anyway: a warned command run, or a block overridden by typing \"yes, run it\""),
			enum(KeySafetyLevelConfig, false, SafetyLevels(), "configured safety level"),
		},
	},
	{
		Name: EventErrorOccurred, Level: LevelMinimal, RetentionDays: ErrorRetentionDays,
		Doc: "any error during operation (categories and codes only, no message or stack)",
		Fields: []Field{
			sessionID(),
			enum(KeyErrorCategory, true, ErrorCategories(), "error family"),
			enum(KeyErrorCode, true, ErrorCodes(), "stable error code of the category"),
			enum(KeyComponent, true, Components(), "part of Caro where it occurred"),
			enum(KeyBackend, false, Backends(), "backend involved, if any"),
			flag(KeyRecoverable, false, "whether Caro carried on"),
			flag(KeyFallbackAttempted, false, "whether a fallback backend was tried"),
		},
	},
	{
		Name: EventSessionEnd, Level: LevelMinimal, RetentionDays: SessionRetentionDays,
		Doc: "CLI exits",
		Fields: []Field{
			sessionID(),
			count(KeySessionDurationMs, true, maxMillis, "session duration in milliseconds"),
			count(KeyCommandsGenerated, true, maxCount, "commands generated in the session"),
			count(KeyCommandsExecuted, true, maxCount, "commands executed in the session"),
			count(KeyErrorsEncountered, true, maxCount, "errors in the session"),
			enum(KeyExitReason, false, ExitReasons(), "why the session ended"),
			count(KeySafetyBlocks, false, maxCount, "commands blocked by safety"),
			count(KeyRetries, false, maxCount, "regenerations in the session"),
			count(KeyTimeToFirstCommandMs, false, maxMillis,
				"from session start to the first generated command (TTFC)"),
		},
	},
	{
		Name: EventDeletionRequest, Level: LevelOnRequest, Control: true, RetentionDays: ErrorRetentionDays,
		Doc: "caro telemetry delete-remote: the collector deletes every event of the listed session ids " +
			"(sent only when the user asks, at any level)",
		Fields: []Field{
			{Key: KeySessionIDs, Type: TypeStringList, Required: true, Format: FormatSessionID, MaxLen: 16,
				MaxItems: MaxDeletionSessionIDs,
				Doc:      "the anonymous daily session ids whose events to delete (recomputed on the device)"},
		},
	},
}

var byName map[string]*Event

func init() {
	byName = make(map[string]*Event, len(events))
	for i := range events {
		e := &events[i]
		// Every event may carry its stored id; it is declared once here
		// rather than in each entry of the table.
		e.Fields = append(e.Fields, recordUID())
		if _, dup := byName[e.Name]; dup {
			panic("schema: duplicate event " + e.Name)
		}
		e.index = make(map[string]int, len(e.Fields))
		for j := range e.Fields {
			f := &e.Fields[j]
			if _, dup := e.index[f.Key]; dup {
				panic("schema: duplicate field " + e.Name + "." + f.Key)
			}
			if f.Level == 0 || f.Required {
				f.Level = e.Level
			}
			if (f.Type == TypeString || f.Type == TypeStringList) && f.Format == 0 {
				panic("schema: string field without format " + e.Name + "." + f.Key)
			}
			if (f.Type == TypeStringList) != (f.MaxItems > 0) {
				panic("schema: MaxItems is for string lists only, and they need it: " + e.Name + "." + f.Key)
			}
			if len(f.Enum) > 0 {
				f.enumSet = make(map[string]struct{}, len(f.Enum))
				for _, v := range f.Enum {
					f.enumSet[v] = struct{}{}
				}
			}
			e.index[f.Key] = j
		}
		byName[e.Name] = e
	}
}

// Lookup returns the definition of the named event.
func Lookup(name string) (*Event, bool) {
	e, ok := byName[name]
	return e, ok
}

// Events returns every event definition in the spec's order. The returned
// definitions must not be modified.
func Events() []*Event {
	out := make([]*Event, len(events))
	for i := range events {
		out[i] = &events[i]
	}
	return out
}

// EventNames returns the event names in the spec's order.
func EventNames() []string {
	out := make([]string, len(events))
	for i := range events {
		out[i] = events[i].Name
	}
	return out
}

// EnumValues returns every enum value of every field, sorted and without
// duplicates: the strings that may legitimately appear in stored data.
func EnumValues() []string {
	seen := map[string]struct{}{}
	for i := range events {
		for _, f := range events[i].Fields {
			for _, v := range f.Enum {
				seen[v] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

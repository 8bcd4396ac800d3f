package schema

// The enum domains below are the only values an enum field may carry. Each
// type lists its values in a Values function so that the field table, the
// SDK's typed constants and the data inventory share the same list.

// Backend is the inference backend that produced (or was asked for) a command.
type Backend string

// Backends of the spec, plus the built-in static table.
const (
	BackendStatic      Backend = "static"
	BackendEmbeddedMLX Backend = "embedded-mlx"
	BackendEmbeddedCPU Backend = "embedded-cpu"
	BackendOllama      Backend = "ollama"
	BackendVLLM        Backend = "vllm"
)

// Backends lists every Backend value.
func Backends() []Backend {
	return []Backend{BackendStatic, BackendEmbeddedMLX, BackendEmbeddedCPU, BackendOllama, BackendVLLM}
}

// OS is the operating system family, never a distribution or kernel version.
type OS string

// Operating systems.
const (
	OSMacOS   OS = "macos"
	OSLinux   OS = "linux"
	OSWindows OS = "windows"
	OSFreeBSD OS = "freebsd"
	OSOpenBSD OS = "openbsd"
	OSNetBSD  OS = "netbsd"
	OSOther   OS = "other"
)

// OSes lists every OS value.
func OSes() []OS {
	return []OS{OSMacOS, OSLinux, OSWindows, OSFreeBSD, OSOpenBSD, OSNetBSD, OSOther}
}

// Arch is the CPU architecture, in the spec's naming (aarch64, x86_64).
type Arch string

// Architectures.
const (
	ArchX8664   Arch = "x86_64"
	ArchAArch64 Arch = "aarch64"
	ArchX86     Arch = "x86"
	ArchARM     Arch = "arm"
	ArchRISCV64 Arch = "riscv64"
	ArchPPC64LE Arch = "ppc64le"
	ArchS390X   Arch = "s390x"
	ArchOther   Arch = "other"
)

// Arches lists every Arch value.
func Arches() []Arch {
	return []Arch{ArchX8664, ArchAArch64, ArchX86, ArchARM, ArchRISCV64, ArchPPC64LE, ArchS390X, ArchOther}
}

// Shell is the user's shell family, taken from the base name of $SHELL (never
// the path itself).
type Shell string

// Shells.
const (
	ShellBash       Shell = "bash"
	ShellZsh        Shell = "zsh"
	ShellFish       Shell = "fish"
	ShellSh         Shell = "sh"
	ShellDash       Shell = "dash"
	ShellKsh        Shell = "ksh"
	ShellTcsh       Shell = "tcsh"
	ShellCsh        Shell = "csh"
	ShellNu         Shell = "nu"
	ShellElvish     Shell = "elvish"
	ShellXonsh      Shell = "xonsh"
	ShellPowerShell Shell = "powershell"
	ShellCmd        Shell = "cmd"
	ShellOther      Shell = "other"
	ShellUnknown    Shell = "unknown"
)

// Shells lists every Shell value.
func Shells() []Shell {
	return []Shell{ShellBash, ShellZsh, ShellFish, ShellSh, ShellDash, ShellKsh, ShellTcsh, ShellCsh,
		ShellNu, ShellElvish, ShellXonsh, ShellPowerShell, ShellCmd, ShellOther, ShellUnknown}
}

// RiskLevel is the safety validator's verdict on a generated command.
type RiskLevel string

// Risk levels, from harmless to blocked.
const (
	RiskSafe     RiskLevel = "safe"
	RiskModerate RiskLevel = "moderate"
	RiskHigh     RiskLevel = "high"
	RiskCritical RiskLevel = "critical"
)

// RiskLevels lists every RiskLevel value.
func RiskLevels() []RiskLevel { return []RiskLevel{RiskSafe, RiskModerate, RiskHigh, RiskCritical} }

// PatternCategory is the high-level family of a matched safety pattern; the
// pattern itself and the matched text are never recorded.
type PatternCategory string

// Pattern categories.
const (
	PatternFilesystemDestruction PatternCategory = "filesystem_destruction"
	PatternPrivilegeEscalation   PatternCategory = "privilege_escalation"
	PatternDiskDeviceWrite       PatternCategory = "disk_device_write"
	PatternForkBomb              PatternCategory = "fork_bomb"
	PatternRemoteCodePiping      PatternCategory = "remote_code_piping"
	PatternPermissionChange      PatternCategory = "permission_change"
	PatternNetworkExposure       PatternCategory = "network_exposure"
	PatternHistoryTampering      PatternCategory = "history_tampering"
	PatternCredentialTampering   PatternCategory = "credential_tampering"
	PatternProcessKilling        PatternCategory = "process_killing"
	PatternSystemShutdown        PatternCategory = "system_shutdown"
	PatternPackageRemoval        PatternCategory = "package_removal"
	PatternVersionControlLoss    PatternCategory = "version_control_loss"
	PatternContainerDestruction  PatternCategory = "container_destruction"
	PatternFirewallChange        PatternCategory = "firewall_change"
	PatternOther                 PatternCategory = "other"
)

// PatternCategories lists every PatternCategory value.
func PatternCategories() []PatternCategory {
	return []PatternCategory{PatternFilesystemDestruction, PatternPrivilegeEscalation, PatternDiskDeviceWrite,
		PatternForkBomb, PatternRemoteCodePiping, PatternPermissionChange, PatternNetworkExposure,
		PatternHistoryTampering, PatternCredentialTampering, PatternProcessKilling, PatternSystemShutdown,
		PatternPackageRemoval, PatternVersionControlLoss, PatternContainerDestruction, PatternFirewallChange,
		PatternOther}
}

// ActionTaken is what the safety validator did.
type ActionTaken string

// Actions.
const (
	ActionBlocked ActionTaken = "blocked"
	ActionWarned  ActionTaken = "warned"
)

// ActionsTaken lists every ActionTaken value.
func ActionsTaken() []ActionTaken { return []ActionTaken{ActionBlocked, ActionWarned} }

// ExecutionMode says how the user approved running a command.
type ExecutionMode string

// Execution modes: confirmed at the prompt, or approved ahead with --yes.
const (
	ExecConfirmed ExecutionMode = "confirmed"
	ExecAutoYes   ExecutionMode = "auto_yes"
)

// ExecutionModes lists every ExecutionMode value.
func ExecutionModes() []ExecutionMode { return []ExecutionMode{ExecConfirmed, ExecAutoYes} }

// ExitCodeCategory is the coarse outcome of an executed command; the actual
// exit code is never recorded.
type ExitCodeCategory string

// Exit code categories of the spec.
const (
	ExitSuccess ExitCodeCategory = "success"
	ExitError   ExitCodeCategory = "error"
	ExitTimeout ExitCodeCategory = "timeout"
)

// ExitCodeCategories lists every ExitCodeCategory value.
func ExitCodeCategories() []ExitCodeCategory {
	return []ExitCodeCategory{ExitSuccess, ExitError, ExitTimeout}
}

// ErrorCategory is the family of an error; messages are never recorded.
type ErrorCategory string

// Error categories.
const (
	ErrBackendTimeout    ErrorCategory = "backend_timeout"
	ErrBackendConnection ErrorCategory = "backend_connection_error"
	ErrBackendParse      ErrorCategory = "backend_parse_error"
	ErrBackendModel      ErrorCategory = "backend_model_error"
	ErrConfig            ErrorCategory = "config_error"
	ErrSafetyBlocked     ErrorCategory = "safety_blocked"
	ErrExecution         ErrorCategory = "execution_error"
	ErrExecutionTimeout  ErrorCategory = "execution_timeout"
	ErrIO                ErrorCategory = "io_error"
	ErrUserInput         ErrorCategory = "user_input_error"
	ErrInternal          ErrorCategory = "internal_error"
)

// ErrorCategories lists every ErrorCategory value.
func ErrorCategories() []ErrorCategory {
	return []ErrorCategory{ErrBackendTimeout, ErrBackendConnection, ErrBackendParse, ErrBackendModel,
		ErrConfig, ErrSafetyBlocked, ErrExecution, ErrExecutionTimeout, ErrIO, ErrUserInput, ErrInternal}
}

// ErrorCode is the stable code of an error category (E1xxx inference,
// E2xxx config, E3xxx safety, E4xxx execution, E5xxx I/O, E9xxx internal).
type ErrorCode string

// errorCodes maps each category to its one code, so the two fields can never
// disagree.
var errorCodes = map[ErrorCategory]ErrorCode{
	ErrBackendTimeout:    "E1001",
	ErrBackendConnection: "E1002",
	ErrBackendParse:      "E1003",
	ErrBackendModel:      "E1004",
	ErrConfig:            "E2001",
	ErrSafetyBlocked:     "E3001",
	ErrExecution:         "E4001",
	ErrExecutionTimeout:  "E4002",
	ErrIO:                "E5001",
	ErrUserInput:         "E6001",
	ErrInternal:          "E9001",
}

// CodeOf returns the error code of a category ("" for an unknown category).
func CodeOf(c ErrorCategory) ErrorCode { return errorCodes[c] }

// ErrorCodes lists every ErrorCode value, in the order of ErrorCategories.
func ErrorCodes() []ErrorCode {
	out := make([]ErrorCode, 0, len(errorCodes))
	for _, c := range ErrorCategories() {
		out = append(out, errorCodes[c])
	}
	return out
}

// Component is the part of Caro in which an error occurred.
type Component string

// Components.
const (
	ComponentInference Component = "inference"
	ComponentConfig    Component = "config"
	ComponentSafety    Component = "safety"
	ComponentExecution Component = "execution"
	ComponentCLI       Component = "cli"
	ComponentStorage   Component = "storage"
)

// Components lists every Component value.
func Components() []Component {
	return []Component{ComponentInference, ComponentConfig, ComponentSafety, ComponentExecution,
		ComponentCLI, ComponentStorage}
}

// ExitReason says why a session ended.
type ExitReason string

// Exit reasons.
const (
	ExitUserComplete   ExitReason = "user_complete"
	ExitUserDeclined   ExitReason = "user_declined"
	ExitSafetyBlocked  ExitReason = "safety_blocked"
	ExitNonInteractive ExitReason = "non_interactive"
	ExitErrorReason    ExitReason = "error"
	ExitInterrupted    ExitReason = "interrupted"
)

// ExitReasons lists every ExitReason value.
func ExitReasons() []ExitReason {
	return []ExitReason{ExitUserComplete, ExitUserDeclined, ExitSafetyBlocked, ExitNonInteractive,
		ExitErrorReason, ExitInterrupted}
}

// SafetyLevel is the user's configured safety strictness.
type SafetyLevel string

// Safety levels.
const (
	SafetyStrict     SafetyLevel = "strict"
	SafetyModerate   SafetyLevel = "moderate"
	SafetyPermissive SafetyLevel = "permissive"
)

// SafetyLevels lists every SafetyLevel value.
func SafetyLevels() []SafetyLevel {
	return []SafetyLevel{SafetyStrict, SafetyModerate, SafetyPermissive}
}

// OutputFormat is how Caro prints its result.
type OutputFormat string

// Output formats.
const (
	OutputPlain OutputFormat = "plain"
	OutputJSON  OutputFormat = "json"
	OutputYAML  OutputFormat = "yaml"
)

// OutputFormats lists every OutputFormat value.
func OutputFormats() []OutputFormat { return []OutputFormat{OutputPlain, OutputJSON, OutputYAML} }

// ConfigSource says where Caro's configuration came from.
type ConfigSource string

// Config sources.
const (
	ConfigFile    ConfigSource = "file"
	ConfigDefault ConfigSource = "default"
	ConfigEnv     ConfigSource = "env"
	ConfigFlag    ConfigSource = "flag"
)

// ConfigSources lists every ConfigSource value.
func ConfigSources() []ConfigSource {
	return []ConfigSource{ConfigFile, ConfigDefault, ConfigEnv, ConfigFlag}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

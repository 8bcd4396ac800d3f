package sdk

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"caro.sh/telemetry/schema"
)

// Source says which setting decided a value, for `caro telemetry status`.
type Source string

// Sources, from strongest to weakest.
const (
	SourceFlag       Source = "flag"           // --no-telemetry
	SourceDoNotTrack Source = "do_not_track"   // DO_NOT_TRACK=1
	SourceEnv        Source = "env"            // CARO_TELEMETRY_*
	SourceInvalid    Source = "invalid_config" // a bad file or variable: fail closed
	SourceOTelEnv    Source = "otel_env"       // OTEL_RESOURCE_ATTRIBUTES/OTEL_SERVICE_NAME set
	SourceFile       Source = "file"           // config.toml
	SourceCI         Source = "ci"             // CI is set and nothing enabled explicitly
	SourceDefault    Source = "default"        // the channel's default
)

// Defaults of the [telemetry] table.
const (
	DefaultLevel              = schema.LevelStandard
	DefaultBatchIntervalHours = 24
	DefaultSpoolMaxMB         = 10
	DefaultEndpoint           = "https://telemetry.caro.sh"
)

// FileTelemetry is the [telemetry] table of config.toml. Pointers tell an
// unset key from a zero value: the GA migration needs to know whether
// `enabled` was chosen by the user.
type FileTelemetry struct {
	Enabled            *bool   `toml:"enabled"`
	Level              *string `toml:"level"`
	BatchIntervalHours *int    `toml:"batch_interval_hours"`
	OfflineSpoolMaxMB  *int    `toml:"offline_spool_max_mb"`
	AirGapped          *bool   `toml:"air_gapped"`
	Endpoint           *string `toml:"endpoint"`
}

// Config is the effective telemetry configuration of one run, as
// LoadConfig resolves it from config.toml, the environment and the flag.
// Start takes every setting from it; a zero Config is disabled.
type Config struct {
	// Enabled says whether events are recorded. By default it is the
	// channel's default (LoadOptions.DefaultEnabled: true for beta, false
	// for GA); telemetry.enabled in config.toml overrides it, and
	// CARO_TELEMETRY_ENABLED overrides the file. It is false, whatever
	// those say, with --no-telemetry, with DO_NOT_TRACK set to anything but
	// 0 or false, with an invalid file or variable, and with
	// OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME set; with CI set to
	// anything but a false spelling, it is false unless the file or
	// CARO_TELEMETRY_ENABLED enabled it.
	Enabled       bool
	EnabledSource Source
	// EnabledExplicit is true when the user chose `enabled` (file or
	// environment), which counts as consent and survives the GA migration.
	EnabledExplicit bool
	// Reason explains a disabled state caused by an error (empty otherwise).
	Reason string
	// Level is the collection level. By default it is DefaultLevel
	// (standard); telemetry.level overrides it, and CARO_TELEMETRY_LEVEL
	// overrides the file.
	Level       schema.Level
	LevelSource Source
	// BatchInterval is how often an upload is due. By default it is
	// DefaultBatchIntervalHours (24 h); telemetry.batch_interval_hours
	// overrides it. No environment variable changes it.
	BatchInterval time.Duration
	// SpoolMaxBytes caps the spool file. By default it is DefaultSpoolMaxMB
	// (10 MiB); telemetry.offline_spool_max_mb overrides it. No environment
	// variable changes it.
	SpoolMaxBytes int64
	// AirGapped keeps every event on this machine: nothing is uploaded. By
	// default it is false; telemetry.air_gapped overrides it, and
	// CARO_TELEMETRY_AIR_GAPPED overrides the file.
	AirGapped bool
	// Endpoint is the upload's base URL. By default it is DefaultEndpoint;
	// telemetry.endpoint overrides it, and CARO_TELEMETRY_ENDPOINT
	// overrides the file.
	Endpoint string
	// Dirs are LoadOptions.Dirs: where config.toml and the spool are.
	Dirs Dirs
}

// LoadOptions are the inputs of LoadConfig.
type LoadOptions struct {
	// Dirs locate config.toml (Dirs.ConfigFile); Caro gets them from
	// ResolveDirs, which reads XDG_CONFIG_HOME and XDG_CACHE_HOME.
	Dirs Dirs
	// Getenv reads the environment (os.Getenv in Caro, a map in tests).
	// If it is nil, os.Getenv is used.
	Getenv func(string) string
	// NoTelemetry is the --no-telemetry flag: it overrides everything, and
	// LoadConfig then reads neither the file nor the environment.
	NoTelemetry bool
	// DefaultEnabled is the channel's default: true for beta (opt-out),
	// false for GA (opt-in).
	DefaultEnabled bool
}

// Environment variables. LoadConfig reads all but EnvDebug, which the caro
// CLI reads and maps to WithDebug.
const (
	EnvEnabled    = "CARO_TELEMETRY_ENABLED"
	EnvLevel      = "CARO_TELEMETRY_LEVEL"
	EnvAirGapped  = "CARO_TELEMETRY_AIR_GAPPED"
	EnvEndpoint   = "CARO_TELEMETRY_ENDPOINT"
	EnvDoNotTrack = "DO_NOT_TRACK"
	EnvCI         = "CI"
	EnvDebug      = "CARO_TELEMETRY_DEBUG"
)

// ReadFile reads the [telemetry] table of a config file. A missing file is
// not an error (all keys unset). Unknown keys in [telemetry] are an error:
// a typo such as `enabeld = false` must not silently keep telemetry on.
func ReadFile(path string) (FileTelemetry, error) {
	var doc struct {
		Telemetry FileTelemetry `toml:"telemetry"`
	}
	md, err := toml.DecodeFile(path, &doc)
	if errors.Is(err, fs.ErrNotExist) {
		return FileTelemetry{}, nil
	}
	if err != nil {
		return FileTelemetry{}, fmt.Errorf("read %s: %w", path, err)
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		if len(k) > 1 && k[0] == "telemetry" {
			unknown = append(unknown, k.String())
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return FileTelemetry{}, fmt.Errorf("%s: unknown key %s (see `caro config list`)", path, strings.Join(unknown, ", "))
	}
	return doc.Telemetry, nil
}

// ParseBool accepts the spellings people put in environment variables.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true or false)", s)
}

// ValidateEndpoint checks an upload endpoint: an http(s) URL with a host.
func ValidateEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("endpoint %q is not an http(s) URL such as %s", s, DefaultEndpoint)
	}
	return nil
}

// Bounds of the numeric keys.
const (
	MinBatchIntervalHours = 1
	MaxBatchIntervalHours = 24 * 30
	MinSpoolMaxMB         = 1
	MaxSpoolMaxMB         = 1024
)

// Validate checks every set key of the table.
func (f FileTelemetry) Validate() error {
	if f.Level != nil {
		if _, err := schema.ParseLevel(*f.Level); err != nil {
			return fmt.Errorf("telemetry.level: %w", err)
		}
	}
	if f.BatchIntervalHours != nil && (*f.BatchIntervalHours < MinBatchIntervalHours || *f.BatchIntervalHours > MaxBatchIntervalHours) {
		return fmt.Errorf("telemetry.batch_interval_hours = %d: want %d to %d", *f.BatchIntervalHours, MinBatchIntervalHours, MaxBatchIntervalHours)
	}
	if f.OfflineSpoolMaxMB != nil && (*f.OfflineSpoolMaxMB < MinSpoolMaxMB || *f.OfflineSpoolMaxMB > MaxSpoolMaxMB) {
		return fmt.Errorf("telemetry.offline_spool_max_mb = %d: want %d to %d", *f.OfflineSpoolMaxMB, MinSpoolMaxMB, MaxSpoolMaxMB)
	}
	if f.Endpoint != nil {
		if err := ValidateEndpoint(*f.Endpoint); err != nil {
			return fmt.Errorf("telemetry.endpoint: %w", err)
		}
	}
	return nil
}

// LoadConfig computes the effective configuration. It never fails: a bad
// file or variable turns telemetry off (fail closed) and is described in
// the returned warning, which the caller prints as its one warning line.
//
// The settings, strongest first: the --no-telemetry flag (NoTelemetry),
// DO_NOT_TRACK, the CARO_TELEMETRY_* variables (EnvEnabled, EnvLevel,
// EnvAirGapped, EnvEndpoint), the [telemetry] table of config.toml, the
// defaults. Then CI turns telemetry off unless it was enabled explicitly,
// and OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME turn it off (the OTel
// SDK would merge them into Caro's resource). CARO_TELEMETRY_DEBUG
// (EnvDebug) is not part of Config: the CLI maps it to WithDebug.
func LoadConfig(opts LoadOptions) (Config, string) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := Config{
		Enabled:       opts.DefaultEnabled,
		EnabledSource: SourceDefault,
		Level:         DefaultLevel,
		LevelSource:   SourceDefault,
		BatchInterval: DefaultBatchIntervalHours * time.Hour,
		SpoolMaxBytes: DefaultSpoolMaxMB << 20,
		Endpoint:      DefaultEndpoint,
		Dirs:          opts.Dirs,
	}
	if opts.NoTelemetry {
		// The flag overrides everything and reads no file at all.
		cfg.Enabled, cfg.EnabledSource = false, SourceFlag
		return cfg, ""
	}
	off := func(src Source, why string) (Config, string) {
		cfg.Enabled, cfg.EnabledSource, cfg.Reason = false, src, why
		return cfg, why
	}
	if v := getenv(EnvDoNotTrack); v != "" && v != "0" && !strings.EqualFold(v, "false") {
		cfg.Enabled, cfg.EnabledSource = false, SourceDoNotTrack
		return cfg, ""
	}

	file, err := ReadFile(opts.Dirs.ConfigFile())
	if err == nil {
		err = file.Validate()
	}
	if err != nil {
		return off(SourceInvalid, fmt.Sprintf("telemetry is off: %v; fix it or run `caro config unset` on the key", err))
	}
	if file.Enabled != nil {
		cfg.Enabled, cfg.EnabledSource, cfg.EnabledExplicit = *file.Enabled, SourceFile, true
	}
	if file.Level != nil {
		cfg.Level, _ = schema.ParseLevel(*file.Level)
		cfg.LevelSource = SourceFile
	}
	if file.BatchIntervalHours != nil {
		cfg.BatchInterval = time.Duration(*file.BatchIntervalHours) * time.Hour
	}
	if file.OfflineSpoolMaxMB != nil {
		cfg.SpoolMaxBytes = int64(*file.OfflineSpoolMaxMB) << 20
	}
	if file.AirGapped != nil {
		cfg.AirGapped = *file.AirGapped
	}
	if file.Endpoint != nil {
		cfg.Endpoint = *file.Endpoint
	}

	if v := getenv(EnvEnabled); v != "" {
		b, err := ParseBool(v)
		if err != nil {
			return off(SourceInvalid, fmt.Sprintf("telemetry is off: %s: %v", EnvEnabled, err))
		}
		cfg.Enabled, cfg.EnabledSource, cfg.EnabledExplicit = b, SourceEnv, true
	}
	if v := getenv(EnvLevel); v != "" {
		l, err := schema.ParseLevel(v)
		if err != nil {
			return off(SourceInvalid, fmt.Sprintf("telemetry is off: %s: %v", EnvLevel, err))
		}
		cfg.Level, cfg.LevelSource = l, SourceEnv
	}
	if v := getenv(EnvAirGapped); v != "" {
		b, err := ParseBool(v)
		if err != nil {
			return off(SourceInvalid, fmt.Sprintf("telemetry is off: %s: %v", EnvAirGapped, err))
		}
		cfg.AirGapped = b
	}
	if v := getenv(EnvEndpoint); v != "" {
		if err := ValidateEndpoint(v); err != nil {
			return off(SourceInvalid, fmt.Sprintf("telemetry is off: %s: %v", EnvEndpoint, err))
		}
		cfg.Endpoint = v
	}
	if !cfg.EnabledExplicit && isTrue(getenv(EnvCI)) {
		cfg.Enabled, cfg.EnabledSource = false, SourceCI
	}
	if cfg.Enabled && (getenv("OTEL_RESOURCE_ATTRIBUTES") != "" || getenv("OTEL_SERVICE_NAME") != "") {
		// The OTel SDK merges these into every resource; Caro's resource
		// must carry service.name and service.version only, so fail closed.
		cfg.Enabled, cfg.EnabledSource = false, SourceOTelEnv
		cfg.Reason = "OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME is set; Caro attaches no resource attributes, so telemetry is off while they are"
	}
	return cfg, ""
}

// isTrue reads CI-style variables: set and not a false spelling.
func isTrue(v string) bool {
	if v == "" {
		return false
	}
	b, err := ParseBool(v)
	return err != nil || b
}

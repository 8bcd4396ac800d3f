package sdk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

func writeConfig(t *testing.T, dirs Dirs, body string) {
	t.Helper()
	if err := os.MkdirAll(dirs.Config, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dirs.ConfigFile(), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name        string
		file        string
		env         map[string]string
		noTelemetry bool
		beta        bool
		wantEnabled bool
		wantSource  Source
		wantExplict bool
		wantLevel   schema.Level
		wantWarn    string
	}{
		{name: "beta builds are on by default", beta: true, wantEnabled: true, wantSource: SourceDefault, wantLevel: schema.LevelStandard},
		{name: "GA builds are off by default", beta: false, wantEnabled: false, wantSource: SourceDefault, wantLevel: schema.LevelStandard},
		{name: "the file can turn it off", beta: true, file: "[telemetry]\nenabled = false\n", wantEnabled: false, wantSource: SourceFile, wantExplict: true, wantLevel: schema.LevelStandard},
		{name: "the file can opt in on GA", file: "[telemetry]\nenabled = true\nlevel = \"minimal\"\n", wantEnabled: true, wantSource: SourceFile, wantExplict: true, wantLevel: schema.LevelMinimal},
		{name: "the environment overrides the file", file: "[telemetry]\nenabled = true\n", env: map[string]string{EnvEnabled: "false", EnvLevel: "detailed"}, wantEnabled: false, wantSource: SourceEnv, wantExplict: true, wantLevel: schema.LevelDetailed},
		{name: "DO_NOT_TRACK wins over an explicit opt-in", file: "[telemetry]\nenabled = true\n", env: map[string]string{EnvDoNotTrack: "1", EnvEnabled: "true"}, wantEnabled: false, wantSource: SourceDoNotTrack, wantLevel: schema.LevelStandard},
		{name: "the flag wins over everything", beta: true, env: map[string]string{EnvEnabled: "true"}, noTelemetry: true, wantEnabled: false, wantSource: SourceFlag, wantLevel: schema.LevelStandard},
		{name: "CI turns the default off", beta: true, env: map[string]string{EnvCI: "true"}, wantEnabled: false, wantSource: SourceCI, wantLevel: schema.LevelStandard},
		{name: "CI keeps an explicit opt-in", beta: true, env: map[string]string{EnvCI: "1", EnvEnabled: "1"}, wantEnabled: true, wantSource: SourceEnv, wantExplict: true, wantLevel: schema.LevelStandard},
		{name: "CI=false is not CI", beta: true, env: map[string]string{EnvCI: "false"}, wantEnabled: true, wantSource: SourceDefault, wantLevel: schema.LevelStandard},
		{name: "a garbage file fails closed with a warning", beta: true, file: "[telemetry\nenabled = ", wantEnabled: false, wantSource: SourceInvalid, wantLevel: schema.LevelStandard, wantWarn: "config.toml"},
		{name: "a typo in a key fails closed", beta: true, file: "[telemetry]\nenabeld = false\n", wantEnabled: false, wantSource: SourceInvalid, wantLevel: schema.LevelStandard, wantWarn: "telemetry.enabeld"},
		{name: "a wrong type fails closed", beta: true, file: "[telemetry]\nenabled = \"yes please\"\n", wantEnabled: false, wantSource: SourceInvalid, wantLevel: schema.LevelStandard, wantWarn: "telemetry is off"},
		{name: "an unknown level fails closed", beta: true, file: "[telemetry]\nlevel = \"everything\"\n", wantEnabled: false, wantSource: SourceInvalid, wantLevel: schema.LevelStandard, wantWarn: "telemetry.level"},
		{name: "an out-of-range spool cap fails closed", beta: true, file: "[telemetry]\noffline_spool_max_mb = 0\n", wantEnabled: false, wantSource: SourceInvalid, wantLevel: schema.LevelStandard, wantWarn: "offline_spool_max_mb"},
		{name: "a bad endpoint fails closed", beta: true, env: map[string]string{EnvEndpoint: "ftp://x"}, wantEnabled: false, wantSource: SourceInvalid, wantLevel: schema.LevelStandard, wantWarn: EnvEndpoint},
		{name: "a bad boolean in the environment fails closed", beta: true, env: map[string]string{EnvEnabled: "maybe"}, wantEnabled: false, wantSource: SourceInvalid, wantLevel: schema.LevelStandard, wantWarn: EnvEnabled},
		{name: "other tables of the file are left to Caro", beta: true, file: "[backend]\nprimary = \"ollama\"\n[telemetry]\nair_gapped = true\n", wantEnabled: true, wantSource: SourceDefault, wantLevel: schema.LevelStandard},
		{name: "OTEL resource variables turn it off", beta: true, env: map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "host.name=box"}, wantEnabled: false, wantSource: SourceOTelEnv, wantLevel: schema.LevelStandard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dirs := Dirs{Config: filepath.Join(dir, "config"), Cache: filepath.Join(dir, "cache")}
			if tt.file != "" {
				writeConfig(t, dirs, tt.file)
			}
			cfg, warn := LoadConfig(LoadOptions{Dirs: dirs, Getenv: func(k string) string { return tt.env[k] },
				NoTelemetry: tt.noTelemetry, DefaultEnabled: tt.beta})
			if cfg.Enabled != tt.wantEnabled || cfg.EnabledSource != tt.wantSource || cfg.EnabledExplicit != tt.wantExplict {
				t.Errorf("enabled=%v source=%s explicit=%v, want %v %s %v (warn %q)", cfg.Enabled, cfg.EnabledSource,
					cfg.EnabledExplicit, tt.wantEnabled, tt.wantSource, tt.wantExplict, warn)
			}
			if cfg.Level != tt.wantLevel {
				t.Errorf("level = %s, want %s", cfg.Level, tt.wantLevel)
			}
			if (tt.wantWarn == "") != (warn == "") || !strings.Contains(warn, tt.wantWarn) {
				t.Errorf("warning = %q, want one containing %q", warn, tt.wantWarn)
			}
			if strings.Contains(warn, "\n") {
				t.Errorf("warning spans lines: %q", warn)
			}
		})
	}
}

func TestLoadConfigReadsEveryKey(t *testing.T) {
	dir := t.TempDir()
	dirs := Dirs{Config: dir, Cache: dir}
	writeConfig(t, dirs, `[telemetry]
enabled = true
level = "detailed"
batch_interval_hours = 6
offline_spool_max_mb = 3
air_gapped = true
endpoint = "http://127.0.0.1:4318"
`)
	cfg, warn := LoadConfig(LoadOptions{Dirs: dirs, Getenv: func(string) string { return "" }})
	if warn != "" {
		t.Fatal(warn)
	}
	if !cfg.Enabled || cfg.Level != schema.LevelDetailed || cfg.BatchInterval != 6*time.Hour ||
		cfg.SpoolMaxBytes != 3<<20 || !cfg.AirGapped || cfg.Endpoint != "http://127.0.0.1:4318" {
		t.Errorf("config = %+v", cfg)
	}
}

func TestResolveDirs(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	d, err := ResolveDirs(func(k string) string { return env[k] })
	if err != nil || d.ConfigFile() != "/home/u/.config/caro/config.toml" || d.SpoolFile() != "/home/u/.cache/caro/telemetry.db" {
		t.Errorf("dirs = %+v, %v", d, err)
	}
	env["XDG_CACHE_HOME"] = "/xdg/cache"
	env["XDG_CONFIG_HOME"] = "relative/is/ignored"
	d, _ = ResolveDirs(func(k string) string { return env[k] })
	if d.SpoolFile() != "/xdg/cache/caro/telemetry.db" || d.Config != "/home/u/.config/caro" {
		t.Errorf("dirs = %+v", d)
	}
	if _, err := ResolveDirs(func(string) string { return "" }); err == nil {
		t.Error("no HOME and no XDG variables: want an error")
	}
}

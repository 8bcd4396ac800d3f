package sqlitespoolexporter

import (
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"caro.sh/telemetry/exporter/sqlitespool/sqlitespoolexporter/internal/metadata"
	"caro.sh/telemetry/schema"
)

func loadConfig(t *testing.T, file, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig()
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.(*Config)
}

func TestDefaultConfigFollowsTheSpecsRetention(t *testing.T) {
	cfg := loadConfig(t, "config.yaml", "")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	ret := cfg.retentionByEvent()
	for name, days := range map[string]int{
		schema.EventSessionStart: 30, schema.EventSessionEnd: 30,
		schema.EventCommandGenerated: 90, schema.EventCommandExecuted: 90, schema.EventSafetyTriggered: 90,
		schema.EventErrorOccurred: 180, schema.EventDeletionRequest: 180,
	} {
		if got := ret[name]; got != time.Duration(days)*day {
			t.Errorf("%s kept %v, want %d days", name, got, days)
		}
	}
	if cfg.Export.Directory != "" || cfg.QueueConfig.HasValue() {
		t.Errorf("exports or queue on by default: %+v", cfg)
	}
}

func TestASiteConfigLoads(t *testing.T) {
	cfg := loadConfig(t, "config.yaml", "site")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.MaxSizeMiB != 512 || cfg.Retention.RawEvents != 48*time.Hour || cfg.PurgeInterval != 10*time.Second ||
		cfg.Export.Directory != "/var/spool/caro-exports" || cfg.Export.Interval != time.Hour || cfg.Export.MaxEvents != 1000 {
		t.Errorf("loaded %+v", cfg)
	}
	if got := cfg.retentionByEvent()[schema.EventDeletionRequest]; got != 72*time.Hour {
		t.Errorf("deletion requests kept %v, want the longest class", got)
	}
}

func TestAPostgreSQLStoreConfigLoads(t *testing.T) {
	cfg := loadConfig(t, "config.yaml", "shared")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "" || string(cfg.Postgres.DSN) != "postgres://caro:secret@127.0.0.1:5432/caro" {
		t.Errorf("loaded %+v", cfg)
	}
}

func TestInvalidConfigsAreRefused(t *testing.T) {
	for _, name := range []string{"no_path", "zero_retention", "bad_export", "two_stores", "capped_postgres"} {
		t.Run(name+" is refused", func(t *testing.T) {
			if err := confmap.Validate(loadConfig(t, "config_invalid.yaml", name)); err == nil {
				t.Error("Validate accepted it")
			}
		})
	}
}

func TestConfigStructIsWellFormed(t *testing.T) {
	if err := componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()); err != nil {
		t.Fatal(err)
	}
}

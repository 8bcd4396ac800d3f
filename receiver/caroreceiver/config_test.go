package caroreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"caro.sh/telemetry/receiver/caroreceiver/internal/metadata"
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

func TestTheDefaultConfigListensOnLoopback(t *testing.T) {
	cfg := loadConfig(t, "config.yaml", "")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.NetAddr.Endpoint != "localhost:4320" || cfg.RateLimit.RequestsPerMinute != 60 || cfg.Exports.DropFolder != "" {
		t.Errorf("defaults %+v", cfg)
	}
}

func TestAGatewayConfigLoads(t *testing.T) {
	cfg := loadConfig(t, "config.yaml", "gateway")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.NetAddr.Endpoint != "0.0.0.0:4320" || cfg.MaxRequestBodySize != 1<<20 || cfg.RateLimit.Burst != 5 ||
		cfg.MaxEventsPerBatch != 500 || cfg.Exports.DropFolder != "/var/spool/caro-drop" ||
		cfg.Exports.PollInterval != 30*time.Second || cfg.Exports.SettleTime != 5*time.Second || cfg.Exports.MaxDecompressedBytes != 8<<20 {
		t.Errorf("loaded %+v", cfg)
	}
}

func TestInvalidConfigsAreRefused(t *testing.T) {
	for _, name := range []string{"no_endpoint", "zero_batch", "bad_rate", "bad_poll"} {
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

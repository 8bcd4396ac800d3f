package redactionprocessor

import (
	"path/filepath"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"caro.sh/telemetry/processor/redaction/redactionprocessor/internal/metadata"
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

func TestConfigLoadsFromYAML(t *testing.T) {
	for _, tc := range []struct {
		name string
		want *Config
	}{
		{"", &Config{ServiceNames: []string{"caro"}}},
		{"strict", &Config{ServiceNames: []string{"caro", "caro-beta"}, RejectResourceAttributes: true}},
	} {
		t.Run("caro_redaction/"+tc.name+" loads", func(t *testing.T) {
			got := loadConfig(t, "config.yaml", tc.name)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if err := confmap.Validate(got); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestInvalidConfigsAreRefused(t *testing.T) {
	for _, name := range []string{"empty_names", "path_as_name"} {
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

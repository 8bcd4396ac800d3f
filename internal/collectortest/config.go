package collectortest

import (
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// LoadConfig returns f's default config with the section of
// testdata/file named name (the component's type, or type/name) over it.
func LoadConfig[C component.Config](tb testing.TB, f component.Factory, file, name string) C {
	tb.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	if err != nil {
		tb.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(f.Type(), name).String())
	if err != nil {
		tb.Fatal(err)
	}
	cfg := f.CreateDefaultConfig()
	if err := sub.Unmarshal(cfg); err != nil {
		tb.Fatal(err)
	}
	return cfg.(C)
}

// ValidConfig is LoadConfig of testdata/config.yaml that fails tb unless
// the config validates.
func ValidConfig[C component.Config](tb testing.TB, f component.Factory, name string) C {
	tb.Helper()
	cfg := LoadConfig[C](tb, f, "config.yaml", name)
	if err := confmap.Validate(cfg); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// Invalid is a config of testdata/config_invalid.yaml that Validate must
// refuse.
type Invalid struct {
	Name string
	// Says are in the error; NotSays are not (the parts of the config that
	// are valid, say).
	Says, NotSays []string
}

// CheckInvalidConfigs runs a subtest per config, "<name> is refused".
func CheckInvalidConfigs(t *testing.T, f component.Factory, configs []Invalid) {
	t.Helper()
	for _, tc := range configs {
		t.Run(tc.Name+" is refused", func(t *testing.T) {
			err := confmap.Validate(LoadConfig[component.Config](t, f, "config_invalid.yaml", tc.Name))
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tc.Says {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, w := range tc.NotSays {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q names the valid %s", err, w)
				}
			}
		})
	}
}

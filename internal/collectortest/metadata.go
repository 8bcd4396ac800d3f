package collectortest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.yaml.in/yaml/v3"

	"caro.sh/telemetry/otelcolcaro"
)

// Factory is the factory of a logs component: this module's components
// make logs only.
type Factory interface {
	component.Factory
	LogsStability() component.StabilityLevel
}

// metadataFile is the part of metadata.yaml that otelcolcaro's table
// says again.
type metadataFile struct {
	Type   string `yaml:"type"`
	Status struct {
		Class     string              `yaml:"class"`
		Stability map[string][]string `yaml:"stability"`
	} `yaml:"status"`
	Telemetry struct {
		Metrics map[string]struct {
			Enabled     bool   `yaml:"enabled"`
			Description string `yaml:"description"`
			Unit        string `yaml:"unit"`
			Sum         struct {
				ValueType string `yaml:"value_type"`
				Monotonic bool   `yaml:"monotonic"`
			} `yaml:"sum"`
		} `yaml:"metrics"`
	} `yaml:"telemetry"`
}

// CheckComponent runs the tests mdatagen would generate for the component
// whose metadata.yaml is in dir: the file declares what c says and the
// class of f, f makes c's type and stability, and f's default config is a
// well-formed config struct.
func CheckComponent(t *testing.T, f Factory, c otelcolcaro.Component, dir string) {
	t.Helper()
	t.Run("metadata.yaml declares the component's record", func(t *testing.T) {
		checkMetadataYAML(t, filepath.Join(dir, "metadata.yaml"), class(f), c)
	})
	t.Run("the factory makes the declared type and stability", func(t *testing.T) {
		if f.Type() != c.Type || f.LogsStability() != c.LogsStability {
			t.Errorf("factory %s %s, record %s %s", f.Type(), f.LogsStability(), c.Type, c.LogsStability)
		}
	})
	t.Run("the default config struct is well formed", func(t *testing.T) {
		if err := componenttest.CheckConfigStruct(f.CreateDefaultConfig()); err != nil {
			t.Fatal(err)
		}
	})
}

// class is metadata.yaml's status.class of the components f makes.
func class(f Factory) string {
	switch f.(type) {
	case exporter.Factory:
		return "exporter"
	case processor.Factory:
		return "processor"
	case receiver.Factory:
		return "receiver"
	}
	return "unknown"
}

// checkMetadataYAML fails t when the metadata.yaml at path does not
// declare exactly class and what c says.
func checkMetadataYAML(t *testing.T, path, class string, c otelcolcaro.Component) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f metadataFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f.Type != c.Type.String() {
		t.Errorf("%s: type %q, record %q", path, f.Type, c.Type)
	}
	if f.Status.Class != class {
		t.Errorf("%s: class %q, want %q", path, f.Status.Class, class)
	}
	got := map[string]string{}
	for level, signals := range f.Status.Stability {
		for _, s := range signals {
			got[s] = level
		}
	}
	if !strings.EqualFold(got["logs"], c.LogsStability.String()) {
		t.Errorf("%s: logs stability %q, record %q", path, got["logs"], c.LogsStability)
	}
	delete(got, "logs")
	for signal := range got {
		t.Errorf("%s: declares signal %s that the factory does not", path, signal)
	}
	var names []string
	for name, m := range f.Telemetry.Metrics {
		if !m.Enabled {
			continue
		}
		name = "otelcol_" + name
		names = append(names, name)
		i := slices.IndexFunc(c.Metrics, func(d otelcolcaro.Metric) bool { return d.Name == name })
		if i < 0 {
			continue // reported below, with the names
		}
		if d := c.Metrics[i]; m.Unit != d.Unit || m.Description != d.Description {
			t.Errorf("%s: %s unit %q, description %q; record %q, %q", path, name, m.Unit, m.Description, d.Unit, d.Description)
		}
		if m.Sum.ValueType != "int" || !m.Sum.Monotonic {
			t.Errorf("%s: %s is not an int monotonic sum, the counter the record makes", path, name)
		}
	}
	slices.Sort(names)
	var wantNames []string
	for _, m := range c.Metrics {
		wantNames = append(wantNames, m.Name)
	}
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("%s: metrics %v, record %v", path, names, wantNames)
	}
}

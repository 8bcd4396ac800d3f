package collectortest

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.yaml.in/yaml/v3"
)

// Factory is the factory of a logs component: this module's components
// make logs only.
type Factory interface {
	component.Factory
	LogsStability() component.StabilityLevel
}

// Metadata is what a component's hand-written internal/metadata constants
// say.
type Metadata struct {
	Type          component.Type
	LogsStability component.StabilityLevel
	// Metrics are the names of the component's own metrics, as exported:
	// metadata.yaml's names with the collector's "otelcol_" prefix, as
	// mdatagen generates them.
	Metrics []string
}

// metadataFile is the part of metadata.yaml that the constants come from.
type metadataFile struct {
	Type   string `yaml:"type"`
	Status struct {
		Class     string              `yaml:"class"`
		Stability map[string][]string `yaml:"stability"`
	} `yaml:"status"`
	Telemetry struct {
		Metrics map[string]struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"metrics"`
	} `yaml:"telemetry"`
}

// CheckComponent runs the tests mdatagen would generate for the component
// in the current directory: its metadata.yaml declares what md says and
// the class of f, f makes md's type and stability, and f's default config
// is a well-formed config struct.
func CheckComponent(t *testing.T, f Factory, md Metadata) {
	t.Helper()
	t.Run("metadata.yaml declares the metadata constants", func(t *testing.T) {
		checkMetadataYAML(t, "metadata.yaml", class(f), md)
	})
	t.Run("the factory makes the declared type and stability", func(t *testing.T) {
		if f.Type() != md.Type || f.LogsStability() != md.LogsStability {
			t.Errorf("factory %s %s, constants %s %s", f.Type(), f.LogsStability(), md.Type, md.LogsStability)
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
// declare exactly class and what md says.
func checkMetadataYAML(t *testing.T, path, class string, md Metadata) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f metadataFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f.Type != md.Type.String() {
		t.Errorf("%s: type %q, constant %q", path, f.Type, md.Type)
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
	if !strings.EqualFold(got["logs"], md.LogsStability.String()) {
		t.Errorf("%s: logs stability %q, constant %q", path, got["logs"], md.LogsStability)
	}
	delete(got, "logs")
	for signal := range got {
		t.Errorf("%s: declares signal %s that the factory does not", path, signal)
	}
	var names []string
	for name, m := range f.Telemetry.Metrics {
		if m.Enabled {
			names = append(names, "otelcol_"+name)
		}
	}
	slices.Sort(names)
	wantNames := slices.Clone(md.Metrics)
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("%s: metrics %v, constants %v", path, names, wantNames)
	}
}

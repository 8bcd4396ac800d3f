// Package metadatatest checks a component's hand-written internal/metadata
// constants against its metadata.yaml, the record that mdatagen would
// generate them from (mdatagen is not served here).
package metadatatest

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.yaml.in/yaml/v3"
)

// File is the part of metadata.yaml that the constants come from.
type File struct {
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

// Want is what the constants say.
type Want struct {
	Type  component.Type
	Class string
	// Stability maps a signal ("logs") to its level.
	Stability map[string]component.StabilityLevel
	// Metrics are the names of the component's own metrics, as exported:
	// metadata.yaml's names with the collector's "otelcol_" prefix, as
	// mdatagen generates them.
	Metrics []string
}

// Check fails t when the metadata.yaml at path does not declare exactly
// what want says.
func Check(t *testing.T, path string, want Want) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f.Type != want.Type.String() {
		t.Errorf("%s: type %q, constant %q", path, f.Type, want.Type)
	}
	if f.Status.Class != want.Class {
		t.Errorf("%s: class %q, want %q", path, f.Status.Class, want.Class)
	}
	got := map[string]string{}
	for level, signals := range f.Status.Stability {
		for _, s := range signals {
			got[s] = level
		}
	}
	for signal, level := range want.Stability {
		if !strings.EqualFold(got[signal], level.String()) {
			t.Errorf("%s: %s stability %q, constant %q", path, signal, got[signal], level)
		}
		delete(got, signal)
	}
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
	wantNames := slices.Clone(want.Metrics)
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("%s: metrics %v, constants %v", path, names, wantNames)
	}
}

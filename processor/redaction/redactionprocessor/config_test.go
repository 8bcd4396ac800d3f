package redactionprocessor

import (
	"reflect"
	"testing"

	"caro.sh/telemetry/internal/collectortest"
)

func TestConfigLoadsFromYAML(t *testing.T) {
	for _, tc := range []struct {
		name string
		want *Config
	}{
		{"", &Config{ServiceNames: []string{"caro"}}},
		{"strict", &Config{ServiceNames: []string{"caro", "caro-beta"}, RejectResourceAttributes: true}},
	} {
		t.Run("caro_redaction/"+tc.name+" loads", func(t *testing.T) {
			got := collectortest.ValidConfig[*Config](t, NewFactory(), tc.name)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestInvalidConfigsAreRefused(t *testing.T) {
	collectortest.CheckInvalidConfigs(t, NewFactory(), []collectortest.Invalid{{Name: "empty_names"}, {Name: "path_as_name"}})
}

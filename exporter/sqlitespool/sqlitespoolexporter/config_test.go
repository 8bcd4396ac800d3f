package sqlitespoolexporter

import (
	"testing"
	"time"

	"caro.sh/telemetry/internal/collectortest"
	"caro.sh/telemetry/schema"
)

func TestDefaultConfigFollowsTheSpecsRetention(t *testing.T) {
	cfg := collectortest.ValidConfig[*Config](t, NewFactory(), "")
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
	cfg := collectortest.ValidConfig[*Config](t, NewFactory(), "site")
	if cfg.MaxSizeMiB != 512 || cfg.Retention.RawEvents != 48*time.Hour || cfg.PurgeInterval != 10*time.Second ||
		cfg.Export.Directory != "/var/spool/caro-exports" || cfg.Export.Interval != time.Hour || cfg.Export.MaxEvents != 1000 {
		t.Errorf("loaded %+v", cfg)
	}
	if got := cfg.retentionByEvent()[schema.EventDeletionRequest]; got != 72*time.Hour {
		t.Errorf("deletion requests kept %v, want the longest class", got)
	}
}

func TestAPostgreSQLStoreConfigLoads(t *testing.T) {
	cfg := collectortest.ValidConfig[*Config](t, NewFactory(), "shared")
	if cfg.Path != "" || string(cfg.Postgres.DSN) != "postgres://caro:secret@127.0.0.1:5432/caro" {
		t.Errorf("loaded %+v", cfg)
	}
}

func TestInvalidConfigsAreRefused(t *testing.T) {
	collectortest.CheckInvalidConfigs(t, NewFactory(), []collectortest.Invalid{
		{Name: "no_path"}, {Name: "zero_retention"}, {Name: "bad_export"}, {Name: "two_stores"}, {Name: "capped_postgres"},
	})
}

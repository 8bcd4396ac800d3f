package sqlitespoolexporter

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"caro.sh/telemetry/schema"
)

// Config configures the sqlitespool exporter: the collector's store of
// Caro events.
type Config struct {
	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is exporterhelper's sending queue, off by default: a
	// write to the local store is fast, and without a queue the receivers
	// learn whether it succeeded.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Path is the SQLite database file (created 0600, its folder 0700).
	// Exactly one of Path and Postgres.DSN is set.
	Path string `mapstructure:"path"`
	// Postgres keeps the store in a PostgreSQL database instead, which
	// any number of collector replicas may share.
	Postgres PostgresConfig `mapstructure:"postgres"`
	// MaxSizeMiB caps the file; 0 means no cap (retention bounds it).
	// When the cap is reached the oldest events go first.
	MaxSizeMiB int64 `mapstructure:"max_size_mib"`
	// Retention is the server retention by the spec's data classes.
	Retention RetentionConfig `mapstructure:"retention"`
	// PurgeInterval is the least time between two retention purges.
	PurgeInterval time.Duration `mapstructure:"purge_interval"`
	// Export writes the spec's air-gapped export files on a schedule, for a
	// site collector with no egress (off when Directory is empty).
	Export ExportConfig `mapstructure:"export"`
}

// PostgresConfig selects a PostgreSQL store.
type PostgresConfig struct {
	// DSN is the connection string (postgres://user:password@host:port/db),
	// best given from the environment: dsn: ${env:CARO_POSTGRES_DSN}.
	DSN configopaque.String `mapstructure:"dsn"`
}

// RetentionConfig is how long each class of events of the spec's Data
// Retention table is kept, from the event's time.
type RetentionConfig struct {
	// SessionEvents: session.start, session.end (spec: 30 days).
	SessionEvents time.Duration `mapstructure:"session_events"`
	// RawEvents: command.generated, command.executed, safety.triggered
	// (spec: 90 days).
	RawEvents time.Duration `mapstructure:"raw_events"`
	// ErrorEvents: error.occurred (spec: 180 days).
	ErrorEvents time.Duration `mapstructure:"error_events"`
}

// ExportConfig schedules air-gapped export files.
type ExportConfig struct {
	// Directory receives telemetry-export-<time>.json.gz files (0600).
	Directory string `mapstructure:"directory"`
	// Interval between two exports (default 24h).
	Interval time.Duration `mapstructure:"interval"`
	// MaxEvents per file (default 50000); more events make more files.
	MaxEvents int `mapstructure:"max_events"`
}

const day = 24 * time.Hour

func createDefaultConfig() *Config {
	return &Config{
		TimeoutConfig: exporterhelper.TimeoutConfig{Timeout: 10 * time.Second},
		QueueConfig:   configoptional.None[exporterhelper.QueueBatchConfig](),
		// No retry inside the request: without a queue it would hold the
		// client's connection while the store is away (minutes); the
		// client keeps its events and retries on the 503 instead.
		RetryConfig: func() configretry.BackOffConfig {
			c := configretry.NewDefaultBackOffConfig()
			c.Enabled = false
			return c
		}(),
		Retention: RetentionConfig{
			SessionEvents: schema.SessionRetentionDays * day,
			RawEvents:     schema.RawRetentionDays * day,
			ErrorEvents:   schema.ErrorRetentionDays * day,
		},
		PurgeInterval: time.Minute,
		Export:        ExportConfig{Interval: day, MaxEvents: 50000},
	}
}

// Validate checks the path, sizes and durations.
func (c *Config) Validate() error {
	var errs []error
	switch {
	case c.Path == "" && c.Postgres.DSN == "":
		errs = append(errs, errors.New("path: the SQLite file, or postgres.dsn, is required"))
	case c.Path != "" && c.Postgres.DSN != "":
		errs = append(errs, errors.New("path and postgres.dsn are both set: choose one store"))
	}
	if c.Postgres.DSN != "" && c.MaxSizeMiB != 0 {
		errs = append(errs, errors.New("max_size_mib caps a SQLite file only; a PostgreSQL store is bounded by retention"))
	}
	if c.MaxSizeMiB < 0 {
		errs = append(errs, fmt.Errorf("max_size_mib: %d is negative", c.MaxSizeMiB))
	}
	for name, d := range map[string]time.Duration{
		"retention.session_events": c.Retention.SessionEvents,
		"retention.raw_events":     c.Retention.RawEvents,
		"retention.error_events":   c.Retention.ErrorEvents,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %v, want more than zero", name, d))
		}
	}
	if c.PurgeInterval <= 0 {
		errs = append(errs, fmt.Errorf("purge_interval: %v, want more than zero", c.PurgeInterval))
	}
	if c.Export.Directory != "" {
		if c.Export.Interval <= 0 {
			errs = append(errs, fmt.Errorf("export.interval: %v, want more than zero", c.Export.Interval))
		}
		if c.Export.MaxEvents <= 0 {
			errs = append(errs, fmt.Errorf("export.max_events: %d, want more than zero", c.Export.MaxEvents))
		}
	}
	return errors.Join(errs...)
}

// retentionByEvent maps every schema event to its class's retention. A
// deletion request is kept as long as the longest class: as long as any
// event it deleted could still arrive.
func (c *Config) retentionByEvent() map[string]time.Duration {
	out := make(map[string]time.Duration)
	longest := max(c.Retention.SessionEvents, c.Retention.RawEvents, c.Retention.ErrorEvents)
	for _, e := range schema.Events() {
		switch {
		case e.Control:
			out[e.Name] = longest
		case e.RetentionDays == schema.SessionRetentionDays:
			out[e.Name] = c.Retention.SessionEvents
		case e.RetentionDays == schema.ErrorRetentionDays:
			out[e.Name] = c.Retention.ErrorEvents
		default:
			out[e.Name] = c.Retention.RawEvents
		}
	}
	return out
}

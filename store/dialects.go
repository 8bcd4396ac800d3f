package store

// PostgresDialect is the dialect of a PostgreSQL store, for code that
// writes the store's SQL with no store open: the Grafana dashboards'
// panels (insights.SeriesSQL), which Grafana runs, not this module.
func PostgresDialect() Dialect { return postgresDialect{} }

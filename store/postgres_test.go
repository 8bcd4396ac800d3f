package store

import (
	"testing"

	"caro.sh/telemetry/internal/pgtest"
)

// PostgreSQL joins the backends every store test runs on: a throw-away
// server per test (pgtest), so that tests share nothing.
func init() {
	backends = append(backends, opener{"postgres", func(t testing.TB, o Options) *Store {
		t.Helper()
		o.DSN = pgtest.Start(t).DSN()
		return mustOpen(t, o)
	}})
}

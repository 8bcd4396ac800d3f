package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"caro.sh/telemetry/event"
)

// Dialect is what differs between the SQL of the two databases, for the
// store itself and for the readers that query it (insights' metrics are
// written once, with these for the differences).
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// TimeArg is the argument that compares with a time column.
	TimeArg(t time.Time) any
	// Day is the SQL of a time column's UTC day as YYYY-MM-DD text.
	Day(col string) string
	// Param is the SQL of the i-th (1-based) query argument.
	Param(i int) string

	floatType() string
	newTime() any
	readTime(v any) (time.Time, error)
}

// SQLite: times are fixed-width UTC text (event.StoreTimeLayout), which
// sorts as time and reads back exactly.
type sqliteDialect struct{}

func (sqliteDialect) Name() string            { return "sqlite" }
func (sqliteDialect) TimeArg(t time.Time) any { return event.FormatStoreTime(t) }
func (sqliteDialect) Day(col string) string   { return "substr(" + col + ", 1, 10)" }
func (sqliteDialect) Param(i int) string      { return "?" + strconv.Itoa(i) }
func (sqliteDialect) floatType() string       { return "REAL" }
func (sqliteDialect) newTime() any            { return new(sql.NullString) }
func (sqliteDialect) dayArg(t time.Time) any  { return t.UTC().Format(time.DateOnly) }
func (sqliteDialect) readTime(v any) (time.Time, error) {
	s := v.(*sql.NullString)
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := event.ParseStoreTime(s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s.String, err)
	}
	return t, nil
}

// PostgreSQL: times are timestamptz, days dates.
type postgresDialect struct{}

func (postgresDialect) Name() string            { return "postgres" }
func (postgresDialect) TimeArg(t time.Time) any { return t.UTC() }
func (postgresDialect) Day(col string) string {
	return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
}
func (postgresDialect) Param(i int) string { return "$" + strconv.Itoa(i) }
func (postgresDialect) floatType() string  { return "DOUBLE PRECISION" }
func (postgresDialect) newTime() any       { return new(sql.NullTime) }
func (postgresDialect) readTime(v any) (time.Time, error) {
	t := v.(*sql.NullTime)
	if !t.Valid {
		return time.Time{}, nil
	}
	return t.Time.UTC(), nil
}

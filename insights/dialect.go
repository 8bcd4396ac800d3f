package insights

import (
	"context"
	"database/sql"
	"regexp"
	"strconv"

	"caro.sh/telemetry/store"
)

// The SQL of insights is written once, for both stores (SQLite and
// PostgreSQL). It keeps to what both databases read alike: CASE rather
// than a boolean's max() or a bool/int coalesce, count(DISTINCT),
// MATERIALIZED common table expressions, || on text, no integer division.
// What still differs is spelled by store.Dialect (a time column's UTC day,
// time arguments, parameters) and, for insights' own table, in this file.

// render turns a query template into the SQL of dialect d:
//
//   - @alias: the column of the schema field that fields maps the alias
//     to, in the events table aliased e (e.platform_os);
//   - {day}: the UTC day of e.event_time, as YYYY-MM-DD text;
//   - {1}, {2}, ...: the query's arguments.
//
// An alias without a field is a programmer error, caught by every test.
func render(tmpl string, fields map[string]string, d store.Dialect) string {
	return tokenPattern.ReplaceAllStringFunc(tmpl, func(tok string) string {
		switch {
		case tok[0] == '@':
			key, ok := fields[tok]
			if !ok {
				panic("insights: SQL alias " + tok + " has no schema field")
			}
			return fieldSQL(key)
		case tok == "{day}":
			return d.Day("e." + store.ColEventTime)
		}
		n, err := strconv.Atoi(tok[1 : len(tok)-1])
		if err != nil {
			panic("insights: SQL token " + tok)
		}
		return d.Param(n)
	})
}

// tokenPattern matches the tokens of a query template.
var tokenPattern = regexp.MustCompile(`@[a-z_]+|\{day\}|\{[0-9]+\}`)

// fieldSQL reads one field of the stored event e: its typed column.
func fieldSQL(key string) string { return "e." + store.ColumnName(key) }

// tableExistsSQL asks whether a table exists: one row, true or false.
func tableExistsSQL(d store.Dialect, table string) string {
	if d.Name() == "postgres" {
		return "SELECT to_regclass('" + table + "') IS NOT NULL"
	}
	return "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'"
}

// sqliteReadPragma lets SQLite read the store's pages from a memory
// map of the file (the operating system's cache, shared by every
// connection) rather than copy each into the connection's own page cache
// by a system call: a scan of millions of events reads gigabytes.
const sqliteReadPragma = "PRAGMA mmap_size = 1099511627776"

// queryFacts runs the facts query q. PostgreSQL's JIT compiler, on by
// default, would compile its plan (each scan covers every daily partition
// of the table, a few hundred) for minutes before running it for seconds:
// the query runs in a read-only transaction with JIT off. SQLite runs it
// as is (a transaction of the store's connection would take its write
// lock). The caller closes the rows with done.
func queryFacts(ctx context.Context, s *store.Store, q string, args ...any) (rows *sql.Rows, done func(), err error) {
	if s.Dialect().Name() != "postgres" {
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		if _, err := conn.ExecContext(ctx, sqliteReadPragma); err != nil {
			conn.Close()
			return nil, nil, err
		}
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			conn.Close()
			return nil, nil, err
		}
		return rows, func() { rows.Close(); conn.Close() }, nil
	}
	tx, err := s.DB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	if _, err := tx.ExecContext(ctx, "SET LOCAL jit = off"); err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	rows, err = tx.QueryContext(ctx, q, args...)
	if err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	return rows, func() { rows.Close(); tx.Rollback() }, nil
}

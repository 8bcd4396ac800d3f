package insights

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"caro.sh/telemetry/internal/sqliteconn"
	"caro.sh/telemetry/store"
)

// cursor is the rows of one query of scanFacts, read value by value: a
// text value is the database's own bytes, valid until the next row. The
// scan reads millions of rows and keeps few of their strings: a copy of
// each, as database/sql makes, cost more than the rest of the read.
type cursor interface {
	Next() bool
	Err() error
	// Text, Int and Bool read column i; ok is false for NULL.
	Text(i int) (b []byte, ok bool)
	Int(i int) (v int64, ok bool)
	Bool(i int) (v bool, ok bool)
}

// readers give scanFacts its cursors: for SQLite, connections of
// package sqliteconn, one per concurrent query, kept for the scan's next
// queries (their page caches stay warm); for PostgreSQL, pgx's own rows
// on a connection of the store's pool.
type readers struct {
	s    *store.Store
	idle chan *sqliteconn.Conn
}

func newReaders(s *store.Store) *readers {
	return &readers{s: s, idle: make(chan *sqliteconn.Conn, scanReaders)}
}

// close closes the idle SQLite connections.
func (rs *readers) close() {
	for {
		select {
		case c := <-rs.idle:
			c.Close()
		default:
			return
		}
	}
}

// query runs q with args and hands its rows to read.
func (rs *readers) query(ctx context.Context, q string, args []any, read func(cursor) error) error {
	if rs.s.Dialect().Name() == "postgres" {
		return queryPostgres(ctx, rs.s, q, args, read)
	}
	var c *sqliteconn.Conn
	select {
	case c = <-rs.idle:
	default:
		var err error
		if c, err = sqliteconn.Open(rs.s.Where()); err != nil {
			return err
		}
		// A reader's page cache, as the store's own readers have.
		if _, err := c.Exec(sqliteReaderCache); err != nil {
			c.Close()
			return err
		}
	}
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		c.Close()
		return err
	}
	err = read(sqliteCursor{rows})
	err = errors.Join(err, rows.Err(), rows.Close())
	select {
	case rs.idle <- c:
	default:
		c.Close()
	}
	return err
}

// sqliteReaderCache is the page cache of a scan's SQLite connection.
const sqliteReaderCache = "PRAGMA cache_size = -65536"

// sqliteCursor reads SQLite's rows; a boolean is an integer there.
type sqliteCursor struct{ *sqliteconn.Rows }

func (c sqliteCursor) Bool(i int) (bool, bool) {
	v, ok := c.Int(i)
	return v != 0, ok
}

// queryPostgres runs q in a read-only transaction with JIT off (see
// queryFacts) on pgx's own interface, whose rows give each value's bytes
// as the server sent them.
func queryPostgres(ctx context.Context, s *store.Store, q string, args []any, read func(cursor) error) error {
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a PostgreSQL store's connection is a %T, not pgx's", dc)
		}
		tx, err := sc.Conn().BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		c := &pgCursor{rows: rows, fields: rows.FieldDescriptions()}
		if err := read(c); err != nil {
			return err
		}
		rows.Close()
		return errors.Join(c.err, rows.Err())
	})
}

// pgCursor decodes the values of pgx's rows: binary (what pgx asks for
// the types it knows) or text.
type pgCursor struct {
	rows   pgx.Rows
	fields []pgconn.FieldDescription
	vals   [][]byte
	err    error
}

func (c *pgCursor) Next() bool {
	if c.err != nil || !c.rows.Next() {
		return false
	}
	c.vals = c.rows.RawValues()
	return true
}

func (c *pgCursor) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.rows.Err()
}

func (c *pgCursor) Text(i int) ([]byte, bool) {
	v := c.vals[i]
	return v, v != nil
}

func (c *pgCursor) Int(i int) (int64, bool) {
	v := c.vals[i]
	if v == nil {
		return 0, false
	}
	if c.fields[i].Format == pgx.TextFormatCode {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			c.fail(i, err)
		}
		return n, true
	}
	switch len(v) {
	case 8:
		return int64(binary.BigEndian.Uint64(v)), true
	case 4:
		return int64(int32(binary.BigEndian.Uint32(v))), true
	case 2:
		return int64(int16(binary.BigEndian.Uint16(v))), true
	}
	c.fail(i, fmt.Errorf("%d bytes for an integer", len(v)))
	return 0, true
}

func (c *pgCursor) Bool(i int) (bool, bool) {
	v := c.vals[i]
	if v == nil {
		return false, false
	}
	if len(v) != 1 {
		c.fail(i, fmt.Errorf("%q for a boolean", v))
		return false, true
	}
	// Binary 1 or 0, text 't' or 'f'.
	return v[0] == 1 || v[0] == 't', true
}

// fail records the first value that could not be read: Next stops.
func (c *pgCursor) fail(i int, err error) {
	if c.err == nil {
		c.err = fmt.Errorf("column %s: %w", c.fields[i].Name, err)
	}
}

// nullString is a text value as the scan keeps it.
func nullString(b []byte, ok bool) sql.NullString {
	return sql.NullString{String: string(b), Valid: ok}
}

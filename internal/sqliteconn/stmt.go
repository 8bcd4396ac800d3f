package sqliteconn

import (
	"errors"
	"fmt"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// Stmt is a statement prepared once and run many times with new
// arguments (Exec): the collector store's inserts, one per event, on its
// one writer connection. Its text arguments are copied into one buffer
// of its own, reused by every Exec, where the driver allocates a C copy
// of each.
type Stmt struct {
	c    *Conn
	stmt uintptr
	buf  uintptr // the text arguments of the last Exec
	cap  int
}

// Prepare compiles query for Exec.
func (c *Conn) Prepare(query string) (*Stmt, error) {
	st, err := c.prepare(query)
	if err != nil {
		return nil, err
	}
	return &Stmt{c: c, stmt: st}, nil
}

// Exec runs the statement with its arguments ?1, ?2... (nil, string,
// []byte, int64, int, float64 or bool) and returns how many rows it
// changed. Rows it returns are stepped over.
func (s *Stmt) Exec(args ...any) (int64, error) {
	c := s.c
	if err := s.bind(args); err != nil {
		return 0, err
	}
	for {
		switch rc := sqlite3.Xsqlite3_step(c.tls, s.stmt); rc {
		case sqlite3.SQLITE_ROW:
			continue
		case sqlite3.SQLITE_DONE:
			n := sqlite3.Xsqlite3_changes64(c.tls, c.db)
			sqlite3.Xsqlite3_reset(c.tls, s.stmt)
			return n, nil
		default:
			err := c.errorOf(rc)
			sqlite3.Xsqlite3_reset(c.tls, s.stmt)
			return 0, err
		}
	}
}

// bind binds args, every text into s.buf.
func (s *Stmt) bind(args []any) error {
	c := s.c
	sqlite3.Xsqlite3_clear_bindings(c.tls, s.stmt)
	size := 0
	for _, a := range args {
		switch v := a.(type) {
		case string:
			size += len(v) + 1
		case []byte:
			size += len(v) + 1
		}
	}
	if size > s.cap {
		libc.Xfree(c.tls, s.buf)
		s.cap = max(size, 2*s.cap)
		if s.buf = libc.Xmalloc(c.tls, types.Size_t(s.cap)); s.buf == 0 {
			s.cap = 0
			return errors.New("sqlite: out of memory binding arguments")
		}
	}
	at := s.buf
	for i, a := range args {
		n := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case nil:
			continue // NULL: cleared above
		case string:
			copy(unsafe.Slice((*byte)(cMem(at)), len(v)), v)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, s.stmt, n, at, int32(len(v)), 0)
			at += uintptr(len(v) + 1)
		case []byte:
			copy(unsafe.Slice((*byte)(cMem(at)), len(v)), v)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, s.stmt, n, at, int32(len(v)), 0)
			at += uintptr(len(v) + 1)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.stmt, n, v)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.stmt, n, int64(v))
		case float64:
			rc = sqlite3.Xsqlite3_bind_double(c.tls, s.stmt, n, v)
		case bool:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.stmt, n, int64(libc.Bool32(v)))
		default:
			return fmt.Errorf("argument %d: cannot bind a %T", n, a)
		}
		if rc != sqlite3.SQLITE_OK {
			return fmt.Errorf("argument %d: %w", n, c.errorOf(rc))
		}
	}
	return nil
}

// Close finalizes the statement.
func (s *Stmt) Close() error {
	var err error
	if s.stmt != 0 {
		if rc := sqlite3.Xsqlite3_finalize(s.c.tls, s.stmt); rc != sqlite3.SQLITE_OK {
			err = s.c.errorOf(rc)
		}
		s.stmt = 0
	}
	libc.Xfree(s.c.tls, s.buf)
	s.buf, s.cap = 0, 0
	return err
}

// Exec prepares, runs and finalizes query, and returns how many rows it
// changed.
func (c *Conn) Exec(query string, args ...any) (int64, error) {
	s, err := c.Prepare(query)
	if err != nil {
		return 0, err
	}
	n, err := s.Exec(args...)
	return n, errors.Join(err, s.Close())
}

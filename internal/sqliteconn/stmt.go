package sqliteconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
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
	args []byte // Exec's arguments, encoded (AppendArgs)
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
	var err error
	if s.args, err = AppendArgs(s.args[:0], args...); err != nil {
		return 0, err
	}
	return s.ExecArgs(s.args)
}

// ExecArgs is Exec with the arguments AppendArgs encoded: a caller that
// holds many rows before it runs them (the store's applier, tens of
// thousands) keeps each one's arguments in a few hundred bytes, not a
// slice of boxed values three times that size.
func (s *Stmt) ExecArgs(args []byte) (int64, error) {
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

// The encoding of one argument (AppendArgs): a tag, then for text its
// length (uvarint) and bytes, for an integer a varint, for a float its 8
// bytes.
const (
	tagNull byte = iota
	tagText
	tagInt
	tagFloat
)

// AppendArgs appends args (nil, string, []byte, int64, int, float64 or
// bool) to dst, encoded for ExecArgs.
func AppendArgs(dst []byte, args ...any) ([]byte, error) {
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			dst = append(dst, tagNull)
		case string:
			dst = binary.AppendUvarint(append(dst, tagText), uint64(len(v)))
			dst = append(dst, v...)
		case []byte:
			dst = binary.AppendUvarint(append(dst, tagText), uint64(len(v)))
			dst = append(dst, v...)
		case int64:
			dst = binary.AppendVarint(append(dst, tagInt), v)
		case int:
			dst = binary.AppendVarint(append(dst, tagInt), int64(v))
		case bool:
			dst = binary.AppendVarint(append(dst, tagInt), int64(libc.Bool32(v)))
		case float64:
			dst = binary.LittleEndian.AppendUint64(append(dst, tagFloat), math.Float64bits(v))
		default:
			return dst, fmt.Errorf("argument %d: cannot bind a %T", i+1, a)
		}
	}
	return dst, nil
}

// errArgs is a list that AppendArgs did not write.
var errArgs = errors.New("sqlite: arguments not encoded by AppendArgs")

// bind binds the encoded args, every text into s.buf.
func (s *Stmt) bind(args []byte) error {
	c := s.c
	sqlite3.Xsqlite3_clear_bindings(c.tls, s.stmt)
	if len(args) > s.cap { // the texts take less than their encoding
		libc.Xfree(c.tls, s.buf)
		s.cap = max(len(args), 2*s.cap)
		if s.buf = libc.Xmalloc(c.tls, types.Size_t(s.cap)); s.buf == 0 {
			s.cap = 0
			return errors.New("sqlite: out of memory binding arguments")
		}
	}
	at := s.buf
	for n := int32(1); len(args) > 0; n++ {
		tag := args[0]
		args = args[1:]
		var rc int32
		switch tag {
		case tagNull:
			continue // cleared above
		case tagText:
			size, k := binary.Uvarint(args)
			if k <= 0 || uint64(len(args)-k) < size {
				return errArgs
			}
			v := args[k : k+int(size)]
			args = args[k+int(size):]
			copy(unsafe.Slice((*byte)(cMem(at)), len(v)), v)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, s.stmt, n, at, int32(len(v)), 0)
			at += uintptr(len(v))
		case tagInt:
			v, k := binary.Varint(args)
			if k <= 0 {
				return errArgs
			}
			args = args[k:]
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.stmt, n, v)
		case tagFloat:
			if len(args) < 8 {
				return errArgs
			}
			v := math.Float64frombits(binary.LittleEndian.Uint64(args))
			args = args[8:]
			rc = sqlite3.Xsqlite3_bind_double(c.tls, s.stmt, n, v)
		default:
			return errArgs
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

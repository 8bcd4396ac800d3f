package sqliteconn

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// testFile makes a SQLite file with the database/sql driver, as the store
// does, and returns its path.
func testFile(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func TestRowsReadWhatTheDriverWrote(t *testing.T) {
	path := testFile(t, "PRAGMA journal_mode = WAL",
		"CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, n BIGINT, b BOOLEAN)",
		"INSERT INTO t VALUES (1, 'macos', 42, true), (2, '', -7, false), (3, NULL, NULL, NULL), (4, 'é\u00a0x', 0, true)")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type row struct {
		s        string
		sOK      bool
		n        int64
		nOK, bOK bool
	}
	for _, tc := range []struct {
		name string
		args []any
		want []row
	}{
		{"every row", []any{int64(0), ""}, []row{{"macos", true, 42, true, true}, {"", true, -7, true, true},
			{"", false, 0, false, false}, {"é\u00a0x", true, 0, true, true}}},
		{"bound text and int", []any{2, "macos"}, []row{{"macos", true, 42, true, true}}},
		{"bound bytes", []any{int64(4), []byte("é\u00a0x")}, []row{{"é\u00a0x", true, 0, true, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := "SELECT s, n, b FROM t WHERE k >= ?1 ORDER BY k"
			if tc.args[1] != "" {
				q = "SELECT s, n, b FROM t WHERE k <= ?1 AND s = ?2 ORDER BY k"
			}
			args := tc.args
			if tc.args[1] == "" {
				args = args[:1]
			}
			r, err := c.Query(context.Background(), q, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var got []row
			for r.Next() {
				s, sOK := r.Text(0)
				n, nOK := r.Int(1)
				_, bOK := r.Int(2)
				got = append(got, row{string(s), sOK, n, nOK, bOK})
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("row %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestErrorsSayWhatFailed(t *testing.T) {
	path := testFile(t, "CREATE TABLE t (k INTEGER PRIMARY KEY)", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "+
		"SELECT i + 1 FROM n WHERE i < 10000) INSERT INTO t SELECT i FROM n")
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db")); err == nil || !strings.Contains(err.Error(), "missing.db") {
		t.Errorf("opening a missing file: %v", err)
	}
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Query(context.Background(), "SELECT nope FROM t"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a bad query: %v", err)
	}
	if _, err := c.Query(context.Background(), "SELECT ?1", struct{}{}); err == nil || !strings.Contains(err.Error(), "struct") {
		t.Errorf("a struct argument: %v", err)
	}
	// A cancelled context stops the rows within ctxEvery of them.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := c.Query(ctx, "SELECT k FROM t")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		if n++; n == 10 {
			cancel()
		}
	}
	if !errors.Is(r.Err(), context.Canceled) || n > 10+ctxEvery {
		t.Errorf("after %d rows of 10000: %v, want the context's error", n, r.Err())
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

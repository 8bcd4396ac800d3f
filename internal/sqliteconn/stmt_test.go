package sqliteconn

import (
	"fmt"
	"strings"
	"testing"
)

// openStmt opens a new file with the table of create, and prepares query
// on it; both close when the test ends.
func openStmt(t *testing.T, create, query string) (*Conn, *Stmt) {
	t.Helper()
	c, err := Open(testFile(t, create))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := c.Prepare(query)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return c, st
}

// queryLines runs query on c and returns line of each row.
func queryLines(t *testing.T, c *Conn, query string, line func(*Rows) string) []string {
	t.Helper()
	r, err := c.Query(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		out = append(out, line(r))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStmtRunsAgainWithNewArguments(t *testing.T) {
	c, ins := openStmt(t, "CREATE TABLE t (k TEXT PRIMARY KEY, s TEXT, n BIGINT, f REAL, b BOOLEAN)",
		"INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (k) DO NOTHING")
	long := strings.Repeat("x", 5000) // past the buffer of the Execs before
	for _, tc := range []struct {
		args    []any
		changed int64
	}{
		{[]any{"a", "macos", int64(42), 1.5, true}, 1},
		{[]any{"b", "", 7, nil, false}, 1},
		{[]any{"c", long, nil, -0.25, nil}, 1},
		{[]any{"a", "again", int64(1), 0.0, true}, 0}, // a conflict: nothing changed
		{[]any{[]byte("d"), []byte("é"), int64(-1), 2.0, false}, 1},
	} {
		n, err := ins.Exec(tc.args...)
		if err != nil || n != tc.changed {
			t.Fatalf("Exec(%.40v) = %d, %v; want %d", tc.args, n, err, tc.changed)
		}
	}
	if _, err := ins.Exec("e", struct{}{}, 1, 1.0, true); err == nil {
		t.Error("a struct was bound")
	}
	got := queryLines(t, c, "SELECT k, s, n, f FROM t ORDER BY k", func(r *Rows) string {
		k, _ := r.Text(0)
		s, ok := r.Text(1)
		n, nOK := r.Int(2)
		f, _ := r.Text(3)
		if len(s) > 10 {
			s = s[:3]
		}
		return fmt.Sprintf("%s|%s|%v|%d|%v|%s", k, s, ok, n, nOK, f)
	})
	want := []string{"a|macos|true|42|true|1.5", "b||true|7|true|", "c|xxx|true|0|false|-0.25", "d|é|true|-1|true|2.0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the table holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := c.Exec("INSERT INTO nope VALUES (1)"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a statement on a missing table: %v", err)
	}
}

func TestExecArgsRefusesWhatAppendArgsDidNotWrite(t *testing.T) {
	c, ins := openStmt(t, "CREATE TABLE t (s TEXT, n BIGINT, f REAL)", "INSERT INTO t VALUES (?1, ?2, ?3)")
	good, err := AppendArgs(nil, "macos", int64(-300), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []byte
	}{
		{"an unknown tag", []byte{9}},
		{"a text longer than the list", []byte{tagText, 5, 'a'}},
		{"a text without its length", []byte{tagText}},
		{"an integer without its bytes", []byte{tagInt}},
		{"a float cut short", []byte{tagFloat, 1, 2, 3}},
		{"a good list cut short", good[:len(good)-1]},
	} {
		if _, err := ins.ExecArgs(tc.args); err == nil {
			t.Errorf("%s: ExecArgs(%v) bound it", tc.name, tc.args)
		}
	}
	if n, err := ins.ExecArgs(good); err != nil || n != 1 {
		t.Fatalf("ExecArgs(good) = %d, %v", n, err)
	}
	got := queryLines(t, c, "SELECT s, n, f FROM t", func(r *Rows) string {
		s, _ := r.Text(0)
		n, _ := r.Int(1)
		f, _ := r.Text(2)
		return fmt.Sprintf("%s|%d|%s", s, n, f)
	})
	if want := "macos|-300|0.5"; strings.Join(got, ",") != want {
		t.Errorf("the table holds %q, want %q", got, want)
	}
}

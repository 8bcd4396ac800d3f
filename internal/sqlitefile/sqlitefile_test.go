package sqlitefile

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestUseWAL: a new file gets incremental auto_vacuum and WAL; a file that
// already has a table keeps its auto_vacuum (it can no longer change) and
// gets WAL; a second call changes nothing.
func TestUseWAL(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		before     string // SQL run on the file first ("": a new file)
		autoVacuum int
	}{
		{"new file", "", 2},
		{"file with a table", "CREATE TABLE t (x)", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "f.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			if tc.before != "" {
				if _, err := db.Exec(tc.before); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 {
				if err := UseWAL(ctx, db); err != nil {
					t.Fatal(err)
				}
			}
			var mode string
			var av int
			if err := db.QueryRow("SELECT * FROM pragma_journal_mode(), pragma_auto_vacuum()").Scan(&mode, &av); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || av != tc.autoVacuum {
				t.Errorf("journal_mode %s, auto_vacuum %d; want wal, %d", mode, av, tc.autoVacuum)
			}
		})
	}
}

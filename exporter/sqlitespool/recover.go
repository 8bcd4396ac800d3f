package sqlitespool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// keepCorrupt is how many moved-aside files are kept: enough to look at
// what went wrong, never a growing pile in the user's cache.
const keepCorrupt = 2

// primaryCode returns the SQLite primary result code of err, or 0.
func primaryCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// isCorrupt reports whether err says the file is not a usable database:
// the only errors that justify moving the user's file aside. I/O, lock and
// permission errors never do.
func isCorrupt(err error) bool {
	switch primaryCode(err) {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

func isBusy(err error) bool {
	switch primaryCode(err) {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// moveAside renames the database and its -wal and -shm to
// <path>.corrupt-<unix>[-n], so that a new file can be created and the old
// one examined, and deletes all but the newest keepCorrupt such copies.
// It returns the new name of the database file.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".corrupt-" + strconv.FormatInt(now.Unix(), 10)
	dst := base
	for n := 1; ; n++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = base + "-" + strconv.Itoa(n)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	// The WAL and shared-memory files belong to the damaged database; a new
	// database must not replay them.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Rename(path+suffix, dst+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return dst, fmt.Errorf("move %s aside: %w", path+suffix, err)
		}
	}
	pruneCorrupt(path)
	return dst, nil
}

// pruneCorrupt deletes the moved-aside copies of path beyond the newest
// keepCorrupt. Best effort: a failure only leaves a file behind.
func pruneCorrupt(path string) {
	copies, err := filepath.Glob(globEscape(path) + ".corrupt-*")
	if err != nil {
		return
	}
	type aside struct {
		name    string
		unix, n int64
	}
	var dbs []aside
	prefix := path + ".corrupt-"
	for _, c := range copies {
		if isSidecar(c) {
			continue
		}
		unix, n, _ := strings.Cut(c[len(prefix):], "-")
		a := aside{name: c}
		a.unix, _ = strconv.ParseInt(unix, 10, 64)
		a.n, _ = strconv.ParseInt(n, 10, 64)
		dbs = append(dbs, a)
	}
	if len(dbs) <= keepCorrupt {
		return
	}
	sort.Slice(dbs, func(i, j int) bool { // newest first
		if dbs[i].unix != dbs[j].unix {
			return dbs[i].unix > dbs[j].unix
		}
		return dbs[i].n > dbs[j].n
	})
	for _, d := range dbs[keepCorrupt:] {
		os.Remove(d.name)
		os.Remove(d.name + "-wal")
		os.Remove(d.name + "-shm")
	}
}

func isSidecar(name string) bool {
	n := len(name)
	return n > 4 && (name[n-4:] == "-wal" || name[n-4:] == "-shm")
}

// globEscape escapes the metacharacters of filepath.Match in a literal path.
func globEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func count(t *testing.T, dsn string) int {
	t.Helper()
	var n int
	if err := connect(t, dsn).QueryRow(context.Background(), "SELECT count(*) FROM events").Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func TestAServerKeepsItsDataAcrossARestartAndACrash(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	conn := connect(t, s.DSN())
	if _, err := conn.Exec(ctx, "CREATE TABLE events (uid text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO events VALUES ('a'), ('b')"); err != nil {
		t.Fatal(err)
	}
	var settings string
	if err := conn.QueryRow(ctx, "SELECT current_setting('listen_addresses') || ' fsync=' || current_setting('fsync')").
		Scan(&settings); err != nil {
		t.Fatal(err)
	}
	if settings != "127.0.0.1 fsync=off" {
		t.Errorf("settings %q, want 127.0.0.1 only and fsync off", settings)
	}

	port := s.Port()
	s.Restart()
	if s.Port() != port {
		t.Errorf("port %d after restart, want %d", s.Port(), port)
	}
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("a connection from before the restart still works")
	}
	if n := count(t, s.DSN()); n != 2 {
		t.Fatalf("%d rows after restart, want 2", n)
	}

	if _, err := connect(t, s.DSN()).Exec(ctx, "INSERT INTO events VALUES ('c')"); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if s.Running() {
		t.Fatal("running after Kill")
	}
	if _, err := pgx.Connect(ctx, s.DSN()); err == nil {
		t.Fatal("connected to a killed server")
	}
	s.Resume()
	if n := count(t, s.DSN()); n != 3 {
		t.Fatalf("%d rows after crash recovery, want 3", n)
	}
	log, err := os.ReadFile(s.Dir() + "/postgres.log")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "not properly shut down") {
		t.Error("the start after Kill ran no crash recovery")
	}

	s.Stop()
	s.Stop() // a second Stop does nothing
	if s.Running() {
		t.Fatal("running after Stop")
	}
}

func TestEachServerHasItsOwnPortDatabasesAndFsyncSetting(t *testing.T) {
	a := Start(t)
	b := Start(t, WithFsync(), WithSetting("max_connections", "20"))
	if a.Port() == b.Port() || a.Dir() == b.Dir() {
		t.Fatalf("two servers share port or folder: %d %s, %d %s", a.Port(), a.Dir(), b.Port(), b.Dir())
	}
	ctx := context.Background()
	var fsync, maxConn string
	if err := connect(t, b.DSN()).QueryRow(ctx,
		"SELECT current_setting('fsync'), current_setting('max_connections')").Scan(&fsync, &maxConn); err != nil {
		t.Fatal(err)
	}
	if fsync != "on" || maxConn != "20" {
		t.Errorf("fsync=%s max_connections=%s, want on and 20", fsync, maxConn)
	}

	dsn := a.CreateDatabase("store_test")
	if _, err := connect(t, dsn).Exec(ctx, "CREATE TABLE events (uid text)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := connect(t, a.DSN()).QueryRow(ctx,
		"SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("a table of a created database shows in the postgres database")
	}
}

func TestTheFolderIsRemovedWhenTheTestEnds(t *testing.T) {
	var dir string
	t.Run("server", func(t *testing.T) { dir = Start(t).Dir() })
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s still there after the test: %v", dir, err)
	}
}

func TestAServerStartsWhenTheTemporaryFolderIsPrivate(t *testing.T) {
	private := t.TempDir() // 0700: closed to the postgres user when we are root
	t.Setenv("TMPDIR", private)
	s := Start(t)
	if _, err := connect(t, s.DSN()).Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
}

// TestChildStart is run by the tests below in a subprocess of the test
// binary, in the mode that PGTEST_CHILD names.
func TestChildStart(t *testing.T) {
	switch os.Getenv("PGTEST_CHILD") {
	case "start":
		s := Start(t)
		fmt.Printf("dir=%s\n", s.Dir())
		_ = os.Stdout.Sync()
		// Die as a timed-out test binary would: no cleanup runs.
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case "missing":
		Start(t)
		fmt.Println("started")
	default:
		t.Skip("run by the tests below in a subprocess")
	}
}

func child(t *testing.T, mode string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildStart$", "-test.v")
	cmd.Env = append(os.Environ(), append([]string{"PGTEST_CHILD=" + mode}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAServerDiesWithATestBinaryThatIsKilled(t *testing.T) {
	if _, err := BinDir(); err != nil {
		Start(t) // skips, or fails under CI
	}
	out, _ := child(t, "start")
	var dir string
	for _, l := range strings.Split(out, "\n") {
		if d, ok := strings.CutPrefix(l, "dir="); ok {
			dir = d
		}
	}
	if dir == "" {
		t.Fatalf("the child started no server:\n%s", out)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pidFile := dir + "/data/postmaster.pid"
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		// PostgreSQL removes its pid file as it stops, and holds it while
		// it runs: it already died with the child.
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGQUIT)
			t.Fatalf("postgres %d still runs after its test binary was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMissingPostgreSQLSkipsButFailsUnderCI(t *testing.T) {
	for _, tc := range []struct {
		name, ci string
		fails    bool
		says     string
	}{
		{"outside CI the test is skipped", "", false, "--- SKIP"},
		{"under CI=true the test fails", "true", true, "--- FAIL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := child(t, "missing", "CI="+tc.ci, "PGTEST_BINDIR="+t.TempDir())
			if (err != nil) != tc.fails || !strings.Contains(out, tc.says) || strings.Contains(out, "started") {
				t.Fatalf("error %v, output:\n%s", err, out)
			}
			if !strings.Contains(out, "postgresql") {
				t.Errorf("the message does not say what to install:\n%s", out)
			}
		})
	}
}

// scripts/pg.sh does from the shell what Start does; it is tested here
// because it shares the rules (binaries, user, settings).
func TestTheShellScriptStartsAServerThatKeepsItsDataAndStops(t *testing.T) {
	if _, err := BinDir(); err != nil {
		Start(t) // skips, or fails under CI
	}
	dir, err := os.MkdirTemp("", "pgsh-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the postgres user must reach pg/
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	pg := dir + "/pg"
	sh := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("bash", append([]string{"../../scripts/pg.sh"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("pg.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() { _ = exec.Command("bash", "../../scripts/pg.sh", "stop", pg).Run() })

	dsn := sh("start", pg, strconv.Itoa(port))
	if want := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port); dsn != want {
		t.Fatalf("start printed %q, want %q", dsn, want)
	}
	if _, err := connect(t, dsn).Exec(context.Background(),
		"CREATE TABLE events (uid text); INSERT INTO events VALUES ('a')"); err != nil {
		t.Fatal(err)
	}
	sh("stop", pg)
	if _, err := pgx.Connect(context.Background(), dsn); err == nil {
		t.Fatal("connected after stop")
	}
	sh("stop", pg) // stopping a stopped server is fine
	if got := sh("start", pg, strconv.Itoa(port)); got != dsn || sh("dsn", pg) != dsn {
		t.Fatalf("second start printed %q, want %q", got, dsn)
	}
	if n := count(t, dsn); n != 1 {
		t.Fatalf("%d rows after a restart from the shell, want 1", n)
	}
	sh("stop", pg)
}

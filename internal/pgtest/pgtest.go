// Package pgtest runs a throw-away PostgreSQL server for tests: initdb in a
// fresh temporary folder, then the postgres binary as a child of the test
// process, listening on 127.0.0.1 on a free port with its unix socket inside
// that folder, stopped and removed when the test ends.
//
// It uses the server binaries of the machine (Debian's postgresql package:
// /usr/lib/postgresql/<version>/bin), never a cluster the package may have
// created and started, so tests do not depend on one and cannot disturb one.
// PostgreSQL refuses to run as root: when the test runs as root, initdb and
// postgres run as the postgres user, which then owns the folder.
//
// Without the binaries a test is skipped with a message saying how to
// install them, except under CI=true, where a missing PostgreSQL fails the
// test: CI must not pass by running none of the tests that need it.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the database superuser that Start creates; it authenticates
// without a password (trust) on 127.0.0.1 and the socket only.
const User = "postgres"

// startTimeout bounds how long the server may take to accept connections
// (crash recovery after Kill included) and to shut down.
const startTimeout = 60 * time.Second

// Option changes how Start sets up the server.
type Option func(*config)

type config struct {
	fsync    bool
	settings map[string]string
}

// WithFsync turns fsync and full_page_writes on, as in production. By
// default they are off: tests run faster, and a throw-away server needs no
// durability against power loss. synchronous_commit stays on either way, so
// a commit has written its WAL to the operating system before it returns,
// and Kill (a crash of the server, not of the machine) loses nothing
// committed.
func WithFsync() Option { return func(c *config) { c.fsync = true } }

// WithSetting sets one server parameter (max_connections,
// log_min_duration_statement, ...), unquoted, overriding Start's own
// choice. Parameters are passed on the postgres command line, so they
// apply again after Restart.
func WithSetting(name, value string) Option {
	return func(c *config) { c.settings[name] = value }
}

// Server is one throw-away PostgreSQL server. Its methods fail the test
// that started it on error (t.Fatal), so call them from the test's
// goroutine; they are safe to call while other goroutines use the server
// (a test may Restart it under load: clients see their connections end
// and must reconnect).
type Server struct {
	t        testing.TB
	bin      string
	dir      string
	port     int
	cred     *syscall.Credential
	settings map[string]string

	mu   sync.Mutex
	proc *process // nil while stopped
}

// Start initialises a new cluster in a temporary folder, starts it and
// returns it once it accepts connections. It is stopped and its folder
// removed when t ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{settings: map[string]string{}}
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := BinDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: %v (CI runs every PostgreSQL test: install the postgresql package)", err)
		}
		t.Skipf("pgtest: %v; install PostgreSQL (Debian: apt-get install postgresql) to run this test", err)
	}
	s := &Server{t: t, bin: bin}
	if os.Geteuid() == 0 {
		if s.cred, err = lookupCredential(User); err != nil {
			t.Fatalf("pgtest: running as root, PostgreSQL must run as another user: %v", err)
		}
	}
	// Not t.TempDir: its parent folder is private to the test's user, and
	// the postgres user must reach this one.
	if s.dir, err = os.MkdirTemp(tempBase(s.cred != nil), "pgtest-"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.cleanup)
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatalf("pgtest: hand %s to the postgres user: %v", s.dir, err)
		}
	}
	if out, err := s.command("initdb", "-D", s.dataDir(), "-U", User, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := os.Mkdir(s.sockDir(), 0o700); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if s.cred != nil {
		if err := os.Chown(s.sockDir(), int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	s.settings = map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": s.sockDir(),
		"fsync":                   onOff(cfg.fsync),
		"full_page_writes":        onOff(cfg.fsync),
		"logging_collector":       "off",
		"shared_buffers":          "32MB",
		"max_connections":         "200",
	}
	for k, v := range cfg.settings {
		s.settings[k] = v
	}
	// The port is free when chosen but may be taken before postgres binds
	// it: a few tries, each on a new port.
	var last error
	for range 5 {
		if s.port, err = freePort(); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		if last = s.start(); last == nil {
			return s
		}
		if !strings.Contains(last.Error(), "could not bind") && !strings.Contains(last.Error(), "already in use") {
			break
		}
	}
	t.Fatalf("pgtest: start: %v", last)
	return nil
}

// DSN is the connection string of the server's postgres database, as pgx
// and libpq read it: postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable.
func (s *Server) DSN() string { return s.DatabaseDSN(User) }

// DatabaseDSN is the connection string of the named database.
func (s *Server) DatabaseDSN(name string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, s.port, name)
}

// Port is the TCP port on 127.0.0.1; it stays the same across Restart.
func (s *Server) Port() int { return s.port }

// Dir is the server's folder: data/ (the cluster), sock/ (the unix socket)
// and postgres.log.
func (s *Server) Dir() string { return s.dir }

// CreateDatabase creates a new empty database and returns its DSN, so that
// tests sharing one server do not see each other's tables.
func (s *Server) CreateDatabase(name string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		s.t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		s.t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return s.DatabaseDSN(name)
}

// Stop shuts the server down cleanly (a fast shutdown: open sessions are
// ended, a checkpoint written) and waits for it to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.halt(syscall.SIGINT); err != nil {
		s.t.Fatalf("pgtest: stop: %v", err)
	}
}

// Kill ends the server as a crash would (an immediate shutdown: every
// server process exits at once, no checkpoint), so that the next Start or
// Restart runs crash recovery. Killing a stopped server does nothing.
func (s *Server) Kill() {
	s.t.Helper()
	if err := s.halt(syscall.SIGQUIT); err != nil {
		s.t.Fatalf("pgtest: kill: %v", err)
	}
}

// Resume starts a stopped or killed server again, on the same port with
// the same data, and returns once it accepts connections. Resuming a
// running server does nothing.
func (s *Server) Resume() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("pgtest: resume: %v", err)
	}
}

// Restart is Stop then Resume: clients lose their connections, and the
// server is back on the same port with the same data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Resume()
}

// Running reports whether the server process is up (it may still be
// starting or recovering).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) sockDir() string { return filepath.Join(s.dir, "sock") }
func (s *Server) logPath() string { return filepath.Join(s.dir, "postgres.log") }

// command is one of the server binaries, run as the postgres user when the
// test runs as root, in the server's folder (a working directory the
// postgres user may not read makes initdb complain).
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "TZ=UTC"}
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil && !s.proc.exited() {
		return nil
	}
	args := []string{"-D", s.dataDir(), "-p", strconv.Itoa(s.port)}
	keys := make([]string, 0, len(s.settings))
	for k := range s.settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+s.settings[k])
	}
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := s.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := spawn(cmd)
	_ = logf.Close()
	if err != nil {
		return err
	}
	s.proc = p
	if err := s.awaitReady(p); err != nil {
		_ = p.signal(syscall.SIGQUIT)
		p.wait(startTimeout)
		s.proc = nil
		return fmt.Errorf("%w\n%s", err, s.logTail())
	}
	return nil
}

// awaitReady waits for postmaster.pid to say "ready", as pg_ctl -w does,
// then for a connection to be accepted on 127.0.0.1.
func (s *Server) awaitReady(p *process) error {
	deadline := time.Now().Add(startTimeout)
	pidFile := filepath.Join(s.dataDir(), "postmaster.pid")
	for time.Now().Before(deadline) {
		if p.exited() {
			return errors.New("postgres exited while starting")
		}
		if b, err := os.ReadFile(pidFile); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 7 && strings.TrimSpace(lines[0]) == strconv.Itoa(p.cmd.Process.Pid) &&
				strings.TrimSpace(lines[7]) == "ready" {
				c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
				if err == nil {
					_ = c.Close()
					return nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("postgres not ready after %s", startTimeout)
}

// halt sends the postmaster sig (SIGINT: fast shutdown, SIGQUIT:
// immediate) and waits for it to exit.
func (s *Server) halt(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	if p.exited() {
		return nil
	}
	if err := p.signal(sig); err != nil && !p.exited() {
		return err
	}
	if !p.wait(startTimeout) {
		_ = p.signal(syscall.SIGKILL)
		p.wait(startTimeout)
		return fmt.Errorf("postgres did not exit within %s of %v", startTimeout, sig)
	}
	return nil
}

// cleanup ends the server at once (its data is thrown away) and removes
// its folder; the log tail goes to the test log when the test failed.
func (s *Server) cleanup() {
	if s.t.Failed() {
		if tail := s.logTail(); tail != "" {
			s.t.Logf("pgtest: postgres.log:\n%s", tail)
		}
	}
	if err := s.halt(syscall.SIGQUIT); err != nil {
		s.t.Errorf("pgtest: %v", err)
	}
	_ = os.RemoveAll(s.dir)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath())
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// process is a running postgres. Its parent-death signal ends it with the
// test process, even when the test binary dies without running cleanups
// (a timeout's panic, SIGKILL): Linux sends the signal when the thread
// that forked it exits, so the fork happens on a goroutine locked to its
// thread that lives until the process has exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func spawn(cmd *exec.Cmd) (*process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	p := &process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		defer close(p.done)
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

func (p *process) wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// BinDir returns the folder of the PostgreSQL server binaries (initdb and
// postgres): $PGTEST_BINDIR when set, else pg_config --bindir, else the
// newest /usr/lib/postgresql/*/bin, else the folder of initdb on $PATH.
func BinDir() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		if has(d) {
			return d, nil
		}
		return "", fmt.Errorf("PGTEST_BINDIR=%s holds no initdb and postgres", d)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); has(d) {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) found")
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func lookupCredential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// tempBase is where the server's folder goes: the temporary folder, unless
// another user must reach it (root runs PostgreSQL as postgres) and one of
// its folders is closed to others; then /tmp.
func tempBase(otherUser bool) string {
	base := os.TempDir()
	if !otherUser {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/sdk"
	"caro.sh/telemetry/upload"
)

// The scheduled upload, the way the Go toolchain uploads its telemetry: a
// `caro "prompt"` run that records events reads one small file
// (upload.DueFile) to see whether an upload is due (one batch interval
// after the first recorded events, then after the last attempt) and, when
// it is, starts `caro telemetry flush --background` as a detached process. The user's
// command never waits on the network: the upload is another process.
//
// Nor does it wait for that process to start, as far as it can help it:
// the start runs on a goroutine of its own from the moment consent is
// settled, alongside the run's own work, and leaves the parts that cost
// (opening the log, starting caro) to the started process. On unix that
// process is held at a gate until this one has exited (StartDetached):
// it then uploads this run's events too, and its start-up never competes
// with the run that started it.

// backgroundFlushArgs are the arguments of the scheduled upload's process.
var backgroundFlushArgs = []string{"telemetry", "flush", "--background"}

// BackgroundFlushTimeout bounds a whole scheduled upload, every batch
// included (each request also has its own deadline,
// upload.DefaultAttemptTimeout). It counts from the upload's start, after
// the run that started it has exited.
const BackgroundFlushTimeout = 2 * time.Minute

// UploadLogPath is where the scheduled upload's output goes: beside the
// spool, with its state (upload.StatePath) and lock (upload.LockPath)
// files. Each scheduled upload replaces it.
func UploadLogPath(spoolPath string) string { return spoolPath + ".upload.log" }

// scheduledUpload is the start of a background upload, under way while
// the run goes on; its error, if any, arrives once. A nil one started
// nothing.
type scheduledUpload <-chan error

// scheduleUpload reads the upload schedule of a run that records events
// (upload.DueFile: one small file, no database). The first such run on
// this machine starts the schedule (upload.StartSchedule), so that the
// first upload goes out one batch interval after the first events, not
// right after them, and reports that it was this run: the schedule's
// start is the mark of the first recorded session (session.start's
// is_first_run), which costs the later runs nothing more than the read. When an upload is due and the configuration allows it
// (not air-gapped), the background upload starts on a goroutine of its
// own.
func (r *run) scheduleUpload(cfg sdk.Config) (firstRun bool, _ scheduledUpload) {
	spool := cfg.Dirs.SpoolFile()
	now := r.env.Now()
	due, started := upload.DueFile(spool, cfg.BatchInterval, now)
	if !started {
		created, err := upload.StartSchedule(spool, now)
		if err != nil {
			r.warn.warn("telemetry: " + err.Error())
		}
		// A spool without a schedule was written by a caro that kept none
		// (air-gapped, before schedules started with the first events):
		// its first session was long ago.
		return created && !sqlitespool.Exists(spool), nil
	}
	if !due || cfg.AirGapped || r.env.Detach == nil {
		return false, nil
	}
	done := make(chan error, 1)
	go func() { done <- r.env.Detach(backgroundFlushArgs, UploadLogPath(spool)) }()
	return false, done
}

// wait waits for the start of the upload (under way since the run began)
// and warns if it failed. It does not wait for the upload.
func (s scheduledUpload) wait(warn func(string)) {
	if s == nil {
		return
	}
	if err := <-s; err != nil {
		warn(fmt.Sprintf("telemetry: could not start the background upload (the events stay on this machine): %v", err))
	}
}

// StartDetached is Env.Detach of the real process: it starts this
// executable with args as a process of its own and returns without
// waiting for it; its deadlines (BackgroundFlushTimeout and every
// request's) end it.
//
//   - Its stdin is the null device; its stdout and stderr go to logPath
//     (the null device if that cannot be opened), which starts with the
//     line "<time> scheduled upload: <args>, pid <pid>".
//   - Its environment is this one without the OTEL_* variables, which
//     must not reach telemetry code.
//   - On unix it starts in a new session, so neither Ctrl-C nor closing
//     the terminal reaches it and it holds no terminal, in the background
//     scheduling classes (backgroundPriority) from its first thread. It
//     begins as a small shell that opens the log, waits until this process
//     has exited (its end of a pipe that only this process holds reads
//     end-of-file), and then becomes the caro upload (same pid): what this
//     process records before it exits is uploaded too, and the upload's
//     start-up never competes with this process.
func StartDetached(args []string, logPath string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the caro executable: %w", err)
	}
	// A first run starts the upload before its events have made the
	// folder: make it here (as private as the spool makes it).
	_ = os.MkdirAll(filepath.Dir(logPath), 0o700)
	bg := background{
		exe:   exe,
		args:  args,
		env:   withoutOTel(os.Environ()),
		log:   logPath,
		stamp: time.Now().UTC().Format(time.RFC3339),
	}
	if err := bg.start(); err != nil {
		return fmt.Errorf("start %s: %w", exe, err)
	}
	return nil
}

// background is one detached process to start (see StartDetached).
type background struct {
	exe   string
	args  []string
	env   []string
	log   string // path of its stdout and stderr
	stamp string // the time it was scheduled, for its log's first line
}

// openLog opens the log for the process, truncated, or the null device if
// the log cannot be opened. The unix gate's shell opens it itself instead
// (gateScript), away from the run that starts it: truncating a file is
// the dearest part of starting the upload.
func (b background) openLog() (*os.File, error) {
	out, err := os.OpenFile(b.log, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	return out, nil
}

// logHeader is the log's first line, which tests read the pid from.
func (b background) logHeader(pid int) string {
	return fmt.Sprintf("%s scheduled upload: %s, pid %d\n", b.stamp, strings.Join(b.args, " "), pid)
}

// withoutOTel drops the OTEL_* variables from an environment.
func withoutOTel(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "OTEL_") {
			out = append(out, kv)
		}
	}
	return out
}

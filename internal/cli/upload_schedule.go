package cli

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"caro.sh/telemetry/sdk"
	"caro.sh/telemetry/upload"
)

// The scheduled upload, the way the Go toolchain uploads its telemetry:
// at the end of a `caro "prompt"` run that recorded events, one small
// file read (upload.DueFile) says whether an upload is due; when it is,
// caro starts `caro telemetry flush --background` as a detached process
// and exits without waiting for it. The user's command never waits on the
// network, and a black-holed endpoint costs the run nothing but a fork.

// backgroundFlushArgs are the arguments of the scheduled upload's process.
var backgroundFlushArgs = []string{"telemetry", "flush", "--background"}

// BackgroundFlushTimeout bounds a whole scheduled upload, every batch
// included (each request also has its own deadline,
// upload.DefaultAttemptTimeout).
const BackgroundFlushTimeout = 2 * time.Minute

// UploadLogPath is where the scheduled upload's output goes: beside the
// spool, with its state (upload.StatePath) and lock (upload.LockPath)
// files. Each scheduled upload replaces it.
func UploadLogPath(spoolPath string) string { return spoolPath + ".upload.log" }

// scheduleUpload starts the background upload when one is due. It runs
// after the user's command and the telemetry shutdown, only for a run that
// recorded events and is not air-gapped; it reads one small file and
// opens no database.
func (r *run) scheduleUpload(cfg sdk.Config) {
	if r.env.Detach == nil || cfg.AirGapped {
		return
	}
	spool := cfg.Dirs.SpoolFile()
	if !upload.DueFile(spool, cfg.BatchInterval, r.env.Now()) {
		return
	}
	if err := r.env.Detach(backgroundFlushArgs, UploadLogPath(spool)); err != nil {
		r.warn.warn(fmt.Sprintf("telemetry: could not start the background upload (the events stay on this machine): %v", err))
	}
}

// StartDetached is Env.Detach of the real process: it starts this
// executable with args as a process of its own and returns at once. The
// process runs in a new session (unix), so neither Ctrl-C nor closing the
// terminal reaches it and it holds no terminal; its stdin is the null
// device and its stdout and stderr go to logPath (the null device if that
// cannot be opened); its environment is this one without the OTEL_*
// variables, which must not reach telemetry code. It is released, never
// waited for: its deadlines (BackgroundFlushTimeout and every request's)
// end it. It runs at the lowest CPU priority (unix).
func StartDetached(args []string, logPath string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the caro executable: %w", err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		out, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
	}
	defer out.Close()
	cmd := exec.Command(exe, args...)
	// argv[0] as this process got it: a multi-call binary (and a test
	// binary standing in for caro) dispatches on it.
	if len(os.Args) > 0 {
		cmd.Args[0] = os.Args[0]
	}
	cmd.Env = withoutOTel(os.Environ())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, out, out
	cmd.Dir = os.TempDir() // keep no user folder busy
	ownSession(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", exe, err)
	}
	lowerPriority(cmd.Process.Pid)
	fmt.Fprintf(out, "%s scheduled upload: %s, pid %d\n",
		time.Now().UTC().Format(time.RFC3339), strings.Join(args, " "), cmd.Process.Pid)
	return cmd.Process.Release()
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

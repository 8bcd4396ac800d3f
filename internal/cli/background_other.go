//go:build !unix

package cli

import (
	"os"
	"os/exec"
)

// start starts the process and releases it. Without the unix exit gate it
// starts at once, so the events of the run that started it wait for the
// next upload.
func (b background) start() error {
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer stdin.Close()
	out, err := b.openLog()
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(b.exe, b.args...)
	cmd.Env = b.env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, out, out
	cmd.Dir = os.TempDir() // keep no user folder busy
	if err := cmd.Start(); err != nil {
		return err
	}
	_, _ = out.WriteString(b.logHeader(cmd.Process.Pid))
	return cmd.Process.Release()
}

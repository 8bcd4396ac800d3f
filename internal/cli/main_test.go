package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/sdk"
)

// inProcess runs Main with a fake environment: what tests (and the
// privacy end-to-end test) use to drive caro without a binary.
func inProcess(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Env{
		Stdin:            strings.NewReader(stdin),
		Stdout:           &out,
		Stderr:           &errb,
		Getenv:           func(k string) string { return env[k] },
		Now:              func() time.Time { return time.Date(2025, 12, 30, 10, 15, 30, 0, time.UTC) },
		TelemetryOptions: []sdk.Option{sdk.WithMachineID("in-process-test")},
	})
	return code, out.String(), errb.String()
}

func TestMainInProcess(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home, "SHELL": "/bin/sh"}

	code, out, errs := inProcess(t, env, "", "--version")
	if code != 0 || out != "caro "+Version+"\n" || errs != "" {
		t.Fatalf("--version = %d, %q, %q", code, out, errs)
	}

	env["CARO_TELEMETRY_ENABLED"] = "true"
	code, out, errs = inProcess(t, env, "", "--output", "json", "list", "files")
	if code != 0 || !strings.HasPrefix(out, `{"command":`) || errs != "" {
		t.Fatalf("flow = %d, %q, %q", code, out, errs)
	}
	if !sqlitespool.Exists(filepath.Join(home, ".cache", "caro", "telemetry.db")) {
		t.Fatal("nothing recorded")
	}
	code, out, _ = inProcess(t, env, "", "telemetry", "show", "--json")
	if code != 0 || !strings.Contains(out, `"event": "session.end"`) || strings.Contains(out, "list files") {
		t.Fatalf("show --json = %d, %s", code, out)
	}
}

func TestWarnerPrintsOneLine(t *testing.T) {
	var b bytes.Buffer
	w := &warner{w: &b}
	w.warn("first\nproblem  with   spaces")
	w.warn("second problem")
	if got := b.String(); got != "caro: warning: first problem with spaces\n" {
		t.Errorf("warnings = %q", got)
	}
}

func TestLineReaderDoesNotReadAhead(t *testing.T) {
	r := strings.NewReader("y\r\nrest of stdin")
	lr := &lineReader{r: r}
	line, err := lr.readLine()
	if line != "y" || err != nil {
		t.Fatalf("readLine = %q, %v", line, err)
	}
	rest := make([]byte, 100)
	n, _ := r.Read(rest)
	if string(rest[:n]) != "rest of stdin" {
		t.Errorf("left for the command: %q", rest[:n])
	}
}

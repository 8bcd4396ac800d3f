package sdk

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

func TestSessionIDRotatesDaily(t *testing.T) {
	day := time.Date(2025, 12, 30, 10, 0, 0, 0, time.UTC)
	a := SessionID("machine", day)
	if a != SessionID("machine", day.Add(13*time.Hour+59*time.Minute)) {
		t.Error("same UTC day gave two ids")
	}
	if a == SessionID("machine", day.Add(14*time.Hour)) {
		t.Error("next UTC day gave the same id")
	}
	if a == SessionID("other", day) {
		t.Error("two machines gave the same id")
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a) {
		t.Errorf("id %q is not 16 hex", a)
	}
	// sha256("machine2025-12-30")[:8] computed independently with sha256sum.
	if want := "cda86ee77bf9a3b2"; SessionID("machine", day) != want {
		t.Errorf("SessionID = %s, want %s", SessionID("machine", day), want)
	}
	ids := SessionIDsSince("machine", day.AddDate(0, 0, -2), day)
	if len(ids) != 3 || ids[2] != a {
		t.Errorf("SessionIDsSince = %v", ids)
	}
}

func TestInstallIDIsStableAndPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "caro")
	a, err := installID(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := installID(dir)
	if err != nil || a != b || len(a) != 32 {
		t.Fatalf("install ids %q %q (%v)", a, b, err)
	}
	st, err := os.Stat(filepath.Join(dir, installIDFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("install id file mode = %v (%v), want 0600", st.Mode(), err)
	}
}

func TestShellOf(t *testing.T) {
	for in, want := range map[string]schema.Shell{
		"/bin/zsh": schema.ShellZsh, "/usr/local/bin/fish": schema.ShellFish, "": schema.ShellUnknown,
		`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`: schema.ShellPowerShell,
		"/opt/homebrew/bin/pwsh":                                    schema.ShellPowerShell, "/home/alice/bin/myshell": schema.ShellOther,
		"/usr/local/bin/unknown": schema.ShellOther, "/usr/local/bin/other": schema.ShellOther, "/bin/BASH": schema.ShellBash,
	} {
		if got := ShellOf(in); got != want {
			t.Errorf("ShellOf(%q) = %s, want %s", in, got, want)
		}
	}
}

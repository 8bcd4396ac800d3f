package sdk

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// installIDFile is the fallback machine id, kept in the config folder. It
// is the input of a hash, never transmitted itself.
const installIDFile = "install-id"

// machineIDFiles are the OS's own stable machine ids, in order of trust.
var machineIDFiles = []string{"/etc/machine-id", "/var/lib/dbus/machine-id", "/etc/hostid"}

// MachineID returns the secret input of the session id: the OS machine id
// when it can be read cheaply, else a random install id created once in
// the config folder. It never leaves the process.
func MachineID(dirs Dirs) (string, error) {
	for _, p := range machineIDFiles {
		if b, err := os.ReadFile(p); err == nil {
			if id := strings.TrimSpace(string(b)); len(id) >= 8 {
				return id, nil
			}
		}
	}
	return installID(dirs.Config)
}

func installID(dir string) (string, error) {
	path := filepath.Join(dir, installIDFile)
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); len(id) == 32 {
			return id, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read install id: %w", err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("make install id: %w", err)
	}
	id := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("make config folder: %w", err)
	}
	// O_EXCL: if another caro process won the race, use its id.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			return "", fmt.Errorf("read install id: %w", rerr)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil {
		return "", fmt.Errorf("write install id: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(id + "\n"); err != nil {
		return "", fmt.Errorf("write install id: %w", err)
	}
	return id, nil
}

// SessionID is the spec's anonymous id: the first 16 hex digits of
// sha256(machine id + UTC date). It rotates at UTC midnight, so no id links
// two days of one machine.
func SessionID(machineID string, t time.Time) string {
	sum := sha256.Sum256([]byte(machineID + t.UTC().Format("2006-01-02")))
	return hex.EncodeToString(sum[:8])
}

// SessionIDsSince returns the ids of every UTC day from `from` to `to`
// inclusive: what `caro telemetry delete-remote` asks the server to erase.
func SessionIDsSince(machineID string, from, to time.Time) []string {
	var out []string
	d := from.UTC().Truncate(24 * time.Hour)
	for ; !d.After(to.UTC()); d = d.Add(24 * time.Hour) {
		out = append(out, SessionID(machineID, d))
	}
	return out
}

// MachineIDFor returns the machine id that Start would use with opts: the
// one given by WithMachineID, else MachineID(dirs). `caro telemetry
// delete-remote` recomputes the session ids with it, so that a test that
// pins the id for recording pins it for deletion too.
func MachineIDFor(dirs Dirs, opts ...Option) (string, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.machineID != "" {
		return o.machineID, nil
	}
	return MachineID(dirs)
}

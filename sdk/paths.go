package sdk

import (
	"errors"
	"path/filepath"
	"runtime"
)

// Dirs are the folders Caro keeps its files in.
type Dirs struct {
	// Config holds config.toml, consent state and the install id.
	Config string
	// Cache holds telemetry.db and export files.
	Cache string
}

// ConfigFile is the path of config.toml.
func (d Dirs) ConfigFile() string { return filepath.Join(d.Config, "config.toml") }

// SpoolFile is the path of the telemetry spool.
func (d Dirs) SpoolFile() string { return filepath.Join(d.Cache, "telemetry.db") }

// ErrNoHome is returned when neither XDG variables nor a home folder are set.
var ErrNoHome = errors.New("no home folder: set HOME or XDG_CONFIG_HOME and XDG_CACHE_HOME")

// ResolveDirs returns Caro's folders from the environment: $XDG_CONFIG_HOME
// and $XDG_CACHE_HOME when set, else ~/.config and ~/.cache as the spec
// says (on macOS too, so the documented paths hold everywhere), and
// %APPDATA% / %LOCALAPPDATA% on Windows. getenv is passed in so that tests
// and the CLI control it; nothing here reads process globals.
func ResolveDirs(getenv func(string) string) (Dirs, error) {
	home := getenv("HOME")
	if runtime.GOOS == "windows" && home == "" {
		home = getenv("USERPROFILE")
	}
	pick := func(xdg, winVar, unixRel string) (string, error) {
		if v := getenv(xdg); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "caro"), nil
		}
		if runtime.GOOS == "windows" {
			if v := getenv(winVar); v != "" {
				return filepath.Join(v, "caro"), nil
			}
		}
		if home == "" {
			return "", ErrNoHome
		}
		return filepath.Join(home, unixRel, "caro"), nil
	}
	cfg, err := pick("XDG_CONFIG_HOME", "APPDATA", ".config")
	if err != nil {
		return Dirs{}, err
	}
	cache, err := pick("XDG_CACHE_HOME", "LOCALAPPDATA", ".cache")
	if err != nil {
		return Dirs{}, err
	}
	return Dirs{Config: cfg, Cache: cache}, nil
}

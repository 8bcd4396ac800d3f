package backend

import (
	"path"
	"strings"
)

// osFamily is the operating system family the static table distinguishes.
type osFamily int

const (
	osLinux osFamily = iota // and anything unknown: GNU userland
	osMac
	osBSD
	osWindows
)

func normOS(s string) osFamily {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "macos", "darwin", "mac", "osx", "mac os x":
		return osMac
	case "freebsd", "openbsd", "netbsd", "dragonfly", "bsd":
		return osBSD
	case "windows", "win32", "win64", "win":
		return osWindows
	}
	return osLinux
}

// shellFamily is the syntax family of the user's shell.
type shellFamily int

const (
	shellPOSIX      shellFamily = iota // sh, bash, zsh, ksh, dash, xonsh, unknown
	shellFish                          // POSIX commands, its own loops and lists
	shellPowerShell                    // powershell, pwsh
	shellCmd                           // cmd.exe
	shellOther                         // nu, elvish: their own pipelines
)

// normShell returns the base name of a shell, lowercased, without ".exe".
func normShell(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "\\", "/")
	s = path.Base(s)
	s = strings.TrimSuffix(s, ".exe")
	if s == "." || s == "/" {
		return ""
	}
	return s
}

func shellOf(req Request) shellFamily {
	switch normShell(req.Shell) {
	case "fish":
		return shellFish
	case "powershell", "pwsh":
		return shellPowerShell
	case "cmd":
		return shellCmd
	case "nu", "nushell", "elvish":
		return shellOther
	case "", "unknown", "other":
		if normOS(req.OS) == osWindows {
			return shellPowerShell
		}
	}
	return shellPOSIX
}

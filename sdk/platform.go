package sdk

import (
	"path/filepath"
	"runtime"
	"strings"

	"caro.sh/telemetry/schema"
)

// DetectPlatform maps the running platform onto the schema's enums. The
// shell is the base name of $SHELL mapped to a known family; the path
// itself is never used.
func DetectPlatform(getenv func(string) string) Platform {
	return Platform{OS: osOf(runtime.GOOS), Arch: archOf(runtime.GOARCH), Shell: ShellOf(getenv("SHELL"))}
}

func osOf(goos string) schema.OS {
	switch goos {
	case "darwin":
		return schema.OSMacOS
	case "linux", "android":
		return schema.OSLinux
	case "windows":
		return schema.OSWindows
	case "freebsd":
		return schema.OSFreeBSD
	case "openbsd":
		return schema.OSOpenBSD
	case "netbsd":
		return schema.OSNetBSD
	}
	return schema.OSOther
}

func archOf(goarch string) schema.Arch {
	switch goarch {
	case "amd64":
		return schema.ArchX8664
	case "arm64":
		return schema.ArchAArch64
	case "386":
		return schema.ArchX86
	case "arm":
		return schema.ArchARM
	case "riscv64":
		return schema.ArchRISCV64
	case "ppc64le":
		return schema.ArchPPC64LE
	case "s390x":
		return schema.ArchS390X
	}
	return schema.ArchOther
}

// ShellOf maps a $SHELL value to a shell family.
func ShellOf(shellPath string) schema.Shell {
	if shellPath == "" {
		return schema.ShellUnknown
	}
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(shellPath, `\`, "/")))
	base = strings.TrimSuffix(base, ".exe")
	switch base {
	case "pwsh", "powershell":
		return schema.ShellPowerShell
	}
	for _, s := range schema.Shells() {
		if string(s) == base && s != schema.ShellOther && s != schema.ShellUnknown {
			return s
		}
	}
	return schema.ShellOther
}

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

// osOf maps GOOS to the OS of that name, but for the Go names the schema
// spells otherwise.
func osOf(goos string) schema.OS {
	return named(goos, map[string]schema.OS{"darwin": schema.OSMacOS, "android": schema.OSLinux},
		schema.OSes(), schema.OSOther)
}

// archOf maps GOARCH to the Arch of that name, but for the Go names the
// schema spells otherwise (the spec's x86_64, aarch64).
func archOf(goarch string) schema.Arch {
	return named(goarch, map[string]schema.Arch{"amd64": schema.ArchX8664, "arm64": schema.ArchAArch64, "386": schema.ArchX86},
		schema.Arches(), schema.ArchOther)
}

// named returns renamed[name] if there is one, else the value of values
// spelled name, else other (which no name matches).
func named[E ~string](name string, renamed map[string]E, values []E, other E) E {
	if v, ok := renamed[name]; ok {
		return v
	}
	for _, v := range values {
		if string(v) == name && v != other {
			return v
		}
	}
	return other
}

// ShellOf maps a $SHELL value to a shell family.
func ShellOf(shellPath string) schema.Shell {
	if shellPath == "" {
		return schema.ShellUnknown
	}
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(shellPath, `\`, "/")))
	base = strings.TrimSuffix(base, ".exe")
	if base == string(schema.ShellUnknown) { // the value for no $SHELL, not a shell's name
		return schema.ShellOther
	}
	return named(base, map[string]schema.Shell{"pwsh": schema.ShellPowerShell}, schema.Shells(), schema.ShellOther)
}

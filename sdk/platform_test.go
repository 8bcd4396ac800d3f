package sdk

import (
	"strings"
	"testing"

	"caro.sh/telemetry/schema"
)

// TestEveryGoPortMapsOntoTheSchema: a port of each GOOS and each GOARCH
// that Go builds for (`go tool dist list`) is recorded as the schema's
// OS and Arch, those the schema does not name as other.
func TestEveryGoPortMapsOntoTheSchema(t *testing.T) {
	other, otherArch := schema.OSOther, schema.ArchOther
	for port, want := range map[string]Platform{
		"darwin/arm64": {OS: schema.OSMacOS, Arch: schema.ArchAArch64}, "darwin/amd64": {OS: schema.OSMacOS, Arch: schema.ArchX8664},
		"linux/386": {OS: schema.OSLinux, Arch: schema.ArchX86}, "android/arm": {OS: schema.OSLinux, Arch: schema.ArchARM},
		"windows/arm64": {OS: schema.OSWindows, Arch: schema.ArchAArch64}, "freebsd/riscv64": {OS: schema.OSFreeBSD, Arch: schema.ArchRISCV64},
		"openbsd/ppc64": {OS: schema.OSOpenBSD, Arch: otherArch}, "netbsd/arm": {OS: schema.OSNetBSD, Arch: schema.ArchARM},
		"linux/ppc64le": {OS: schema.OSLinux, Arch: schema.ArchPPC64LE}, "linux/s390x": {OS: schema.OSLinux, Arch: schema.ArchS390X},
		"linux/loong64": {OS: schema.OSLinux, Arch: otherArch}, "linux/mips": {OS: schema.OSLinux, Arch: otherArch},
		"linux/mipsle": {OS: schema.OSLinux, Arch: otherArch}, "linux/mips64": {OS: schema.OSLinux, Arch: otherArch},
		"linux/mips64le": {OS: schema.OSLinux, Arch: otherArch}, "aix/ppc64": {OS: other, Arch: otherArch},
		"ios/arm64": {OS: other, Arch: schema.ArchAArch64}, "dragonfly/amd64": {OS: other, Arch: schema.ArchX8664},
		"illumos/amd64": {OS: other, Arch: schema.ArchX8664}, "solaris/amd64": {OS: other, Arch: schema.ArchX8664},
		"plan9/386": {OS: other, Arch: schema.ArchX86}, "js/wasm": {OS: other, Arch: otherArch},
		"wasip1/wasm": {OS: other, Arch: otherArch}, "/": {OS: other, Arch: otherArch},
	} {
		goos, goarch, _ := strings.Cut(port, "/")
		if got := (Platform{OS: osOf(goos), Arch: archOf(goarch)}); got != want {
			t.Errorf("%s is recorded as %s/%s, want %s/%s", port, got.OS, got.Arch, want.OS, want.Arch)
		}
	}
}

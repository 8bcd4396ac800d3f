package consent

import (
	"strconv"
	"strings"
)

// Channel is the release channel of a build, which sets telemetry's
// default: opt-out on the beta, opt-in on GA.
type Channel string

// Channels.
const (
	Beta Channel = "beta"
	GA   Channel = "ga"
)

// GAVersion is the first GA release: every version below it is the beta.
const GAVersion = "1.2.0"

// ChannelOf returns the channel of a build version such as 1.1.0, v1.2.3
// or 1.2.0-rc.1. Pre-releases of 1.2.0 sort below it (semver) and so are
// beta builds; a version that does not parse (a dev build) is the beta
// too, whose first-run prompt makes nothing recorded without notice.
func ChannelOf(version string) Channel {
	major, minor, patch, pre, ok := parse(version)
	if !ok {
		return Beta
	}
	gaMajor, gaMinor, gaPatch, _, _ := parse(GAVersion)
	switch {
	case major != gaMajor:
		return pick(major > gaMajor)
	case minor != gaMinor:
		return pick(minor > gaMinor)
	case patch != gaPatch:
		return pick(patch > gaPatch)
	}
	return pick(!pre)
}

func pick(ga bool) Channel {
	if ga {
		return GA
	}
	return Beta
}

// DefaultEnabled is the channel's telemetry default (sdk.LoadOptions).
func (c Channel) DefaultEnabled() bool { return c == Beta }

// Model names the channel's telemetry model as users read it.
func (c Channel) Model() string {
	if c == GA {
		return "opt-in"
	}
	return "opt-out"
}

// parse reads MAJOR.MINOR.PATCH with an optional leading v, reporting
// whether a pre-release suffix (-rc.1) follows; build metadata (+x) is
// ignored as semver says.
func parse(v string) (major, minor, patch int, pre, ok bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexByte(v, '-'); i >= 0 {
		v, pre = v[:i], true
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return 0, 0, 0, false, false
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return 0, 0, 0, false, false
		}
		n[i] = x
	}
	return n[0], n[1], n[2], pre, true
}

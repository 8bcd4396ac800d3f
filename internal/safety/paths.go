package safety

import (
	"path"
	"strings"
)

// disposable reports whether a path that a recursive delete names holds
// only what its owner regenerates: a temporary or cache folder, or the
// package index that `apt update` downloads again. Emptying
// /var/cache/apt/archives or /var/lib/docker/tmp is everyday cleanup;
// /var/lib/docker is not. A path with an expansion ($VAR, `cmd`) is never
// disposable: it may expand to anything, .. included.
func disposable(p string) bool {
	if strings.ContainsAny(p, "$`") {
		return false
	}
	p = path.Clean(p)
	if p == "/var/lib/apt/lists" || strings.HasPrefix(p, "/var/lib/apt/lists/") {
		return true
	}
	for i, c := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if i == 0 {
			continue // /tmp and /var themselves are not what this is about
		}
		switch strings.ToLower(c) {
		case "tmp", "temp", ".tmp", "cache", "caches", ".cache":
			return true
		}
	}
	return false
}

// logPath reports whether p is /var/log or below it: losing logs is a
// moderate loss (rm-recursive-logs), not the high one of other system
// state.
func logPath(p string) bool {
	p = path.Clean(p)
	return p == "/var/log" || strings.HasPrefix(p, "/var/log/")
}

// reloadSignal reports whether kill options name a signal that asks a
// daemon to reload or reopen its files (HUP, USR1, USR2) and kills nothing.
func reloadSignal(opts string) bool {
	f := strings.Fields(opts)
	for i := 0; i < len(f); i++ {
		o := f[i]
		var sig string
		switch {
		case (o == "-s" || o == "--signal") && i+1 < len(f):
			i++
			sig = f[i]
		case strings.HasPrefix(o, "--signal="):
			sig = strings.TrimPrefix(o, "--signal=")
		case strings.HasPrefix(o, "-") && !strings.HasPrefix(o, "--"):
			sig = o[1:]
		default:
			continue // an option's argument or a long option
		}
		switch strings.TrimPrefix(strings.ToUpper(sig), "SIG") {
		case "HUP", "1", "USR1", "USR2": // by number only HUP: USR1 is 10 on Linux, 30 on macOS
			return true
		}
	}
	return false
}

package redaction

import "strings"

// isSemVer reports whether s is a version of the SemVer 2.0.0 grammar
// (semver.org): MAJOR.MINOR.PATCH, three numeric identifiers without
// leading zeros; then optionally '-' and a pre-release of dot-separated
// identifiers of [0-9A-Za-z-], none empty, the numeric ones without
// leading zeros; then optionally '+' and build metadata of dot-separated
// identifiers of [0-9A-Za-z-], none empty (leading zeros allowed).
func isSemVer(s string) bool {
	s, build, hasBuild := strings.Cut(s, "+")
	if hasBuild && !semverIdents(build, false) {
		return false
	}
	// The core holds no '-', so the first one starts the pre-release.
	s, pre, hasPre := strings.Cut(s, "-")
	if hasPre && !semverIdents(pre, true) {
		return false
	}
	for i := range 3 {
		part := s
		if i < 2 {
			var ok bool
			if part, s, ok = strings.Cut(s, "."); !ok {
				return false
			}
		}
		if part == "" || !allDigits(part) || (len(part) > 1 && part[0] == '0') {
			return false
		}
	}
	return true
}

// semverIdents checks dot-separated identifiers; numeric ones of a
// pre-release may not have leading zeros.
func semverIdents(s string, pre bool) bool {
	for {
		id, rest, more := strings.Cut(s, ".")
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; !isAlnum(c) && c != '-' {
				return false
			}
		}
		if pre && len(id) > 1 && id[0] == '0' && allDigits(id) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

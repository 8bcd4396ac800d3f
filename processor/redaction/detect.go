package redaction

import "strings"

// Detect reports whether s looks like something Caro must never collect: a
// path, a secret, an e-mail address, an IP address, a URL or host name, or a
// shell command. It returns ReasonNone for a clean string.
//
// Detect is deliberately eager: the fields it guards hold only versions, model
// names, ids and enum values, so it may flag ordinary prose (any word followed
// by "-x", any "a=b", any word.com). It never flags a release version such as
// 1.2.0-beta.1, a model name such as Qwen2.5-Coder-1.5B or llama3.2:3b, a
// session id, a UUID, or a value of the schema's enum domains (the tests hold
// it to that). Every IP literal counts, loopback included, and a 4-part dotted
// number is an IP even where a version was meant.
//
// When several patterns match, the reason is the first of secret, command,
// e-mail, URL, IP, path. Detect runs in time linear in len(s), allocates
// only for a rare IPv6-looking run that fails to parse, and is safe for
// concurrent use.
func Detect(s string) Reason {
	var st stats
	st.scan(s)
	return detect(s, &st)
}

// stats are what one pass over a string learns: which character classes
// occur, and the counts and run lengths that decide which detectors can
// match at all. A plain version or model name skips most of them.
type stats struct {
	m      uint32 // classes seen
	maxHex int    // longest run of hex digits
	maxRun int    // longest run of the base64/base64url alphabets
}

func (st *stats) scan(s string) {
	var m uint32
	var hex, maxHex, run, maxRun int
	for i := 0; i < len(s); i++ {
		c := s[i]
		m |= classes[c]
		p := int(props[c])
		// Branch-free: a run grows by one or drops to zero.
		hex = (hex + 1) * (p >> pHexShift & 1)
		run = (run + 1) * (p >> pRunShift & 1)
		maxHex = max(maxHex, hex)
		maxRun = max(maxRun, run)
	}
	*st = stats{m: m, maxHex: maxHex, maxRun: maxRun}
}

// detect runs the detectors that the stats of s make possible.
func detect(s string, st *stats) Reason {
	m := st.m
	if looksSecret(s, st) {
		return ReasonSecret
	}
	if m&cShell != 0 || (m&cSpace != 0 && hasCommandWord(s)) || (m&cEq != 0 && hasAssignment(s)) {
		return ReasonCommand
	}
	if m&cAt != 0 && hasEmail(s) {
		return ReasonEmail
	}
	if m&cSlash != 0 && m&cColon != 0 && strings.Contains(s, "://") {
		return ReasonURL
	}
	if m&cDot != 0 {
		if m&(cLower|cUpper) != 0 {
			if r := dottedWords(s); r != ReasonNone {
				return r
			}
		}
		if m&cDigit != 0 && strings.Count(s, ".") >= 3 && hasIPv4(s) {
			return ReasonIP
		}
	}
	if m&cColon != 0 && strings.Count(s, ":") >= 2 && hasIPv6(s) {
		return ReasonIP
	}
	if m&cDash != 0 && m&cDigit != 0 && len(s) >= 10 && hasDashedIPv4(s) {
		return ReasonIP
	}
	if m&(cSlash|cBackslash|cTilde) != 0 {
		return ReasonPath
	}
	if m&cPercent != 0 && (indexFold(s, "%2f") >= 0 || indexFold(s, "%5c") >= 0) {
		return ReasonPath
	}
	return ReasonNone
}

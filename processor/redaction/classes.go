package redaction

import (
	"iter"
	"strings"
)

// Character classes, one bit each, so that one pass over a string tells which
// detectors can possibly match.
const (
	cLower uint32 = 1 << iota
	cUpper
	cDigit
	cDot
	cDash
	cUnder
	cColon
	cPlus
	cSlash
	cBackslash
	cTilde
	cAt
	cEq
	cSpace
	cShell
	cPercent
	cOther
	cNonHex // a letter that is not a hex digit (g-z, G-Z), on top of cLower or cUpper
)

var classes = func() (t [256]uint32) {
	for i := range t {
		t[i] = cOther
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = cLower
		t[c-'a'+'A'] = cUpper
		if c > 'f' {
			t[c] |= cNonHex
			t[c-'a'+'A'] |= cNonHex
		}
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit
	}
	t['.'] = cDot
	t['-'] = cDash
	t['_'] = cUnder
	t[':'] = cColon
	t['+'] = cPlus
	t['/'] = cSlash
	t['\\'] = cBackslash
	t['~'] = cTilde
	t['@'] = cAt
	t['='] = cEq
	t['%'] = cPercent
	for _, c := range " \t\n\r\v\f" {
		t[c] = cSpace
	}
	for _, c := range "|;&`$<>" {
		t[c] = cShell
	}
	return t
}()

// Byte properties, looked up in one table by the scanners.
const (
	pDigit uint8 = 1 << iota
	pLetter
	pHex
	pRun  // base64 and base64url alphabets: letters, digits, + / = _ -
	pWord // identifier-like words (key names, host labels): letters, digits, _ - .

	pHexShift = 2
	pRunShift = 3
)

var props = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = pDigit | pHex | pRun | pWord
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = pLetter | pRun | pWord
		t[c-'a'+'A'] = pLetter | pRun | pWord
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= pHex
		t[c-'a'+'A'] |= pHex
	}
	for _, c := range "+/=" {
		t[c] = pRun
	}
	t['_'] = pRun | pWord
	t['-'] = pRun | pWord
	t['.'] = pWord
	return t
}()

func isDigit(c byte) bool    { return props[c]&pDigit != 0 }
func isLetter(c byte) bool   { return props[c]&pLetter != 0 }
func isAlnum(c byte) bool    { return props[c]&(pDigit|pLetter) != 0 }
func isHex(c byte) bool      { return props[c]&pHex != 0 }
func isRunByte(c byte) bool  { return props[c]&pRun != 0 }
func isWordByte(c byte) bool { return props[c]&pWord != 0 }
func isSpace(c byte) bool    { return classes[c] == cSpace }

func isLowerLetter(c byte) bool { return c >= 'a' && c <= 'z' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// indexes yields the index of every c in s, in order.
func indexes(s string, c byte) iter.Seq[int] {
	return func(yield func(int) bool) {
		for off := 0; ; {
			d := strings.IndexByte(s[off:], c)
			if d < 0 || !yield(off+d) {
				return
			}
			off += d + 1
		}
	}
}

// runs yields every longest run of bytes of s for which in is true, in
// order.
func runs(s string, in func(byte) bool) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(s); {
			if !in(s[i]) {
				i++
				continue
			}
			j := i + 1
			for j < len(s) && in(s[j]) {
				j++
			}
			if !yield(s[i:j]) {
				return
			}
			i = j
		}
	}
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring the
// case of s, without allocating.
func indexFold(s, needle string) int {
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != needle[0] {
			continue
		}
		j := 1
		for j < n && lower(s[i+j]) == needle[j] {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

// equalFold reports whether s equals the lower-case ASCII word w, ignoring
// the case of s.
func equalFold(s, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != w[i] {
			return false
		}
	}
	return true
}

// lowerKey returns s in lower case as a lookup key, using buf when s fits,
// so that map lookups with it do not allocate.
func lowerKey(buf []byte, s string) ([]byte, bool) {
	if len(s) > len(buf) {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		buf[i] = lower(s[i])
	}
	return buf[:len(s)], true
}

package redaction

import "math"

// Random-looking runs. A run is a maximal stretch of the base64 and base64url
// alphabets; it is key material when it is long, holds a long unbroken
// stretch of letters and digits, uses several character classes, switches
// between upper case, lower case and digits about as often as random text
// does, and has high Shannon entropy. Word-like identifiers switch far less
// often or break into short words (Mixtral-8x7B-Instruct-v0), camel case is
// recognised by its capitalised words (DeepSeekCoderV2Instruct), and runs of
// hex digits only are left to the hex rule (32 or more in a row) so that
// UUIDs and session ids pass. On random tokens of 24 characters the rule
// catches about 99% of base62, 92% of base64url and 82% of lower-case
// alphanumerics; shorter keys pass unless a provider prefix gives them away.
const (
	minHexRun        = 32
	minRandomRun     = 20 // bytes in the run
	minRandomAlnum   = 20 // letters and digits in the run
	minRandomSegment = 12 // letters and digits in a row
	minTransitions   = 0.30
	minEntropy       = 3.6
)

func hasRandomRun(s string) bool {
	for run := range runs(s, isRunByte) {
		if len(run) >= minRandomRun && looksRandom(run) {
			return true
		}
	}
	return false
}

// looksRandom scores one run; see the constants above. The entropy, the
// costly part, is computed last and only for runs that pass the rest.
func looksRandom(run string) bool {
	var n, upper, lowerN, digits, nonHexLetters, pairs, trans, seg, maxSeg, words int
	prev := 0
	for i := 0; i < len(run); i++ {
		c := run[i]
		cls := 0
		switch {
		case c >= 'A' && c <= 'Z':
			cls = 1
			upper++
			if i+3 < len(run) && isLowerLetter(run[i+1]) && isLowerLetter(run[i+2]) && isLowerLetter(run[i+3]) {
				words++ // a capitalised word: Code, Llama, Instruct
			}
		case c >= 'a' && c <= 'z':
			cls = 2
			lowerN++
		case isDigit(c):
			cls = 3
			digits++
		}
		if cls == 0 {
			prev, seg = 0, 0
			continue
		}
		seg++
		maxSeg = max(maxSeg, seg)
		if cls != 3 && !isHex(c) {
			nonHexLetters++
		}
		n++
		if prev != 0 {
			pairs++
			if prev != cls {
				trans++
			}
		}
		prev = cls
	}
	if n < minRandomAlnum || maxSeg < minRandomSegment || nonHexLetters == 0 || pairs == 0 {
		return false
	}
	kinds := 0
	for _, k := range [...]int{upper, lowerN, digits} {
		if k > 0 {
			kinds++
		}
	}
	if kinds < 2 || float64(trans) < minTransitions*float64(pairs) {
		return false
	}
	// Camel case switches case often too, but nearly every capital starts a
	// word of lower-case letters; in random text few do.
	if upper >= 2 && words*10 >= upper*4 {
		return false
	}
	return entropy(run, n) >= minEntropy
}

// entropy is the Shannon entropy, in bits per character, of the n letters
// and digits of run.
func entropy(run string, n int) float64 {
	var counts [128]int32
	for i := 0; i < len(run); i++ {
		if c := run[i]; isAlnum(c) {
			counts[c]++
		}
	}
	var h float64
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}

package exportfile

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects the parser accepts, so
// that a hostile file cannot make the recursive parser exhaust the stack.
// Events are three levels deep; 512 leaves room for any honest document.
const maxDepth = 512

// Canonicalize returns the RFC 8785 (JSON Canonicalization Scheme) form of
// the JSON text v:
//
//   - no whitespace between tokens;
//   - object members sorted by their names compared as arrays of UTF-16 code
//     units (not as UTF-8 bytes: U+1F600 sorts before U+FB33);
//   - numbers parsed as IEEE 754 doubles and printed the way ECMAScript's
//     Number.prototype.toString prints them: shortest round-trip digits,
//     plain notation for 1e-6 <= |x| < 1e21 (4.50 -> 4.5, 2e-3 -> 0.002,
//     1e20 -> 100000000000000000000), exponent notation otherwise (1e30 ->
//     1e+30, 1e-7 -> 1e-7), and -0 as 0;
//   - strings with only the mandatory escapes: \" \\ \b \f \n \r \t, other
//     control characters below U+0020 as \u00xx (lowercase hex), everything
//     else (including '/', U+007F and non-ASCII) as raw UTF-8.
//
// The input must be I-JSON (RFC 7493), as RFC 8785 requires: valid UTF-8,
// no duplicate member names, no lone surrogate escapes, no number outside
// the range of a double. Anything else is reported as an error wrapping
// ErrMalformed. Integers beyond 2^53 lose precision, as in every JCS
// implementation, because numbers are doubles.
func Canonicalize(v []byte) ([]byte, error) {
	val, err := parseDocument(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(v))
	return appendCanonical(out, &val), nil
}

// kind is the type of a parsed JSON value.
type kind uint8

const (
	kindNull kind = iota
	kindFalse
	kindTrue
	kindNumber
	kindString
	kindArray
	kindObject
)

// value is a parsed JSON value. start and end delimit its text in the
// parsed input, so that a caller can keep the original bytes of a member.
type value struct {
	kind       kind
	num        float64
	str        string
	elems      []value
	members    []member
	start, end int
}

type member struct {
	name string
	val  value
}

// field returns the value of the named member of an object.
func (v *value) field(name string) (*value, bool) {
	for i := range v.members {
		if v.members[i].name == name {
			return &v.members[i].val, true
		}
	}
	return nil, false
}

// syntaxError describes where and why the input is not I-JSON.
func syntaxError(off int, format string, args ...any) error {
	return fmt.Errorf("%w: %s at byte %d", ErrMalformed, fmt.Sprintf(format, args...), off)
}

type parser struct {
	data  []byte
	pos   int
	depth int
}

// parseDocument parses exactly one JSON value, with optional surrounding
// whitespace and nothing else.
func parseDocument(data []byte) (value, error) {
	p := parser{data: data}
	p.skipSpace()
	v, err := p.parseValue()
	if err != nil {
		return value{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return value{}, syntaxError(p.pos, "unexpected data after the JSON value")
	}
	return v, nil
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) parseValue() (value, error) {
	if p.pos >= len(p.data) {
		return value{}, syntaxError(p.pos, "unexpected end of JSON input")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.parseObject()
	case c == '[':
		return p.parseArray()
	case c == '"':
		s, err := p.parseString()
		return value{kind: kindString, str: s, start: start, end: p.pos}, err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.parseNumber()
	case c == 't':
		return p.literal("true", kindTrue)
	case c == 'f':
		return p.literal("false", kindFalse)
	case c == 'n':
		return p.literal("null", kindNull)
	default:
		return value{}, syntaxError(p.pos, "invalid character %q where a value was expected", c)
	}
}

func (p *parser) literal(word string, k kind) (value, error) {
	start := p.pos
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return value{}, syntaxError(p.pos, "invalid literal (want %s)", word)
	}
	p.pos += len(word)
	return value{kind: k, start: start, end: p.pos}, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return syntaxError(p.pos, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

// elements parses the elements of an array or an object, starting at its
// opening bracket: it calls elem for each element (after skipping the
// space before it) and checks the commas between them and the closing
// byte at the end, where it sets v.end. in and item name the container
// and its elements in errors.
func (p *parser) elements(v *value, closer byte, in, item string, elem func() error) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '[' or '{'
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == closer {
		p.pos++
		p.depth--
		v.end = p.pos
		return nil
	}
	for {
		p.skipSpace()
		if err := elem(); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return syntaxError(p.pos, "unexpected end of JSON input in an %s", in)
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case closer:
			p.pos++
			p.depth--
			v.end = p.pos
			return nil
		default:
			return syntaxError(p.pos, "invalid character %q after an %s", p.data[p.pos], item)
		}
	}
}

func (p *parser) parseArray() (value, error) {
	v := value{kind: kindArray, start: p.pos}
	err := p.elements(&v, ']', "array", "array element", func() error {
		e, err := p.parseValue()
		if err != nil {
			return err
		}
		v.elems = append(v.elems, e)
		return nil
	})
	if err != nil {
		return value{}, err
	}
	return v, nil
}

func (p *parser) parseObject() (value, error) {
	v := value{kind: kindObject, start: p.pos}
	var seen map[string]struct{}
	err := p.elements(&v, '}', "object", "object member", func() error {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return syntaxError(p.pos, "object member name expected")
		}
		nameAt := p.pos
		name, err := p.parseString()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return syntaxError(p.pos, "':' expected after object member name")
		}
		p.pos++
		p.skipSpace()
		e, err := p.parseValue()
		if err != nil {
			return err
		}
		// A linear scan is fastest for the small objects of real events; a
		// set takes over for large ones so that a hostile object with
		// millions of members costs linear, not quadratic, time.
		if seen != nil {
			if _, dup := seen[name]; dup {
				return syntaxError(nameAt, "duplicate object member %q", name)
			}
			seen[name] = struct{}{}
		} else {
			for i := range v.members {
				if v.members[i].name == name {
					return syntaxError(nameAt, "duplicate object member %q", name)
				}
			}
			if len(v.members) == 16 {
				seen = make(map[string]struct{}, 64)
				for i := range v.members {
					seen[v.members[i].name] = struct{}{}
				}
				seen[name] = struct{}{}
			}
		}
		v.members = append(v.members, member{name: name, val: e})
		return nil
	})
	if err != nil {
		return value{}, err
	}
	return v, nil
}

// parseNumber scans the RFC 8259 number grammar and converts the text to a
// double, rejecting values beyond the double range (I-JSON).
func (p *parser) parseNumber() (value, error) {
	start := p.pos
	d := p.data
	i := p.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return value{}, syntaxError(i, "digit expected in a number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return value{}, syntaxError(i, "digit expected after the decimal point")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return value{}, syntaxError(i, "digit expected in the exponent")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	f, err := strconv.ParseFloat(string(d[start:i]), 64)
	if err != nil || math.IsInf(f, 0) {
		return value{}, syntaxError(start, "number %s is outside the range of a double", d[start:i])
	}
	p.pos = i
	return value{kind: kindNumber, num: f, start: start, end: i}, nil
}

// parseString parses a string literal starting at the opening quote and
// returns its UTF-8 value.
func (p *parser) parseString() (string, error) {
	d := p.data
	i := p.pos + 1
	// Fast path: no escapes, all ASCII printable.
	for j := i; j < len(d); j++ {
		c := d[j]
		if c == '"' {
			p.pos = j + 1
			return string(d[i:j]), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	var b []byte
	for {
		if i >= len(d) {
			return "", syntaxError(i, "unterminated string")
		}
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(b), nil
		case c < 0x20:
			return "", syntaxError(i, "control character %#02x in a string (must be escaped)", c)
		case c == '\\':
			if i+1 >= len(d) {
				return "", syntaxError(i, "unterminated escape")
			}
			switch e := d[i+1]; {
			case unescaped[e] != 0:
				b = append(b, unescaped[e])
				i += 2
			case e == 'u':
				r, ok := hex4(d, i+2)
				if !ok {
					return "", syntaxError(i, "invalid \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 {
						return "", syntaxError(i-6, "lone low surrogate \\u%04x", r)
					}
					var r2 rune
					if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
						r2, ok = hex4(d, i+2)
					} else {
						ok = false
					}
					if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
						return "", syntaxError(i-6, "lone high surrogate \\u%04x", r)
					}
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", syntaxError(i, "invalid escape \\%c", e)
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size <= 1 {
				return "", syntaxError(i, "invalid UTF-8 in a string")
			}
			b = append(b, d[i:i+size]...)
			i += size
		}
	}
}

func hex4(d []byte, at int) (rune, bool) {
	if at+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[at : at+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}

// appendCanonical appends the RFC 8785 form of v to out.
func appendCanonical(out []byte, v *value) []byte {
	switch v.kind {
	case kindNull:
		return append(out, "null"...)
	case kindFalse:
		return append(out, "false"...)
	case kindTrue:
		return append(out, "true"...)
	case kindNumber:
		return appendNumber(out, v.num)
	case kindString:
		return appendString(out, v.str)
	case kindArray:
		out = append(out, '[')
		for i := range v.elems {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendCanonical(out, &v.elems[i])
		}
		return append(out, ']')
	case kindObject:
		order := make([]int, len(v.members))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int {
			return compareUTF16(v.members[a].name, v.members[b].name)
		})
		out = append(out, '{')
		for i, m := range order {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendString(out, v.members[m].name)
			out = append(out, ':')
			out = appendCanonical(out, &v.members[m].val)
		}
		return append(out, '}')
	}
	panic("export: unknown JSON value kind") // unreachable: the parser sets every kind
}

// compareUTF16 orders two valid UTF-8 strings as their UTF-16 encodings
// compare, code unit by code unit, as RFC 8785 section 3.2.3 requires.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUnit(ra), firstUnit(rb)
			if ua != ub {
				return int(ua) - int(ub)
			}
			// Same high surrogate: the low surrogates order like the runes.
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// firstUnit is the first UTF-16 code unit of r.
func firstUnit(r rune) rune {
	if r >= 0x10000 {
		r1, _ := utf16.EncodeRune(r)
		return r1
	}
	return r
}

const hexDigits = "0123456789abcdef"

// escaped and unescaped pair each byte that has a two-character escape
// in JSON (RFC 8259 section 7) with the letter after the backslash; 0
// where there is none. RFC 8785 writes exactly these escapes, and \u00xx
// for the other control characters.
var escaped, unescaped = func() (esc, unesc [256]byte) {
	for _, p := range []struct{ b, letter byte }{
		{'"', '"'}, {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'}, {'\n', 'n'}, {'\r', 'r'}, {'\t', 't'},
	} {
		esc[p.b], unesc[p.letter] = p.letter, p.b
	}
	unesc['/'] = '/' // accepted on input, never written
	return esc, unesc
}()

// appendString appends s as a JSON string with only the escapes RFC 8785
// (and ECMAScript's JSON.stringify) mandate.
func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		if e := escaped[c]; e != 0 {
			out = append(out, '\\', e)
		} else {
			out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// appendNumber appends f as ECMAScript's Number.prototype.toString prints
// it (ECMA-262 Number::toString, radix 10). f must be finite.
func appendNumber(out []byte, f float64) []byte {
	if f == 0 { // both +0 and -0
		return append(out, '0')
	}
	if f < 0 {
		out = append(out, '-')
		f = -f
	}
	// Shortest digits that round-trip, as d.ddddde±xx.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	ePos := bytes.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(string(e[ePos+1:]))
	var digits []byte
	digits = append(digits, e[0])
	if ePos > 1 {
		digits = append(digits, e[2:ePos]...)
	}
	k := len(digits)
	n := exp + 1 // the value is 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		out = append(out, digits...)
		for range n - k {
			out = append(out, '0')
		}
	case 0 < n && n <= 21:
		out = append(out, digits[:n]...)
		out = append(out, '.')
		out = append(out, digits[n:]...)
	case -6 < n && n <= 0:
		out = append(out, '0', '.')
		for range -n {
			out = append(out, '0')
		}
		out = append(out, digits...)
	default:
		out = append(out, digits[0])
		if k > 1 {
			out = append(out, '.')
			out = append(out, digits[1:]...)
		}
		out = append(out, 'e')
		if n-1 >= 0 {
			out = append(out, '+')
		}
		out = strconv.AppendInt(out, int64(n-1), 10)
	}
	return out
}

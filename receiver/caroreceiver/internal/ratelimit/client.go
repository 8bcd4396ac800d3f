package ratelimit

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// Header is the header a trusted proxy writes the client's address into.
type Header int

const (
	// XForwardedFor is the de facto X-Forwarded-For: client, proxy1, proxy2.
	XForwardedFor Header = iota
	// Forwarded is RFC 7239's: for=client, for=proxy1;proto=https.
	Forwarded
)

// Keyer names the bucket of a request: the address of the client that
// sent it. Behind a load balancer every request arrives from the balancer,
// so the client is read from the header the balancer writes, but only when
// the connection comes from a trusted proxy; anyone else could write any
// address there and pick, or endlessly renew, their bucket.
//
// The header is walked from the right, the end each proxy appends to,
// over the addresses that are themselves trusted proxies, to the first
// one that is not: everything to its left was written by that client or
// by proxies nobody vouches for. When every address is a trusted proxy,
// the leftmost, the origin, is the client. An entry that is not an
// address (malformed, empty, "unknown", an RFC 7239 obfuscated
// identifier) ends the walk, and the request is keyed on its peer: the
// client cannot be told, and a header never fails a request.
//
// Only one header is read, the one configured. Which one "wins" when both
// are present cannot be decided from the request: a balancer that appends
// to X-Forwarded-For passes a client's Forwarded through untouched, and
// the other way round, so whichever header the balancer does not write is
// the client's to fill in. X-Forwarded-For is the default because nearly
// every balancer writes it; Forwarded, the standard, is there for those
// set up to write it.
//
// The key is an address in its canonical form (IPv4-mapped IPv6 as IPv4,
// zones dropped). It is meant for the in-memory buckets only: it is a
// client's IP address, which the receiver neither logs, stores nor puts
// into its telemetry.
//
// A Keyer is immutable and safe for concurrent use. The zero value trusts
// no proxy and keys every request on its peer.
type Keyer struct {
	trusted []netip.Prefix
	header  string    // the header's canonical name
	last    entryFunc // how to read its entries
}

// NewKeyer returns a Keyer trusting the proxies in trusted (see
// ParseProxy) and reading the client's address from header.
func NewKeyer(trusted []netip.Prefix, header Header) *Keyer {
	k := &Keyer{trusted: slices.Clone(trusted), header: "X-Forwarded-For", last: lastXForwardedFor}
	if header == Forwarded {
		k.header, k.last = "Forwarded", lastForwardedFor
	}
	return k
}

// ParseProxy reads a trusted proxy: a CIDR (10.0.0.0/8, fd00::/8) or a
// single address (127.0.0.1, ::1). The error says what is wrong, without
// repeating s. A prefix of IPv4-mapped IPv6 addresses becomes the IPv4
// prefix, because peers are compared in their IPv4 form.
func ParseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, errors.New("is not a CIDR (such as 10.0.0.0/8 or fd00::/8)")
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p, errors.New("is not an IP address or a CIDR")
		}
		if a.Zone() != "" {
			return p, errors.New("has an IPv6 zone, which a trusted proxy cannot have")
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return p, errors.New("mixes IPv4-mapped and other IPv6 addresses")
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Key returns the bucket key of a request that came from remoteAddr (the
// http.Request's RemoteAddr, host:port) with headers h.
func (k *Keyer) Key(remoteAddr string, h http.Header) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil { // not an IP peer (a unix socket): nothing to trust
		return host
	}
	peer = canonical(peer)
	if !k.isTrusted(peer) {
		return peer.String()
	}
	client := k.walk(h.Values(k.header))
	if !client.IsValid() {
		return peer.String()
	}
	return client.String()
}

func (k *Keyer) isTrusted(a netip.Addr) bool {
	for _, p := range k.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// entryFunc splits the last entry off a header line: it returns the text
// left of it, the address the entry holds (invalid when it holds none)
// and whether the text left of it holds another entry.
type entryFunc func(line string) (rest string, addr netip.Addr, more bool)

// walk goes over the header's lines and their entries from the right and
// returns the client, or an invalid Addr when the peer is to be used.
func (k *Keyer) walk(lines []string) netip.Addr {
	var origin netip.Addr // the leftmost trusted address walked over
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		if strings.TrimSpace(line) == "" { // an empty field holds no entry
			continue
		}
		for {
			rest, a, more := k.last(line)
			if !a.IsValid() {
				return netip.Addr{}
			}
			if !k.isTrusted(a) {
				return a
			}
			origin = a
			if !more {
				break
			}
			line = rest
		}
	}
	return origin
}

// lastXForwardedFor splits off the last entry of an X-Forwarded-For line:
// a comma-separated list of addresses, which some proxies write with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func lastXForwardedFor(line string) (string, netip.Addr, bool) {
	i := strings.LastIndexByte(line, ',')
	if i < 0 {
		return "", parseNode(strings.TrimSpace(line)), false
	}
	return line[:i], parseNode(strings.TrimSpace(line[i+1:])), true
}

// lastForwardedFor splits off the last element of a Forwarded line and
// returns its for= node. The line is read from the right, keeping track of
// quoted strings, so that what a client wrote before the proxy's element
// (an unterminated quote, say) cannot change how that element reads.
func lastForwardedFor(line string) (string, netip.Addr, bool) {
	quoted := false
	for i := len(line) - 1; i >= 0; i-- {
		switch line[i] {
		case '"':
			if !escaped(line, i) {
				quoted = !quoted
			}
		case ',':
			if !quoted {
				return line[:i], forwardedFor(line[i+1:]), true
			}
		}
	}
	return "", forwardedFor(line), false
}

// escaped reports whether the byte at i is preceded by an odd number of
// backslashes.
func escaped(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// forwardedFor returns the address of an element's for= parameter
// (for=192.0.2.60, for="[2001:db8::17]:4711"; the name in any case), or
// an invalid Addr when it has none, has two, or holds no address.
func forwardedFor(elem string) netip.Addr {
	var node string
	found := false
	for _, pair := range splitPairs(elem) {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "for") {
			continue
		}
		if found {
			return netip.Addr{}
		}
		found = true
		node = strings.TrimSpace(value)
	}
	if len(node) >= 2 && node[0] == '"' && node[len(node)-1] == '"' {
		node = unquote(node[1 : len(node)-1])
	}
	return parseNode(node)
}

// splitPairs splits an element at the semicolons outside quoted strings.
func splitPairs(elem string) []string {
	var pairs []string
	quoted, start := false, 0
	for i := 0; i < len(elem); i++ {
		switch elem[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				pairs = append(pairs, elem[start:i])
				start = i + 1
			}
		}
	}
	return append(pairs, elem[start:])
}

// unquote undoes a quoted-string's backslash escapes.
func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseNode reads an address with an optional port: 192.0.2.1,
// 192.0.2.1:4711, 2001:db8::1, [2001:db8::1], [2001:db8::1]:4711 (the port
// may be an RFC 7239 obfuscated one, "_8080"). Anything else, "unknown"
// and obfuscated identifiers ("_hidden") included, is no address.
func parseNode(s string) netip.Addr {
	host, port, bracketed := s, "", false
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}
		}
		host, port, bracketed = s[1:end], s[end+1:], true
		if port != "" {
			if port[0] != ':' {
				return netip.Addr{}
			}
			port = port[1:]
			if port == "" {
				return netip.Addr{}
			}
		}
	} else if strings.Count(s, ":") == 1 { // IPv4 and a port
		host, port, _ = strings.Cut(s, ":")
		if port == "" {
			return netip.Addr{}
		}
	}
	if port != "" && !isPort(port) {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil || bracketed && !a.Is6() || port != "" && !bracketed && !a.Is4() {
		return netip.Addr{}
	}
	return canonical(a)
}

// isPort accepts a port number or an obfuscated port (RFC 7239's
// "_" 1*(ALPHA / DIGIT / "." / "_" / "-")).
func isPort(s string) bool {
	if s[0] == '_' {
		for _, c := range []byte(s[1:]) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
		return len(s) > 1
	}
	if len(s) > 5 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// canonical drops the zone and writes an IPv4-mapped address as IPv4, so
// that one client has one key however it is spelled.
func canonical(a netip.Addr) netip.Addr {
	return a.WithZone("").Unmap()
}

package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// keyer trusts the proxies given as strings, failing the test on a bad one.
func keyer(t testing.TB, header Header, proxies ...string) *Keyer {
	t.Helper()
	var trusted []netip.Prefix
	for _, s := range proxies {
		p, err := ParseProxy(s)
		if err != nil {
			t.Fatalf("ParseProxy(%q): %v", s, err)
		}
		trusted = append(trusted, p)
	}
	return NewKeyer(trusted, header)
}

func TestTheKeyIsTheFirstUntrustedAddressFromTheRight(t *testing.T) {
	const (
		lb     = "10.0.0.1:50000" // the load balancer, a trusted peer
		direct = "203.0.113.5:50000"
	)
	xff := func(lines ...string) http.Header { return http.Header{"X-Forwarded-For": lines} }
	fwd := func(lines ...string) http.Header { return http.Header{"Forwarded": lines} }
	for _, tc := range []struct {
		name   string
		header Header
		peer   string
		h      http.Header
		want   string
	}{
		// Who is believed.
		{"an untrusted peer is keyed on its own address whatever X-Forwarded-For says", XForwardedFor, direct, xff("198.51.100.1"), "203.0.113.5"},
		{"an untrusted peer is keyed on its own address whatever Forwarded says", Forwarded, direct, fwd("for=198.51.100.1"), "203.0.113.5"},
		{"a trusted peer without the header is keyed on itself", XForwardedFor, lb, nil, "10.0.0.1"},
		{"a trusted peer's X-Forwarded-For names the client", XForwardedFor, lb, xff("198.51.100.1"), "198.51.100.1"},
		{"entries a client prepended are never reached", XForwardedFor, lb, xff("198.51.100.99, 192.0.2.7, 198.51.100.1"), "198.51.100.1"},
		{"garbage a client prepended is never reached", XForwardedFor, lb, xff("<script>, \"x, 198.51.100.1"), "198.51.100.1"},
		{"trusted proxies in the chain are walked over", XForwardedFor, lb, xff("198.51.100.99, 198.51.100.1, 10.0.0.7, 10.2.3.4"), "198.51.100.1"},
		{"when every hop is trusted the leftmost is the client", XForwardedFor, lb, xff("10.9.9.9, 10.0.0.7"), "10.9.9.9"},
		{"several header lines are one list", XForwardedFor, lb, xff("198.51.100.99", "198.51.100.1, 10.0.0.7"), "198.51.100.1"},
		{"an empty line after the client's is skipped", XForwardedFor, lb, xff("198.51.100.1", ""), "198.51.100.1"},
		{"the header's name is case-insensitive on the wire", XForwardedFor, lb, http.Header{http.CanonicalHeaderKey("x-forwarded-for"): {"198.51.100.1"}}, "198.51.100.1"},
		{"the peer may be an IPv4-mapped IPv6 address", XForwardedFor, "[::ffff:10.0.0.1]:50000", xff("198.51.100.1"), "198.51.100.1"},

		// Spellings of an address.
		{"an IPv4 entry with a port", XForwardedFor, lb, xff("198.51.100.1:4711"), "198.51.100.1"},
		{"a bare IPv6 entry", XForwardedFor, lb, xff("2001:db8::1"), "2001:db8::1"},
		{"a bracketed IPv6 entry with a port", XForwardedFor, lb, xff("[2001:DB8::1]:4711"), "2001:db8::1"},
		{"an IPv4-mapped entry is keyed as IPv4", XForwardedFor, lb, xff("::ffff:198.51.100.1"), "198.51.100.1"},
		{"a zone is dropped", XForwardedFor, lb, xff("fe80::1%eth0"), "fe80::1"},

		// What falls back to the peer.
		{"a malformed last entry falls back to the peer", XForwardedFor, lb, xff("198.51.100.1, not-an-ip"), "10.0.0.1"},
		{"an empty header falls back to the peer", XForwardedFor, lb, xff(""), "10.0.0.1"},
		{"an empty last entry falls back to the peer", XForwardedFor, lb, xff("198.51.100.1,"), "10.0.0.1"},
		{"unknown falls back to the peer", XForwardedFor, lb, xff("198.51.100.1, unknown"), "10.0.0.1"},
		{"a malformed entry left of a trusted hop falls back to the peer", XForwardedFor, lb, xff("198.51.100.1, bogus, 10.0.0.7"), "10.0.0.1"},
		{"an IPv4 address in brackets is malformed", XForwardedFor, lb, xff("[198.51.100.1]"), "10.0.0.1"},
		{"a port of letters is malformed", XForwardedFor, lb, xff("198.51.100.1:http"), "10.0.0.1"},

		// The other header is ignored.
		{"Forwarded is ignored when reading X-Forwarded-For", XForwardedFor, lb, http.Header{
			"Forwarded": {"for=192.0.2.66"}, "X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"Forwarded alone is ignored when reading X-Forwarded-For", XForwardedFor, lb, fwd("for=192.0.2.66"), "10.0.0.1"},
		{"X-Forwarded-For is ignored when reading Forwarded", Forwarded, lb, http.Header{
			"Forwarded": {"for=198.51.100.1"}, "X-Forwarded-For": {"192.0.2.66"}}, "198.51.100.1"},

		// RFC 7239.
		{"a Forwarded for= with other parameters", Forwarded, lb, fwd("for=198.51.100.1;proto=https;by=10.0.0.1"), "198.51.100.1"},
		{"the parameter name is case-insensitive", Forwarded, lb, fwd("proto=https;For=198.51.100.1"), "198.51.100.1"},
		{"a quoted IPv6 node with a port", Forwarded, lb, fwd(`for="[2001:db8:cafe::17]:4711"`), "2001:db8:cafe::17"},
		{"a quoted IPv4 node with an obfuscated port", Forwarded, lb, fwd(`for="198.51.100.1:_8080"`), "198.51.100.1"},
		{"elements are walked from the right over trusted hops", Forwarded, lb, fwd(`for=198.51.100.99, for=198.51.100.1, for="10.0.0.7:80";proto=http`), "198.51.100.1"},
		{"a quoted comma does not split an element", Forwarded, lb, fwd(`for="_a,b";by=x, for=198.51.100.1`), "198.51.100.1"},
		{"a client's unterminated quote cannot hide the proxy's element", Forwarded, lb, fwd(`for="198.51.100.99, for=198.51.100.1`), "198.51.100.1"},
		{"a client's stray escape cannot hide the proxy's element", Forwarded, lb, fwd(`for="x\", for="[2001:db8::2]"`), "2001:db8::2"},
		{"an obfuscated identifier falls back to the peer", Forwarded, lb, fwd(`for=198.51.100.1, for=_hidden`), "10.0.0.1"},
		{"a quoted obfuscated identifier falls back to the peer", Forwarded, lb, fwd(`for="_hidden"`), "10.0.0.1"},
		{"for=unknown falls back to the peer", Forwarded, lb, fwd(`for=unknown`), "10.0.0.1"},
		{"an element without for= falls back to the peer", Forwarded, lb, fwd(`for=198.51.100.1, proto=https`), "10.0.0.1"},
		{"an element with two for= falls back to the peer", Forwarded, lb, fwd(`for=198.51.100.1;for=198.51.100.2`), "10.0.0.1"},
		{"an unterminated quote of the proxy's own falls back to the peer", Forwarded, lb, fwd(`for="198.51.100.1`), "10.0.0.1"},
		{"an unquoted bracketed IPv6 node is still read", Forwarded, lb, fwd(`for=[2001:db8::3]`), "2001:db8::3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := keyer(t, tc.header, "10.0.0.0/8", "::1")
			if got := k.Key(tc.peer, tc.h); got != tc.want {
				t.Errorf("Key(%q, %v) = %q, want %q", tc.peer, tc.h, got, tc.want)
			}
		})
	}
}

func TestWithoutTrustedProxiesEveryRequestIsKeyedOnItsPeer(t *testing.T) {
	h := http.Header{"X-Forwarded-For": {"198.51.100.1"}, "Forwarded": {"for=198.51.100.1"}}
	for _, k := range []*Keyer{{}, NewKeyer(nil, XForwardedFor), NewKeyer(nil, Forwarded)} {
		for peer, want := range map[string]string{
			"127.0.0.1:5000": "127.0.0.1", "[::1]:5000": "::1", "[fe80::1%lo]:5000": "fe80::1",
			"@": "@", "": "", // a unix socket's peer
		} {
			if got := k.Key(peer, h); got != want {
				t.Errorf("Key(%q) = %q, want %q", peer, got, want)
			}
		}
	}
}

func TestTrustedProxiesAreCIDRsOrAddresses(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "": refused
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{" 127.0.0.1 ", "127.0.0.1/32"},
		{"::1", "::1/128"},
		{"fd00::/8", "fd00::/8"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:10.0.0.1", "10.0.0.1/32"},
		{"10.0.0.0/33", ""},
		{"10.0.0", ""},
		{"localhost", ""},
		{"", ""},
		{"fe80::1%eth0", ""},
		{"::ffff:0:0/90", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParseProxy(tc.in)
			switch {
			case tc.want == "" && err == nil:
				t.Errorf("accepted as %v", p)
			case tc.want != "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && p.String() != tc.want:
				t.Errorf("read as %v, want %s", p, tc.want)
			}
		})
	}
}

// FuzzKey checks, for any header a client can send, that the key is an
// address, that an untrusted peer is keyed on itself, and that whatever a
// client wrote in front, the entry a trusted proxy appends names the
// client.
func FuzzKey(f *testing.F) {
	for _, s := range []string{
		"", "198.51.100.1", "a, b, 10.0.0.7", "unknown", "[2001:db8::1]:4711", ",,,", " , ",
		`for=192.0.2.60;proto=http;by=203.0.113.43`, `for="[2001:db8:cafe::17]:4711"`, `for="_gazonk"`,
		`for="unterminated`, `for="esc\"aped", for=1.2.3.4`, `\\\"`, `for=a;for=b`, "for=\"\\", `"`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	const real = "198.51.100.250"
	f.Fuzz(func(t *testing.T, header string, forwarded bool) {
		name, hdr, appended := "X-Forwarded-For", XForwardedFor, real
		if forwarded {
			name, hdr, appended = "Forwarded", Forwarded, "for="+real
		}
		k := keyer(t, hdr, "127.0.0.0/8", "10.0.0.0/8")

		got := k.Key("127.0.0.1:5000", http.Header{name: {header}})
		if a, err := netip.ParseAddr(got); err != nil || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("Key from a trusted peer with %q = %q, not a canonical address", header, got)
		}
		if got := k.Key("203.0.113.5:5000", http.Header{name: {header}}); got != "203.0.113.5" {
			t.Fatalf("an untrusted peer with %q was keyed %q", header, got)
		}
		// The proxy appends to the client's line, as nginx's
		// $proxy_add_x_forwarded_for does, or adds its own line.
		sep := ", "
		if strings.TrimSpace(header) == "" {
			sep = ""
		}
		for _, lines := range [][]string{{header + sep + appended}, {header, appended}} {
			if got := k.Key("127.0.0.1:5000", http.Header{name: lines}); got != real {
				t.Fatalf("the client wrote %q, the proxy appended %q: keyed %q, want %q", header, appended, got, real)
			}
		}
	})
}

// BenchmarkKey measures what keying costs a request: a peer that is not
// trusted, and a trusted one with a header to walk.
func BenchmarkKey(b *testing.B) {
	for _, bc := range []struct {
		name   string
		header Header
		peer   string
		h      http.Header
	}{
		{"untrusted peer", XForwardedFor, "203.0.113.5:50000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}},
		{"X-Forwarded-For over two hops", XForwardedFor, "10.0.0.1:50000", http.Header{"X-Forwarded-For": {"192.0.2.9, 198.51.100.1, 10.0.0.7"}}},
		{"Forwarded over two hops", Forwarded, "10.0.0.1:50000", http.Header{"Forwarded": {`for=192.0.2.9, for="[2001:db8::1]:4711";proto=https, for=10.0.0.7`}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			k := keyer(b, bc.header, "10.0.0.0/8", "::1")
			b.ReportAllocs()
			for b.Loop() {
				k.Key(bc.peer, bc.h)
			}
		})
	}
}

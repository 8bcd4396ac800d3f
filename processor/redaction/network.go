package redaction

import (
	"net/netip"
	"strings"
)

// --- e-mail ---

// hasEmail finds '@' next to a letter or digit: an address, user@host or a
// handle. No legitimate field value contains '@'.
func hasEmail(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		if (i > 0 && (isAlnum(s[i-1]) || s[i-1] == '.' || s[i-1] == '_' || s[i-1] == '-' || s[i-1] == '+')) ||
			(i+1 < len(s) && isAlnum(s[i+1])) {
			return true
		}
	}
	return false
}

// --- host names, URLs, file names ---

// tlds are the top-level domains (and private-network suffixes) that make a
// dotted word a host name. Words that versions and model names put after a
// dot (beta, rc, it, pro, mini, chat, vision, build, ...) are left out.
var tlds = setOf(`
	com net org edu gov mil int info biz name mobi
	io ai app co me sh cc tv fm gg ly so to ws xyz online site tech cloud store shop blog news
	page wiki link live life world space website email systems network digital solutions agency
	dev codes software tools
	us uk de fr es pt nl be ch at se no dk fi pl cz sk hu ro bg gr ie is ru ua by kz tr il ae sa
	ir in pk cn jp kr tw hk sg my th vn id ph au nz ca mx br ar cl pe za ng ke eg ma eu asia
	local localhost localdomain internal intranet lan corp home private test example invalid
	onion arpa
`)

// fileExts are file name extensions that make a dotted word a file name.
var fileExts = setOf(`
	go py rs js ts jsx tsx rb java kt swift php pl cs scala lua ipynb
	bash zsh fish ps1 bat
	json yaml yml toml xml ini cfg conf config env properties plist
	txt log csv tsv sql db sqlite sqlite3 bak old tmp swp lock
	pem key crt cer der p12 pfx pub jks kdbx ppk gpg asc keystore
	pdf doc docx xls xlsx ppt pptx odt rtf zip tar tgz gz bz2 xz 7z rar
	jpg jpeg png gif heic mp3 mp4 mov wav html htm css
	history bashrc zshrc profile netrc npmrc pypirc pgpass
`)

func setOf(words string) map[string]struct{} {
	f := strings.Fields(words)
	m := make(map[string]struct{}, len(f))
	for _, w := range f {
		m[w] = struct{}{}
	}
	return m
}

// dottedWords looks at the letters-only word after each dot: a "www." name,
// a host name ending in a known TLD, a file name with a known extension, or
// a dot file (.env, .ssh).
func dottedWords(s string) Reason {
	for i := range indexes(s, '.') {
		if i >= 3 && equalFold(s[i-3:i], "www") {
			return ReasonURL
		}
		if i+1 < len(s) && isLetter(s[i+1]) && (i == 0 || isSpace(s[i-1]) || s[i-1] == '"' || s[i-1] == '\'') {
			return ReasonPath // .env, .ssh, .bashrc
		}
		if i == 0 || !(isAlnum(s[i-1]) || s[i-1] == '-' || s[i-1] == '_') {
			continue
		}
		j := i + 1
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		if j-i-1 < 2 || (j < len(s) && isAlnum(s[j])) {
			continue
		}
		var buf [24]byte
		key, ok := lowerKey(buf[:], s[i+1:j])
		if !ok {
			continue
		}
		if _, ok := tlds[string(key)]; ok {
			return ReasonURL
		}
		if _, ok := fileExts[string(key)]; ok {
			return ReasonPath
		}
	}
	return ReasonNone
}

// --- IP addresses ---

// hasIPv4 finds four dot-separated numbers of at most three digits and at
// most 255 each. A dotted quad is an IP even where a version was meant.
func hasIPv4(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) && (i == 0 || !isDigit(s[i-1])) && ipv4At(s, i, '.') {
			return true
		}
	}
	return false
}

// hasDashedIPv4 finds the EC2-style host name of an address, ip-10-0-0-1,
// which is what `hostname` prints on such machines.
func hasDashedIPv4(s string) bool {
	for i := range indexes(s, '-') { // s[i-2:i+1] may be "ip-"
		if i >= 2 && lower(s[i-2]) == 'i' && lower(s[i-1]) == 'p' && (i == 2 || !isAlnum(s[i-3])) &&
			ipv4At(s, i+1, '-') {
			return true
		}
	}
	return false
}

func ipv4At(s string, i int, sep byte) bool {
	for g := 0; g < 4; g++ {
		if g > 0 {
			if i >= len(s) || s[i] != sep {
				return false
			}
			i++
		}
		n, v := 0, 0
		for i < len(s) && isDigit(s[i]) && n < 4 {
			v = v*10 + int(s[i]-'0')
			n++
			i++
		}
		if n == 0 || n > 3 || v > 255 {
			return false
		}
	}
	return true
}

func isIPv6Byte(c byte) bool { return isHex(c) || c == ':' || c == '.' }

// hasIPv6 finds an IPv6 address (or a MAC address) in a run of hex digits,
// colons and dots with at least two colons. Model tags have one colon.
func hasIPv6(s string) bool {
	for run := range runs(s, isIPv6Byte) {
		if strings.Count(run, ":") >= 2 && isIPv6Run(run) {
			return true
		}
	}
	return false
}

func isIPv6Run(run string) bool {
	try := func(r string) bool {
		if r == "" || strings.Count(r, ":") < 2 {
			return false
		}
		a, err := netip.ParseAddr(r)
		return err == nil && a.Is6()
	}
	if try(run) || isMAC(run) {
		return true
	}
	// A letter or colon glued to the address: "model:fe80::1", "fe80::1:".
	t := run
	if len(t) > 1 && t[0] == ':' && t[1] != ':' {
		t = t[1:]
	}
	if n := len(t); n > 1 && t[n-1] == ':' && t[n-2] != ':' {
		t = t[:n-1]
	}
	if t != run && try(t) {
		return true
	}
	if i := strings.IndexByte(run, ':'); i > 0 && try(run[i+1:]) {
		return true
	}
	return false
}

// isMAC reports six groups of two hex digits separated by colons.
func isMAC(s string) bool {
	for k := 0; k+17 <= len(s); k++ {
		ok := true
		for g := 0; g < 6 && ok; g++ {
			p := k + g*3
			ok = isHex(s[p]) && isHex(s[p+1]) && (g == 5 || s[p+2] == ':')
		}
		if ok {
			return true
		}
	}
	return false
}

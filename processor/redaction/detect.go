package redaction

import (
	"math"
	"net/netip"
	"strings"
)

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

// --- secrets ---

// tailKind is the alphabet that must follow a secret's prefix.
type tailKind uint8

const (
	tailToken   tailKind = iota // [A-Za-z0-9_-]
	tailDotted                  // [A-Za-z0-9_-.]
	tailHex                     // [0-9A-Fa-f]
	tailUpperNo                 // [A-Z0-9] (AWS key ids)
	tailAny                     // nothing required: the prefix alone is telling
)

type prefixRule struct {
	prefix string
	tail   tailKind
	min    int // bytes of the tail alphabet that must follow the prefix
}

// secretPrefixes are the published prefixes of provider keys and tokens. A
// prefix counts at the start of s or after a byte that is not a letter or
// digit, and only when enough key material follows it, so that a model name
// that happens to start like one is not flagged.
var secretPrefixes = []prefixRule{
	{"sk-", tailToken, 20},         // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), DeepSeek, OpenRouter (sk-or-)
	{"sk_live_", tailToken, 16},    // Stripe secret key
	{"sk_test_", tailToken, 16},    // Stripe test secret key
	{"rk_live_", tailToken, 16},    // Stripe restricted key
	{"rk_test_", tailToken, 16},    // Stripe restricted test key
	{"pk_live_", tailToken, 16},    // Stripe publishable key (identifies the account)
	{"whsec_", tailToken, 16},      // Stripe webhook secret
	{"AKIA", tailUpperNo, 16},      // AWS access key id
	{"ASIA", tailUpperNo, 16},      // AWS temporary access key id
	{"AGPA", tailUpperNo, 16},      // AWS group id
	{"AIDA", tailUpperNo, 16},      // AWS user id
	{"AROA", tailUpperNo, 16},      // AWS role id
	{"ANPA", tailUpperNo, 16},      // AWS managed policy id
	{"ghp_", tailToken, 30},        // GitHub personal access token
	{"gho_", tailToken, 30},        // GitHub OAuth token
	{"ghu_", tailToken, 30},        // GitHub user-to-server token
	{"ghs_", tailToken, 30},        // GitHub server-to-server token
	{"ghr_", tailToken, 30},        // GitHub refresh token
	{"github_pat_", tailToken, 40}, // GitHub fine-grained token
	{"glpat-", tailToken, 20},      // GitLab personal access token
	{"gldt-", tailToken, 20},       // GitLab deploy token
	{"glrt-", tailToken, 20},       // GitLab runner token
	{"glptt-", tailToken, 20},      // GitLab pipeline trigger token
	{"GR1348941", tailToken, 20},   // GitLab runner registration token
	{"xoxa-", tailToken, 10},       // Slack
	{"xoxb-", tailToken, 10},       // Slack bot
	{"xoxe-", tailToken, 10},       // Slack refresh
	{"xoxp-", tailToken, 10},       // Slack user
	{"xoxr-", tailToken, 10},       // Slack
	{"xoxs-", tailToken, 10},       // Slack
	{"xapp-", tailToken, 10},       // Slack app-level token
	{"AIza", tailToken, 30},        // Google API key
	{"ya29.", tailDotted, 20},      // Google OAuth access token
	{"GOCSPX-", tailToken, 20},     // Google OAuth client secret
	{"npm_", tailToken, 30},        // npm
	{"pypi-", tailToken, 50},       // PyPI
	{"hf_", tailToken, 30},         // Hugging Face
	{"SG.", tailDotted, 40},        // SendGrid
	{"shpat_", tailHex, 32},        // Shopify access token
	{"shpss_", tailHex, 32},        // Shopify shared secret
	{"shpca_", tailHex, 32},        // Shopify custom app token
	{"shppa_", tailHex, 32},        // Shopify private app token
	{"dop_v1_", tailHex, 32},       // DigitalOcean personal token
	{"doo_v1_", tailHex, 32},       // DigitalOcean OAuth token
	{"dor_v1_", tailHex, 32},       // DigitalOcean refresh token
	{"SK", tailHex, 32},            // Twilio API key sid
	{"AC", tailHex, 32},            // Twilio account sid
	{"key-", tailHex, 32},          // Mailgun
	{"dapi", tailHex, 32},          // Databricks
	{"pul-", tailHex, 40},          // Pulumi
	{"hvs.", tailDotted, 20},       // HashiCorp Vault service token
	{"hvb.", tailDotted, 20},       // HashiCorp Vault batch token
	{"dp.pt.", tailToken, 20},      // Doppler
	{"dp.st.", tailToken, 20},      // Doppler
	{"lin_api_", tailToken, 30},    // Linear
	{"ntn_", tailToken, 30},        // Notion
	{"secret_", tailToken, 30},     // Notion (legacy)
	{"ATATT3", tailToken, 30},      // Atlassian
	{"glc_", tailToken, 30},        // Grafana Cloud
	{"glsa_", tailToken, 30},       // Grafana service account
	{"sntrys_", tailToken, 30},     // Sentry
	{"sntryu_", tailToken, 30},     // Sentry user token
	{"PMAK-", tailToken, 30},       // Postman
	{"fo1_", tailToken, 30},        // Fly.io
	{"sbp_", tailToken, 30},        // Supabase
	{"tskey-", tailToken, 20},      // Tailscale
	{"r8_", tailToken, 30},         // Replicate
	{"gsk_", tailToken, 30},        // Groq
	{"pplx-", tailToken, 30},       // Perplexity
	{"xai-", tailToken, 30},        // xAI
	{"nvapi-", tailToken, 30},      // NVIDIA
	{"figd_", tailToken, 30},       // Figma
	{"dckr_pat_", tailToken, 20},   // Docker Hub
	{"sq0atp-", tailToken, 20},     // Square access token
	{"sq0csp-", tailToken, 20},     // Square OAuth secret
	{"HRKU-", tailToken, 20},       // Heroku
	{"rubygems_", tailHex, 40},     // RubyGems
	{"oy2", tailToken, 40},         // NuGet
	{"LTAI", tailToken, 12},        // Alibaba Cloud
	{"eyJ", tailDotted, 10},        // JWT and other base64 JSON (`{"`)
	{"AGE-SECRET-KEY-1", tailToken, 20},
	{"PuTTY-User-Key-File", tailAny, 0},
	{"AAAAB3NzaC1", tailToken, 10},          // OpenSSH RSA key body
	{"AAAAC3NzaC1lZDI1NTE5", tailToken, 10}, // OpenSSH ed25519 key body
	{"AAAAE2VjZHNh", tailToken, 10},         // OpenSSH ECDSA key body
}

// prefixesByFirst indexes secretPrefixes by their first byte.
var prefixesByFirst = func() (t [256][]prefixRule) {
	for _, r := range secretPrefixes {
		t[r.prefix[0]] = append(t[r.prefix[0]], r)
	}
	return t
}()

func tailLen(s string, k tailKind) int {
	n := 0
	for n < len(s) {
		c := s[n]
		var ok bool
		switch k {
		case tailToken:
			ok = isAlnum(c) || c == '_' || c == '-'
		case tailDotted:
			ok = isAlnum(c) || c == '_' || c == '-' || c == '.'
		case tailHex:
			ok = isHex(c)
		case tailUpperNo:
			ok = isDigit(c) || (c >= 'A' && c <= 'Z')
		}
		if !ok {
			break
		}
		n++
	}
	return n
}

func hasSecretPrefix(s string) bool {
	for i := 0; i < len(s); i++ {
		if i > 0 && isAlnum(s[i-1]) {
			continue
		}
		rules := prefixesByFirst[s[i]]
		if len(rules) == 0 {
			continue
		}
		rest := s[i:]
		for _, r := range rules {
			if !strings.HasPrefix(rest, r.prefix) {
				continue
			}
			if r.tail == tailAny || tailLen(rest[len(r.prefix):], r.tail) >= r.min {
				return true
			}
		}
	}
	return false
}

// Keywords whose "keyword=" or "keyword: " marks a credential. With '=' a
// keyword may end a longer name (DB_PASSWORD=, mytoken=); with ':' it must be
// the name's last part (token:, github_token:), because model tags use ':'.
var credentialWords = []string{
	"password", "passwd", "pwd", "pass", "passphrase", "token", "secret", "apikey", "api_key", "api-key",
	"key", "auth", "authorization", "credential", "credentials", "cookie", "bearer", "sig", "signature",
}

func isCredentialWord(w string) bool {
	for _, k := range credentialWords {
		if equalFold(w, k) {
			return true
		}
	}
	return false
}

func endsWithCredentialWord(w string) bool {
	for _, k := range credentialWords {
		if len(w) >= len(k) && equalFold(w[len(w)-len(k):], k) {
			return true
		}
	}
	return false
}

// hasCredentialPair finds name=value and name: value pairs whose name is a
// credential keyword.
func hasCredentialPair(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if classes[c]&(cEq|cColon) == 0 {
			continue
		}
		j := i
		for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t' || s[j-1] == '"' || s[j-1] == '\'') {
			j--
		}
		k := j
		for k > 0 && isWordByte(s[k-1]) {
			k--
		}
		word := s[k:j]
		if word == "" {
			continue
		}
		if c == '=' {
			if endsWithCredentialWord(word) {
				return true
			}
			continue
		}
		p := len(word)
		for p > 0 && isAlnum(word[p-1]) {
			p--
		}
		last := word[p:]
		if isCredentialWord(last) {
			return true
		}
	}
	return false
}

// hasURLUserinfo finds credentials in a URL: scheme://user:pass@host.
func hasURLUserinfo(s string) bool {
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			return false
		}
		s = s[i+3:]
		end := strings.IndexAny(s, "/?# \t\n")
		if end < 0 {
			end = len(s)
		}
		auth := s[:end]
		if at := strings.LastIndexByte(auth, '@'); at > 0 && strings.IndexByte(auth[:at], ':') >= 0 {
			return true
		}
	}
}

func looksSecret(s string, st *stats) bool {
	m := st.m
	if len(s) >= 8 && hasSecretPrefix(s) {
		return true
	}
	if m&cDash != 0 && hasPEMHeader(s) {
		return true
	}
	if m&cSpace != 0 {
		if indexFold(s, "private key") >= 0 || hasBearer(s) {
			return true
		}
	}
	if m&(cEq|cColon) != 0 && hasCredentialPair(s) {
		return true
	}
	if m&cAt != 0 && m&cColon != 0 && hasURLUserinfo(s) {
		return true
	}
	// Hex-only strings (UUIDs, session ids) are left to the hex rule.
	return st.maxHex >= minHexRun || st.maxRun >= minRandomRun && m&cNonHex != 0 && hasRandomRun(s)
}

// hasPEMHeader finds -----BEGIN and -----END (private keys, certificates).
func hasPEMHeader(s string) bool {
	for off := 0; ; {
		d := strings.IndexByte(s[off:], '-')
		if d < 0 {
			return false
		}
		i := off + d
		if strings.HasPrefix(s[i:], "-----BEGIN") || strings.HasPrefix(s[i:], "-----END") {
			return true
		}
		off = i + 1
	}
}

// hasBearer finds "Bearer <token>" and "Basic <token>" (HTTP credentials).
func hasBearer(s string) bool {
	for _, w := range [...]string{"bearer ", "basic "} {
		i := indexFold(s, w)
		if i < 0 || (i > 0 && isAlnum(s[i-1])) {
			continue
		}
		rest := strings.TrimLeft(s[i+len(w):], " \t")
		if tailLen(rest, tailDotted) >= 8 {
			return true
		}
	}
	return false
}

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
	for i := 0; i < len(s); {
		if !isRunByte(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isRunByte(s[j]) {
			j++
		}
		if j-i >= minRandomRun && looksRandom(s[i:j]) {
			return true
		}
		i = j
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

// --- commands ---

// commandNames are programs whose name followed by an argument is a shell
// command line. Shell names (bash, sh, ...) are here too: as enum values they
// never carry an argument.
var commandNames = func() map[string]struct{} {
	names := strings.Fields(`
		rm rmdir sudo su doas curl wget chmod chown chgrp chattr dd mkfs fdisk parted mount umount
		cat tac echo printf export unset env set source eval exec alias ssh scp sftp rsync ftp telnet
		nc ncat netcat nmap ping traceroute dig nslookup host whois ifconfig ip iptables ufw route
		git docker podman kubectl helm kill killall pkill find xargs tar zip unzip gzip gunzip bzip2 xz
		cp mv ln ls ll cd pwd mkdir touch head tail less more grep egrep fgrep rg sed awk sort uniq wc
		cut tr tee diff ps top htop df du free systemctl service launchctl shutdown reboot halt poweroff
		crontab at nohup watch time timeout apt apt-get dpkg yum dnf rpm pacman apk brew port snap
		flatpak pip pip3 pipx npm npx yarn pnpm bun deno cargo rustup go make cmake gcc clang python
		python2 python3 node ruby perl php lua java bash sh zsh fish dash ksh csh tcsh pwsh powershell
		cmd open xdg-open vi vim nvim nano emacs code history which whereis whoami id passwd useradd
		userdel usermod groupadd chsh chpasswd visudo base64 openssl gpg ssh-keygen ssh-add aws gcloud
		az terraform ansible psql mysql redis-cli mongo mongosh sqlite3 del erase rd copy move xcopy
		robocopy type dir format diskpart reg regedit taskkill tasklist net netsh icacls attrib runas
		cacls takeown schtasks sc wmic bcdedit cipher iex invoke-expression invoke-webrequest
		remove-item get-childitem set-executionpolicy start-process
	`)
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}()

func isCommandName(word string) bool {
	if i := strings.LastIndexAny(word, `/\`); i >= 0 {
		word = word[i+1:]
	}
	var buf [24]byte
	key, ok := lowerKey(buf[:], word)
	if !ok {
		return false
	}
	if _, ok := commandNames[string(key)]; ok {
		return true
	}
	// mkfs.ext4, python3.12, cmd.exe
	if i := strings.IndexByte(word, '.'); i > 0 {
		_, ok := commandNames[string(key[:i])]
		return ok
	}
	return false
}

// hasCommandWord finds a known command followed by an argument, and an
// option (-x, --flag) after whitespace.
func hasCommandWord(s string) bool {
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		word := s[start:i]
		if word == "" {
			break
		}
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j > i && j < len(s) && isCommandName(word) {
			return true
		}
		if start > 0 && len(word) >= 2 && word[0] == '-' &&
			(isLetter(word[1]) || (word[1] == '-' && len(word) >= 3 && isLetter(word[2]))) {
			return true
		}
		i = j
	}
	return false
}

// hasAssignment finds NAME=value: an environment variable or a shell
// assignment (credential names were caught as secrets before).
func hasAssignment(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == '=' && (isAlnum(s[i-1]) || s[i-1] == '_') {
			return true
		}
	}
	return false
}

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
	for off := 0; ; {
		d := strings.IndexByte(s[off:], '.')
		if d < 0 {
			return ReasonNone
		}
		i := off + d
		off = i + 1
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
	for off := 0; ; {
		d := strings.IndexByte(s[off:], '-')
		if d < 0 {
			return false
		}
		i := off + d // s[i-2:i+1] may be "ip-"
		off = i + 1
		if i >= 2 && lower(s[i-2]) == 'i' && lower(s[i-1]) == 'p' && (i == 2 || !isAlnum(s[i-3])) &&
			ipv4At(s, i+1, '-') {
			return true
		}
	}
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
	for i := 0; i < len(s); {
		if !isIPv6Byte(s[i]) {
			i++
			continue
		}
		j := i + 1
		colons := 0
		if s[i] == ':' {
			colons++
		}
		for j < len(s) && isIPv6Byte(s[j]) {
			if s[j] == ':' {
				colons++
			}
			j++
		}
		if colons >= 2 && isIPv6Run(s[i:j]) {
			return true
		}
		i = j
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

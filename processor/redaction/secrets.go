package redaction

import "strings"

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
	for i := range indexes(s, '-') {
		if strings.HasPrefix(s[i:], "-----BEGIN") || strings.HasPrefix(s[i:], "-----END") {
			return true
		}
	}
	return false
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

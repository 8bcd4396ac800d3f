package backend

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"caro.sh/telemetry/schema"
)

// NewStatic returns the offline backend: a built-in table of common tasks
// (Tasks() of them), matched by keywords. It needs no model and no network,
// answers in microseconds, and is the fallback of the remote backends.
// Generate ignores the context (nothing blocks) and returns ErrNoMatch when
// no entry fits the prompt, or the best one has no form for the user's
// shell. Asked again (Request.Exclude), it answers with the next entry
// that fits, in the order of the match, or ErrNoAlternative when none is
// left.
func NewStatic() Backend { return staticBackend{} }

type staticBackend struct{}

func (staticBackend) Name() schema.Backend { return schema.BackendStatic }

func (staticBackend) Generate(_ context.Context, req Request) (Result, error) {
	p := newPrompt(req.Prompt)
	sys, sh := normOS(req.OS), shellOf(req)
	ranked := rank(p)
	if len(ranked) == 0 || ranked[0].variant(sys, sh) == "" {
		return Result{}, ErrNoMatch
	}
	for _, t := range ranked {
		tmpl := t.variant(sys, sh)
		if tmpl == "" {
			continue
		}
		if cmd := fill(tmpl, t, p); !slices.Contains(req.Exclude, cmd) {
			return Result{Command: cmd, Backend: schema.BackendStatic}, nil
		}
	}
	return Result{}, ErrNoAlternative
}

// Tasks returns the number of entries of the static table.
func Tasks() int { return len(tasks) }

// task is one entry of the static table (see tasks.go).
type task struct {
	id string
	// need: every group must match one of its terms. A term is a word or
	// phrase of the normalized prompt; a trailing '*' matches any word
	// starting with it; "@port", "@url", "@ext", "@quoted" and "@filename"
	// match when the prompt holds a port number, a URL, an "x to y"
	// extension pair, a quoted string or a file name (x.ext); "@arg" when a
	// word follows one of the entry's after words (or named, called).
	need [][]string
	// bonus terms add a point each, to break ties between entries.
	bonus []string
	// not: any of these terms rules the entry out.
	not []string
	// after: words after which the prompt names the thing («name»).
	after []string
	// Command templates: cmd is for POSIX shells on Linux (and any system
	// without its own form), mac for macOS, bsd for the BSDs, fish for the
	// fish shell, ps for PowerShell. any means cmd works in every shell
	// (git, tar, curl). Placeholders are «key:default» (see fill).
	cmd, mac, bsd, fish, ps string
	any                     bool
	// example is a representative prompt; the tests check that it selects
	// this entry.
	example string
}

// variant picks the template for a system and a shell, "" when the entry
// has none for them.
func (t *task) variant(os osFamily, sh shellFamily) string {
	switch sh {
	case shellPowerShell:
		if t.ps != "" {
			return t.ps
		}
		if t.any {
			return t.cmd
		}
		return ""
	case shellCmd, shellOther:
		if t.any {
			return t.cmd
		}
		return ""
	case shellFish:
		if t.fish != "" {
			return t.fish
		}
	}
	switch os {
	case osMac:
		if t.mac != "" {
			return t.mac
		}
	case osBSD:
		if t.bsd != "" {
			return t.bsd
		}
		if t.mac != "" {
			return t.mac
		}
	}
	return t.cmd
}

// prompt is a request prepared for matching.
type prompt struct {
	raw  string
	norm string   // " lowercase words separated by single spaces "
	set  []string // the words of norm
	// words are the raw whitespace-separated tokens, trimmed of
	// surrounding punctuation.
	words  []string
	quoted string
	port   string
	url    string
	from   string
	to     string
	old    string
	new    string
	number string
}

var (
	// A quoted string: a quote at the start of a word, the same quote at
	// its end (so that "Bob's folder" quotes nothing).
	quotedRe   = regexp.MustCompile(`(?:^|[\s(])(?:"([^"\n]{1,200})"|'([^'\n]{1,200})'|` + "`([^`\n]{1,200})`" + `|“([^”\n]{1,200})”|‘([^’\n]{1,200})’)(?:$|[\s).,;:!?])`)
	urlRe      = regexp.MustCompile(`https?://[^\s"'<>]+`)
	extRe      = regexp.MustCompile(`(?i)\.?\b([a-z0-9]{1,10})\b(?:\s+files?)?\s+(?:to|into|->|as)\s+\.?([a-z0-9]{1,10})\b`)
	replaceRe  = regexp.MustCompile(`(?i)\b(?:replace|substitute|change)\s+["'` + "`" + `]?([A-Za-z0-9_-]{1,64})["'` + "`" + `]?\s+(?:with|by|to|into)\s+["'` + "`" + `]?([A-Za-z0-9_-]{1,64})`)
	filenameRe = regexp.MustCompile(`^[A-Za-z0-9_~/-][A-Za-z0-9_./~+-]*\.[A-Za-z0-9]{1,10}$`)
)

func newPrompt(raw string) *prompt {
	p := &prompt{raw: raw}
	p.norm = normalize(raw)
	p.set = strings.Fields(p.norm)
	for _, w := range strings.Fields(raw) {
		w = strings.Trim(w, ",;:!?()[]{}\"'`“”‘’")
		w = strings.TrimRight(w, ".")
		if w != "" {
			p.words = append(p.words, w)
		}
	}
	lower := strings.ToLower(raw)
	// The expressions are gated by cheap substring tests: most prompts
	// hold no quote, URL, number or "x to y", and RE2 searches are costly.
	if strings.ContainsAny(raw, "\"'`“‘") {
		if m := quotedRe.FindStringSubmatch(raw); m != nil {
			for _, g := range m[1:] {
				if g != "" {
					p.quoted = g
					break
				}
			}
		}
	}
	rest := raw
	if strings.Contains(raw, "://") {
		if m := urlRe.FindString(raw); m != "" {
			m = strings.TrimRight(m, ".,;:!?")
			if strings.HasSuffix(m, ")") && strings.Count(m, ")") > strings.Count(m, "(") {
				m = m[:len(m)-1]
			}
			p.url = m
		}
		rest = urlRe.ReplaceAllString(raw, " ")
	}
	if strings.ContainsAny(rest, "0123456789") {
		p.port, p.number = numbers(rest)
	}
	if strings.Contains(lower, " to ") || strings.Contains(lower, " into ") || strings.Contains(lower, " as ") || strings.Contains(lower, "->") {
		if m := extRe.FindStringSubmatch(raw); m != nil && (strings.Contains(m[0], ".") || strings.Contains(strings.ToLower(m[0]), "file")) {
			p.from, p.to = strings.ToLower(m[1]), strings.ToLower(m[2])
		}
	}
	if strings.Contains(lower, "replace") || strings.Contains(lower, "substitute") || strings.Contains(lower, "change") {
		if m := replaceRe.FindStringSubmatch(raw); m != nil {
			p.old, p.new = m[1], m[2]
		}
	}
	return p
}

// normalize lowercases s and keeps its ASCII letters and digits, every
// other run of characters becoming one space, with a space at both ends.
func normalize(s string) string {
	b := make([]byte, 1, len(s)+2)
	b[0] = ' '
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b = append(b, c)
		case b[len(b)-1] != ' ':
			b = append(b, ' ')
		}
	}
	if b[len(b)-1] != ' ' {
		b = append(b, ' ')
	}
	return string(b)
}

// numbers finds a port (a number of 1 to 5 digits after "port" or ":", or
// else the first one of 2 to 5 digits, at most 65535) and a count (the
// first number standing alone between spaces) in s.
func numbers(s string) (port, count string) {
	fallback := ""
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n := s[i:j]
		wordBefore := i > 0 && isWordByte(s[i-1])
		wordAfter := j < len(s) && isWordByte(s[j])
		if !wordBefore && !wordAfter && len(n) <= 5 {
			if v, _ := strconv.Atoi(n); v > 0 && v <= 65535 {
				before := strings.ToLower(strings.TrimRight(s[:i], " \t"))
				if port == "" && (strings.HasSuffix(before, "port") || strings.HasSuffix(before, ":")) {
					port = n
				}
				if fallback == "" && len(n) >= 2 {
					fallback = n
				}
			}
		}
		if count == "" && len(n) <= 5 && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') && (j == len(s) || s[j] == ' ' || s[j] == '\t') {
			count = n
		}
		i = j
	}
	if port == "" {
		port = fallback
	}
	return port, count
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// has reports whether the normalized prompt holds a term (for t).
func (p *prompt) has(term string, t *task) bool {
	switch term {
	case "@filename":
		return p.filename() != ""
	case "@number":
		return p.number != ""
	case "@ext-files":
		return p.extFiles() != ""
	case "@arg":
		return p.after(append([]string{"named", "called"}, t.after...)) != ""
	case "@port":
		return p.port != ""
	case "@url":
		return p.url != ""
	case "@ext":
		return p.from != ""
	case "@quoted":
		return p.quoted != ""
	}
	term, prefix := strings.CutSuffix(term, "*")
	if strings.Contains(term, " ") {
		return containsWord(p.norm, term, prefix)
	}
	for _, w := range p.set {
		if w == term || prefix && strings.HasPrefix(w, term) {
			return true
		}
	}
	return false
}

// containsWord reports whether norm (words between single spaces, with a
// space at both ends) holds term as whole words, or as the start of a word
// when prefix is set. It is strings.Contains(norm, " "+term+" ") without
// building the string.
func containsWord(norm, term string, prefix bool) bool {
	if term == "" {
		return false
	}
	for i := 1; i < len(norm); {
		j := strings.Index(norm[i:], term)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(term)
		if norm[j-1] == ' ' && (prefix || end < len(norm) && norm[end] == ' ') {
			return true
		}
		i = j + 1
	}
	return false
}

// score is 10 per need group plus 1 per bonus term, or -1 when the entry
// does not apply.
func (t *task) score(p *prompt) int {
	for _, w := range t.not {
		if p.has(w, t) {
			return -1
		}
	}
	s := 0
	for _, group := range t.need {
		ok := false
		for _, w := range group {
			if p.has(w, t) {
				ok = true
				break
			}
		}
		if !ok {
			return -1
		}
		s += 10
	}
	for _, w := range t.bonus {
		if p.has(w, t) {
			s++
		}
	}
	return s
}

// match returns the best entry for a prompt (the first of equal scores),
// or nil.
func match(raw string) (*task, *prompt) {
	p := newPrompt(raw)
	if r := rank(p); len(r) > 0 {
		return r[0], p
	}
	return nil, p
}

// rank returns the entries that fit the prompt, best first (a higher
// score; on a tie, the earlier entry of the table).
func rank(p *prompt) []*task {
	if strings.TrimSpace(p.norm) == "" {
		return nil
	}
	type scored struct {
		t     *task
		score int
	}
	var fit []scored
	for i := range tasks {
		if s := tasks[i].score(p); s > 0 {
			fit = append(fit, scored{&tasks[i], s})
		}
	}
	slices.SortStableFunc(fit, func(a, b scored) int { return b.score - a.score })
	out := make([]*task, len(fit))
	for i, f := range fit {
		out[i] = f.t
	}
	return out
}

// stopwords are skipped when looking for the name after a word.
var stopwords = map[string]bool{
	"the": true, "a": true, "an": true, "my": true, "this": true, "that": true, "these": true,
	"those": true, "all": true, "every": true, "file": true, "files": true, "folder": true,
	"folders": true, "directory": true, "directories": true, "dir": true, "process": true,
	"processes": true, "program": true, "app": true, "application": true, "named": true,
	"called": true, "of": true, "for": true, "in": true, "on": true, "to": true, "from": true,
	"with": true, "into": true, "is": true, "are": true, "it": true, "me": true, "please": true,
	"some": true, "any": true, "new": true, "empty": true, "text": true, "word": true,
	"string": true, "service": true, "log": true, "archive": true, "lines": true, "line": true,
	"first": true, "last": true, "contents": true, "content": true, "up": true, "script": true,
	"running": true, "command": true, "server": true, "host": true, "domain": true, "site": true,
	"website": true, "url": true, "zip": true, "tar": true, "checksum": true, "hash": true,
	"sha256": true, "md5": true, "executable": true, "how": true, "many": true, "count": true,
	"code": true, "source": true, "everything": true, "here": true, "there": true,
}

// after returns the first word after one of words that is not a stopword.
func (p *prompt) after(words []string) string {
	for i, w := range p.words {
		lw := strings.ToLower(w)
		for _, a := range words {
			if lw != a {
				continue
			}
			for _, next := range p.words[i+1:] {
				if !stopwords[strings.ToLower(next)] {
					return next
				}
			}
		}
	}
	return ""
}

// extFiles returns the extension of "pdf files", ".log files" or "*.log",
// "" when there is none.
func (p *prompt) extFiles() string {
	for i, w := range p.words {
		lw := strings.ToLower(w)
		if strings.HasPrefix(lw, "*.") && alnumRe.MatchString(lw[2:]) {
			return lw[2:]
		}
		if i+1 < len(p.words) && (strings.EqualFold(p.words[i+1], "files") || strings.EqualFold(p.words[i+1], "file")) {
			e, dotted := strings.CutPrefix(lw, ".")
			if len(e) <= 5 && alnumRe.MatchString(e) && (dotted || !stopwords[e] && !commonWords[e]) {
				return e
			}
		}
	}
	return ""
}

// commonWords precede "files" without being extensions.
var commonWords = map[string]bool{
	"list": true, "show": true, "find": true, "search": true, "locate": true, "display": true,
	"print": true, "delete": true, "remove": true, "copy": true, "move": true, "rename": true,
	"large": true, "big": true, "small": true, "old": true, "new": true, "hidden": true, "empty": true,
	"temp": true, "my": true, "your": true, "our": true, "their": true, "some": true,
	"text": true, "image": true, "video": true, "audio": true, "same": true, "open": true, "recent": true,
	"other": true, "such": true, "two": true, "many": true, "most": true, "more": true, "few": true,
}

// filename returns the first word that looks like a file name (x.ext).
func (p *prompt) filename() string {
	for _, w := range p.words {
		if filenameRe.MatchString(w) && !strings.Contains(w, "://") {
			return w
		}
	}
	return ""
}

// value returns the prompt's value for a template key, "" if none.
func (p *prompt) value(key string, t *task) string {
	switch key {
	case "n":
		return p.number
	case "port":
		return p.port
	case "url":
		return p.url
	case "from":
		return p.from
	case "to":
		return p.to
	case "old":
		return p.old
	case "new":
		return p.new
	case "text":
		if p.quoted != "" {
			return p.quoted
		}
		return p.after([]string{"for", "containing", "contains", "word", "string", "text", "mentioning"})
	case "host":
		if p.quoted != "" {
			return p.quoted
		}
		if p.url != "" {
			h := strings.TrimPrefix(strings.TrimPrefix(p.url, "https://"), "http://")
			return strings.SplitN(h, "/", 2)[0]
		}
		for _, w := range p.words {
			if strings.Contains(w, ".") && !strings.ContainsAny(w, "/:") && hostRe.MatchString(w) {
				return w
			}
		}
		return p.after(t.after)
	case "glob":
		if p.quoted != "" {
			return p.quoted
		}
		if v := p.after([]string{"named", "called"}); v != "" {
			return v
		}
		if e := p.extFiles(); e != "" {
			return "*." + e
		}
		return p.filename()
	case "name":
		if p.quoted != "" {
			return p.quoted
		}
		if v := p.after(append([]string{"named", "called"}, t.after...)); v != "" {
			return v
		}
		return p.filename()
	case "file":
		// A quoted string may be the text of the request rather than the
		// file (replace 'a' with 'b' in f.txt): the words come first.
		if v := p.after(append([]string{"named", "called"}, t.after...)); v != "" {
			return v
		}
		if v := p.filename(); v != "" {
			return v
		}
		return p.quoted
	}
	return ""
}

var (
	hostRe     = regexp.MustCompile(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$`)
	safeWordRe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./~][A-Za-z0-9_@%+=:,./~-]*$`)
	alnumRe    = regexp.MustCompile(`^[A-Za-z0-9]{1,10}$`)
	digitsRe   = regexp.MustCompile(`^[0-9]{1,5}$`)
	sedWordRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	slotRe     = regexp.MustCompile(`«(\w+):([^»]*)»`)
)

// fill replaces each «key:default» of a template with the prompt's value
// for key, or with default when the prompt has none or the value could be
// unsafe. Values are validated per key and shell-quoted where needed, so
// that a prompt can never inject shell syntax into a static command.
func fill(tmpl string, t *task, p *prompt) string {
	return slotRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		sub := slotRe.FindStringSubmatch(m)
		key, def := sub[1], sub[2]
		v := p.value(key, t)
		switch key {
		case "port", "n":
			if digitsRe.MatchString(v) {
				return v
			}
		case "from", "to":
			if alnumRe.MatchString(v) {
				return v
			}
		case "old", "new":
			// Inside a single-quoted sed script: no quoting, strict words.
			if sedWordRe.MatchString(v) {
				return v
			}
		default:
			if q, ok := shellQuote(v); ok {
				return q
			}
		}
		return def
	})
}

// shellQuote returns v as one shell word: bare when it holds only safe
// characters, single-quoted otherwise. It refuses (ok false) values that
// are empty, too long, start with '-' (an option), or hold a single quote
// or a control character.
func shellQuote(v string) (string, bool) {
	if v == "" || len(v) > 200 || strings.HasPrefix(v, "-") {
		return "", false
	}
	if safeWordRe.MatchString(v) {
		return v, true
	}
	for _, r := range v {
		if r == '\'' || r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	return "'" + v + "'", true
}

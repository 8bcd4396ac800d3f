package safety

import (
	"regexp"
	"strings"
	"sync"

	"caro.sh/telemetry/schema"
)

// Verdict is the result of checking one command.
type Verdict struct {
	// Risk is the highest risk of all matched patterns (RiskSafe when none
	// matched).
	Risk schema.RiskLevel
	// Category is the category of the pattern that set Risk (the first such
	// pattern in the table when several share the highest risk), "" when
	// the command is safe.
	Category schema.PatternCategory
	// Matched is the number of patterns that matched.
	Matched int
}

// pattern is one entry of the table in patterns.go. Its expression is
// applied in one of four ways:
//
//   - at: anchored at each word of the text that is one of these words
//     (lowercase; a word is compared whole, without its directory, and
//     also cut at its first '.' or '_' and stripped of a trailing version,
//     so that "mkfs" finds mkfs.ext4 and "python" finds python3.11). Such
//     patterns see `rm -rf /` inside quotes, `sh -c` or ssh too, and RE2
//     never has to search for them at every position of the text;
//   - cmd: anchored at the start of each simple command that the shell
//     would run (see commands), when one of the at words occurs; for
//     patterns on ordinary words such as shutdown or su that must be in
//     command position;
//   - content: searched anywhere in each simple command the shell would
//     run, except in commands that only search text (grep and the like),
//     when one of the hints occurs; for patterns on what a command writes
//     (a sudoers line, an sshd setting, SQL), which `grep NOPASSWD:
//     /etc/sudoers` merely looks for;
//   - neither: searched anywhere in the text, when one of the hints (lowercase
//     substrings) occurs in the lowercased text.
type pattern struct {
	// id names the pattern in tests and documentation; it is never
	// recorded (the spec records the category only).
	id       string
	risk     schema.RiskLevel
	category schema.PatternCategory
	at       []string
	cmd      bool
	content  bool
	hints    []string
	expr     string
	// unless, when set, cancels a match (RE2 has no negative lookahead).
	// It is applied to the simple command for cmd patterns and to the
	// whole text otherwise.
	unless string
	// skip, when set, rejects a match by the target that the expression's
	// first group captured (RE2 cannot say "a path with no tmp component");
	// the target before it in the same command is then tried. For at and
	// text patterns.
	skip func(target string) bool
	// examples must each match this pattern; the tests check it, so that
	// every pattern is known to be reachable.
	examples []string
}

// rule is a pattern with its expressions, compiled on first use: a
// typical command needs a handful of the table's expressions, and
// compiling all of them would cost milliseconds at every start of the CLI.
type rule struct {
	*pattern
	once         sync.Once
	re, unlessRe *regexp.Regexp
}

func (r *rule) compile() {
	r.once.Do(func() {
		expr, unless := r.expr, r.unless
		if r.cmd || len(r.at) > 0 {
			expr = `^(?:` + expr + `)`
		}
		if r.cmd && unless != "" {
			unless = `^(?:` + unless + `)`
		}
		r.re = regexp.MustCompile(expr)
		if unless != "" {
			r.unlessRe = regexp.MustCompile(unless)
		}
	})
}

var (
	setupOnce sync.Once
	rules     []*rule
	// byWord maps each at word to the rules that name it, and each
	// searcher to searcherMark.
	byWord map[string][]int
)

func setup() {
	setupOnce.Do(func() {
		rules = make([]*rule, len(patterns))
		byWord = map[string][]int{}
		for i := range patterns {
			rules[i] = &rule{pattern: &patterns[i]}
			for _, w := range patterns[i].at {
				byWord[w] = append(byWord[w], i)
			}
		}
		for w := range searchers {
			byWord[w] = append(byWord[w], searcherMark)
		}
	})
}

// rank orders risk levels.
func rank(r schema.RiskLevel) int {
	switch r {
	case schema.RiskModerate:
		return 1
	case schema.RiskHigh:
		return 2
	case schema.RiskCritical:
		return 3
	}
	return 0
}

// Bounds on the work per command, whatever its content.
const (
	// MaxCommandLen is the longest command Check reads; a longer one is not
	// something a person reviews before running it, and Check rates it
	// high (category other) without reading it.
	MaxCommandLen = 8 << 10
	// window is how far past its leading word an anchored expression
	// looks: more than the arguments of any real command, and small enough
	// that a text full of one word does not cost quadratic time.
	window = 512
	// maxTries is how many occurrences of its words a rule examines. A
	// command that repeats a word more often than that is rated high
	// (category other): it is not something to run unread.
	maxTries = 32
	// maxSkips is how many skipped targets a rule looks past in one
	// place before it takes the match as it is.
	maxSkips = 8
)

// Check validates a command before anything runs it. It never fails and
// is safe for concurrent use.
func Check(command string) Verdict {
	v := Verdict{Risk: schema.RiskSafe}
	if strings.TrimSpace(command) == "" {
		return v
	}
	if len(command) > MaxCommandLen {
		return Verdict{Risk: schema.RiskHigh, Category: schema.PatternOther, Matched: 1}
	}
	setup()
	in := newInput(command)
	for i, r := range rules {
		if !in.matches(i, r) {
			continue
		}
		if in.tooMany {
			in.tooMany = false
			v.Matched++
			if rank(schema.RiskHigh) > rank(v.Risk) {
				v.Risk, v.Category = schema.RiskHigh, schema.PatternOther
			}
			continue
		}
		v.Matched++
		if rank(r.risk) > rank(v.Risk) {
			v.Risk = r.risk
			v.Category = r.category
		}
	}
	return v
}

// input is one command being checked, with what the rules share.
type input struct {
	text  string
	lower string // ASCII-lowercased: the same byte offsets as text
	// cands are the positions of at words, by rule.
	cands []cand
	buf   [32]cand
	cmds  []string
	lexed bool
	// tooMany is set by matches when a rule's words occur more than
	// maxTries times.
	tooMany bool
	// searches is set when a word of the text names a searcher: only
	// then do content rules need the lexer.
	searches bool
}

type cand struct {
	rule int
	pos  int
}

func newInput(command string) *input {
	// A backslash-newline continues the line in every POSIX shell.
	if strings.Contains(command, "\\\n") {
		command = strings.ReplaceAll(command, "\\\n", " ")
	}
	in := &input{text: command, lower: asciiLower(command)}
	in.cands = in.buf[:0]
	in.scan()
	return in
}

// delim ends a word for the at lookup.
func delim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ';', '&', '|', '(', ')', '<', '>', '{', '}', '`', '"', '\'', '=', '$', ',', '!', '\\', ':':
		return true
	}
	return false
}

// scan finds every word of the text that is an at word of some rule.
func (in *input) scan() {
	s := in.lower
	for i := 0; i < len(s); {
		if delim(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !delim(s[j]) {
			j++
		}
		word, pos := s[i:j], i
		if k := strings.LastIndexByte(word, '/'); k >= 0 {
			word, pos = word[k+1:], pos+k+1
		}
		in.lookup(word, pos)
		i = j
	}
}

func (in *input) lookup(word string, pos int) {
	if word == "" {
		return
	}
	in.add(word, pos)
	base := word
	if k := strings.IndexAny(base, "._"); k > 0 {
		base = base[:k]
		in.add(base, pos)
	}
	if t := strings.TrimRight(base, "0123456789."); t != base && t != "" {
		in.add(t, pos)
	}
}

func (in *input) add(word string, pos int) {
	for _, r := range byWord[word] {
		if r == searcherMark {
			in.searches = true
			continue
		}
		in.cands = append(in.cands, cand{rule: r, pos: pos})
	}
}

func (in *input) commands() []string {
	if !in.lexed {
		in.cmds = commands(in.text)
		in.lexed = true
	}
	return in.cmds
}

func (in *input) matches(i int, r *rule) bool {
	if len(r.at) == 0 {
		if !hinted(in.lower, r.hints) {
			return false
		}
		r.compile()
		if r.content {
			return in.contentMatches(r)
		}
		return r.find(in.text) && (r.unlessRe == nil || !r.unlessRe.MatchString(in.text))
	}
	hintsChecked := len(r.hints) == 0
	tries := 0
	for _, c := range in.cands {
		if c.rule != i {
			continue
		}
		if !hintsChecked {
			// Only once the rule has a place to start from.
			if !hinted(in.lower, r.hints) {
				return false
			}
			hintsChecked = true
		}
		if tries++; tries > maxTries {
			in.tooMany = true
			return true
		}
		r.compile()
		if r.cmd {
			for _, line := range in.commands() {
				if r.re.MatchString(line) && (r.unlessRe == nil || !r.unlessRe.MatchString(line)) {
					return true
				}
			}
			return false
		}
		if r.find(in.text[c.pos:min(c.pos+window, len(in.text))]) {
			return r.unlessRe == nil || !r.unlessRe.MatchString(in.text)
		}
	}
	return false
}

// find reports whether the rule's expression matches s with a target that
// the rule does not skip. The expression's quantifiers are greedy, so the
// match names the last qualifying target; after a skipped one, the text
// before it is tried.
func (r *rule) find(s string) bool {
	if !r.re.MatchString(s) {
		return false // the usual case, without tracking the group
	}
	if r.skip == nil {
		return true
	}
	for range maxSkips {
		m := r.re.FindStringSubmatchIndex(s)
		if m == nil {
			return false
		}
		if m[2] < 0 || !r.skip(s[m[2]:m[3]]) {
			return true
		}
		s = s[:m[2]]
	}
	return true
}

// contentMatches applies a content rule to the simple commands of the
// text, leaving out those that only search text.
func (in *input) contentMatches(r *rule) bool {
	if !r.re.MatchString(in.text) {
		return false
	}
	if !in.searches {
		return true
	}
	cmds := in.commands()
	if len(cmds) >= maxCommands {
		// The lexer stopped early: some commands were not collected.
		return true
	}
	for _, line := range cmds {
		if searcher(line) {
			continue
		}
		if r.re.MatchString(line) && (r.unlessRe == nil || !r.unlessRe.MatchString(line)) {
			return true
		}
	}
	return false
}

// searchers only look for text: a pattern in their arguments is a search,
// not content that is written or run.
var searchers = map[string]bool{
	"grep": true, "egrep": true, "fgrep": true, "zgrep": true, "rg": true,
	"ag": true, "ack": true, "pgrep": true,
}

// searcherMark stands for a searcher in byWord, so that scan finds
// searchers in the same lookup as rule words.
const searcherMark = -1

func searcher(line string) bool {
	name, _, _ := strings.Cut(line, " ")
	return searchers[name]
}

func hinted(lower string, hints []string) bool {
	for _, h := range hints {
		if strings.Contains(lower, h) {
			return true
		}
	}
	return false
}

// asciiLower lowercases ASCII letters only, so that byte offsets in the
// result are offsets in s (strings.ToLower may change lengths).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Patterns returns the number of patterns Check knows.
func Patterns() int { return len(patterns) }

// Blocked reports whether the CLI must refuse to run a command of this
// verdict: critical risk is never run, not even with --yes.
func (v Verdict) Blocked() bool { return v.Risk == schema.RiskCritical }

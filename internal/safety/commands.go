package safety

import "strings"

// Limits that bound the work on hostile input: nesting of `sh -c`, eval,
// ssh and substitutions, and the number of simple commands collected.
const (
	maxNesting  = 4
	maxCommands = 64
)

// commands returns the simple commands that a shell would run for s, each
// as its words (quotes removed) joined by single spaces, with the command
// word first and stripped of its directory: "sudo -u root /sbin/shutdown
// -h now; echo 'a; b'" gives "shutdown -h now" and "echo a; b".
//
// It is a lexer, not a shell: it splits at ; & | && || newlines and
// parentheses outside quotes, drops redirections, variable assignments,
// shell keywords and wrappers that run their arguments (sudo, env, nohup,
// xargs, timeout, ...), and it descends into the text that is run as a
// command by command substitution, `sh -c`, `su -c`, eval, ssh, watch and
// find -exec. Expansions are not performed.
func commands(s string) []string {
	var out []string
	lexCommands(s, 0, &out)
	return out
}

// marker prefixes a redirection operator in a word list; a NUL cannot
// appear in a real word that reaches a shell.
const marker = "\x00"

type lexer struct {
	src   string
	depth int
	out   *[]string
	words []string
	cur   strings.Builder
	inW   bool
}

func lexCommands(s string, depth int, out *[]string) {
	if depth > maxNesting || len(*out) >= maxCommands {
		return
	}
	l := &lexer{src: s, depth: depth, out: out}
	l.run()
}

func (l *lexer) endWord() {
	if l.inW {
		l.words = append(l.words, l.cur.String())
		l.cur.Reset()
		l.inW = false
	}
}

func (l *lexer) endCommand() {
	l.endWord()
	if len(l.words) > 0 {
		emit(l.words, l.depth, l.out)
	}
	l.words = nil
}

// sub lexes the text of a command or process substitution.
func (l *lexer) sub(inner string) {
	lexCommands(inner, l.depth+1, l.out)
}

// substitution lexes the command or process substitution at s[i] ($(...),
// <(...), >(...) or `...`, unterminated ones to the end), leaves "$()" in
// the current word in its place and returns the index after it.
func (l *lexer) substitution(i int) int {
	s := l.src
	if s[i] == '`' {
		end := strings.IndexByte(s[i+1:], '`')
		if end < 0 {
			end = len(s) - i - 1
		}
		l.sub(s[i+1 : i+1+end])
		i += end + 2
	} else {
		end := matchParen(s, i+1)
		l.sub(s[i+2 : end])
		i = end + 1
	}
	l.cur.WriteString("$()")
	l.inW = true
	return i
}

func (l *lexer) run() {
	s := l.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			l.endWord()
			i++
		case c == '\\':
			if i+1 < len(s) {
				if s[i+1] != '\n' {
					l.cur.WriteByte(s[i+1])
					l.inW = true
				}
				i += 2
			} else {
				i++
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				end = len(s) - i - 1
			}
			l.cur.WriteString(s[i+1 : i+1+end])
			l.inW = true
			i += end + 2
		case c == '"':
			i = l.doubleQuoted(i + 1)
		case c == '$' && i+1 < len(s) && s[i+1] == '(',
			(c == '<' || c == '>') && i+1 < len(s) && s[i+1] == '(',
			c == '`':
			i = l.substitution(i)
		case c == '#' && !l.inW:
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				i = len(s)
			} else {
				i += nl
			}
		case c == '>' || c == '<' || (c == '&' && i+1 < len(s) && s[i+1] == '>'):
			i = l.redirection(i)
		case c == ';' || c == '&' || c == '|' || c == '\n' || c == '(' || c == ')':
			l.endCommand()
			i++
		default:
			l.cur.WriteByte(c)
			l.inW = true
			i++
		}
	}
	l.endCommand()
}

// doubleQuoted reads a double-quoted string starting after its quote,
// lexing the substitutions inside it, and returns the index after it.
func (l *lexer) doubleQuoted(i int) int {
	s := l.src
	l.inW = true
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\' && i+1 < len(s):
			switch n := s[i+1]; n {
			case '"', '\\', '$', '`':
				l.cur.WriteByte(n)
			case '\n':
			default:
				l.cur.WriteByte('\\')
				l.cur.WriteByte(n)
			}
			i += 2
		case c == '$' && i+1 < len(s) && s[i+1] == '(', c == '`':
			i = l.substitution(i)
		default:
			l.cur.WriteByte(c)
			i++
		}
	}
	return i
}

// redirection consumes a redirection operator (>, >>, >|, <, <<, 2>,
// &>, >&2, ...) and records it as a marker word, so that emit drops it
// with its target.
func (l *lexer) redirection(i int) int {
	s := l.src
	// A word of digits just before the operator is a file descriptor.
	if l.inW && isDigits(l.cur.String()) {
		l.cur.Reset()
		l.inW = false
	}
	l.endWord()
	start := i
	if s[i] == '&' {
		i++
	}
	i++ // > or <
	for i < len(s) && (s[i] == '>' || s[i] == '<' || s[i] == '|') {
		i++
	}
	if i < len(s) && s[i] == '&' {
		// Duplication (>&2, <&-): no target word follows.
		i++
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
			i++
		}
		return i
	}
	l.words = append(l.words, marker+s[start:i])
	return i
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// matchParen returns the index of the parenthesis closing the one at open,
// skipping quoted text, or len(s) when it is unbalanced.
func matchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				i += j + 1
			} else {
				return len(s)
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

// keywords are shell words that may precede a command.
var keywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "do": true, "while": true,
	"until": true, "!": true, "{": true, "}": true, "time": true, "coproc": true,
}

// wrappers run their arguments as a command. The value lists the short
// options that take an argument, so that the argument is skipped too.
var wrappers = map[string]string{
	"sudo": "ugCDhpRrtUT", "doas": "uC", "pkexec": "", "run0": "uD",
	"env": "uCS", "nohup": "", "nice": "n", "ionice": "cnp", "time": "fo",
	"command": "", "builtin": "", "exec": "a", "watch": "nd", "timeout": "sk",
	"strace": "eopsuE", "ltrace": "eopsuE", "xargs": "IndLPEsa", "stdbuf": "ioe",
	"chroot": "", "caffeinate": "tw", "unbuffer": "", "torsocks": "", "proxychains": "f",
	"proxychains4": "f", "catchsegv": "",
}

// positional says how many plain arguments a wrapper takes before the
// command (timeout's duration, chroot's directory).
var positional = map[string]int{"timeout": 1, "chroot": 1}

var shellNames = map[string]bool{
	"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true, "mksh": true,
	"ash": true, "fish": true, "csh": true, "tcsh": true, "busybox": true,
}

func basename(w string) string {
	if i := strings.LastIndexByte(w, '/'); i >= 0 && i < len(w)-1 {
		return w[i+1:]
	}
	return w
}

func isAssignment(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 {
		return false
	}
	for i := 0; i < eq; i++ {
		c := w[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// emit turns the words of one simple command into normalized commands.
func emit(raw []string, depth int, out *[]string) {
	// Drop redirections and their targets.
	words := make([]string, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if strings.HasPrefix(raw[i], marker) {
			i++ // the target
			continue
		}
		words = append(words, raw[i])
	}
	// Assignments, keywords and wrappers before the command word.
	for len(words) > 0 {
		w := words[0]
		name := basename(w)
		switch {
		case isAssignment(w) || keywords[w]:
			words = words[1:]
			continue
		case name == "command" && len(words) > 1 && (words[1] == "-v" || words[1] == "-V"):
			return // a lookup, not a run
		}
		argOpts, ok := wrappers[name]
		if !ok {
			break
		}
		words = words[1:]
		for len(words) > 0 && len(words[0]) > 1 && words[0][0] == '-' {
			opt := words[0]
			words = words[1:]
			if opt == "--" {
				break
			}
			if !strings.HasPrefix(opt, "--") && strings.ContainsAny(opt[len(opt)-1:], argOpts) && len(words) > 0 {
				words = words[1:]
			}
		}
		for n := positional[name]; n > 0 && len(words) > 0; n-- {
			words = words[1:]
		}
	}
	if len(words) == 0 {
		return
	}
	// A single word holding spaces is a command string (watch 'ps aux',
	// xargs sh -c ...): lex it.
	if len(words) == 1 && strings.ContainsAny(words[0], " \t;|&") {
		lexCommands(words[0], depth+1, out)
		return
	}
	name := basename(words[0])
	if len(*out) < maxCommands {
		line := name
		if len(words) > 1 {
			line += " " + strings.Join(words[1:], " ")
		}
		*out = append(*out, line)
	}
	args := words[1:]
	switch {
	case shellNames[name], name == "su", name == "runuser":
		for i, a := range args {
			if i+1 < len(args) && (a == "-c" || a == "--command" ||
				(len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.HasSuffix(a, "c"))) {
				lexCommands(args[i+1], depth+1, out)
				break
			}
			if c, ok := strings.CutPrefix(a, "--command="); ok {
				lexCommands(c, depth+1, out)
				break
			}
		}
	case name == "eval":
		lexCommands(strings.Join(args, " "), depth+1, out)
	case name == "ssh":
		for i := 0; i < len(args); i++ {
			a := args[i]
			if len(a) > 1 && a[0] == '-' {
				if strings.ContainsAny(a[len(a)-1:], "BbcDEeFIiJLlmOopPQRSWw") && len(a) == 2 {
					i++
				}
				continue
			}
			if i+1 < len(args) {
				lexCommands(strings.Join(args[i+1:], " "), depth+1, out)
			}
			break
		}
	case name == "find":
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "-exec", "-execdir", "-ok", "-okdir":
				j := i + 1
				for j < len(args) && args[j] != ";" && args[j] != "+" {
					j++
				}
				if j > i+1 {
					emit(args[i+1:j], depth+1, out)
				}
				i = j
			}
		}
	}
}

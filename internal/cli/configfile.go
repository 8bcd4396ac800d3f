package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"caro.sh/telemetry/internal/consent"
)

// configDoc is config.toml both as text (so that an edit keeps the user's
// comments and layout) and as decoded tables (to read values and check
// every edit).
type configDoc struct {
	path   string
	text   string
	data   map[string]any
	exists bool
}

// readConfigDoc reads config.toml; a missing file is an empty document.
func readConfigDoc(path string) (*configDoc, error) {
	d := &configDoc{path: path, data: map[string]any{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	d.text, d.exists = string(b), true
	if _, err := toml.Decode(d.text, &d.data); err != nil {
		return nil, fmt.Errorf("%s is not valid TOML: %w", path, err)
	}
	return d, nil
}

// lookup returns the raw decoded value of a table.key setting.
func (d *configDoc) lookup(key string) (any, bool) {
	table, name, _ := strings.Cut(key, ".")
	t, ok := d.data[table].(map[string]any)
	if !ok {
		return nil, false
	}
	v, ok := t[name]
	return v, ok
}

// fileValue checks a value read from the file against the setting, as
// `config set` would have, and returns its canonical text.
func (s *setting) fileValue(raw any) (string, error) {
	var text string
	switch v := raw.(type) {
	case bool:
		if s.Kind != kindBool {
			return "", fmt.Errorf("want %s, not %v", s.Kind, v)
		}
		text = strconv.FormatBool(v)
	case int64:
		if s.Kind != kindInt {
			return "", fmt.Errorf("want %s, not %d", s.Kind, v)
		}
		text = strconv.FormatInt(v, 10)
	case string:
		if s.Kind != kindString {
			return "", fmt.Errorf("want %s, not the string %q", s.Kind, v)
		}
		text = v
	default:
		return "", fmt.Errorf("want %s", s.Kind)
	}
	canon, _, err := s.Parse(text)
	return canon, err
}

// value is a setting's effective value in the file (or its default).
type value struct {
	Text    string
	FromSet bool  // set in the file
	Err     error // the file's value is invalid: Text is the default
}

// values resolves every known setting from the document.
func (d *configDoc) values(ch consent.Channel) map[string]value {
	out := make(map[string]value, len(settings))
	for _, s := range settings {
		v := value{Text: s.Default(ch)}
		if raw, ok := d.lookup(s.Key); ok {
			if text, err := s.fileValue(raw); err != nil {
				v.Err = err
			} else {
				v.Text, v.FromSet = text, true
			}
		}
		out[s.Key] = v
	}
	return out
}

// set stores a typed value (bool, int64 or string) for the setting.
func (d *configDoc) set(s *setting, v any) {
	want := cloneTables(d.data)
	t, _ := want[s.table()].(map[string]any)
	if t == nil {
		t = map[string]any{}
		want[s.table()] = t
	}
	t[s.name()] = v
	d.edit(want, setLine(d.text, s.table(), s.name(), literal(v)))
}

// unset removes the setting from the file, reporting whether it was there.
func (d *configDoc) unset(s *setting) bool {
	if _, ok := d.lookup(s.Key); !ok {
		return false
	}
	want := cloneTables(d.data)
	delete(want[s.table()].(map[string]any), s.name())
	d.edit(want, removeLine(d.text, s.table(), s.name()))
	return true
}

// edit adopts the edited text when it decodes to exactly want (nothing
// else changed); otherwise (a layout the line editor does not handle, such
// as an inline table) it re-encodes want, which keeps every key but not
// the comments.
func (d *configDoc) edit(want map[string]any, text string) {
	var got map[string]any
	if _, err := toml.Decode(text, &got); err == nil && reflect.DeepEqual(got, want) {
		d.text, d.data = text, want
		return
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(want); err == nil {
		d.text, d.data = buf.String(), want
	}
}

// save writes the file atomically, 0600 in a 0700 folder.
func (d *configDoc) save() error {
	return consent.WriteFileAtomic(d.path, []byte(d.text))
}

func cloneTables(m map[string]any) map[string]any {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range out {
		if t, ok := v.(map[string]any); ok {
			out[k] = maps.Clone(t)
		}
	}
	return out
}

// literal is the TOML spelling of a bool, int64 or string.
func literal(v any) string {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range v {
			switch {
			case r == '"' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r < 0x20 || r == 0x7f:
				fmt.Fprintf(&b, `\u%04X`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	panic(fmt.Sprintf("literal: unsupported %T", v))
}

// tableLine matches a [table] header; compiled on first use, as only
// `caro config` edits need it.
var tableLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$`)
})

// isTableLine reports whether a line opens any table ([a], [a.b], [[a]]).
func isTableLine(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " \t"), "[") }

// keyLine matches a `key = ...` line.
func keyLine(key string) *regexp.Regexp {
	return regexp.MustCompile(`^\s*` + regexp.QuoteMeta(key) + `\s*=`)
}

// locate finds the line holding table.key (inside [table], or as a dotted
// key before any table), the header of [table] and its last key line.
func locate(lines []string, table, name string) (found, header, last int) {
	found, header, last = -1, -1, -1
	inTable, atRoot := keyLine(name), keyLine(table+"."+name)
	cur := ""
	for i, l := range lines {
		if m := tableLine().FindStringSubmatch(l); m != nil {
			cur = m[1]
			if cur == table && header < 0 {
				header, last = i, i
			}
			continue
		}
		if isTableLine(l) {
			cur = "\x00" // [[array]] or [a.b]: not ours
			continue
		}
		switch {
		case cur == table && inTable.MatchString(l):
			found = i
		case cur == "" && atRoot.MatchString(l):
			found = i
		}
		if t := strings.TrimSpace(l); cur == table && t != "" && !strings.HasPrefix(t, "#") {
			last = i
		}
	}
	return found, header, last
}

func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if !strings.HasSuffix(lines[len(lines)-1], "\n") {
		lines[len(lines)-1] += "\n"
	}
	return lines
}

// setLine returns text with table.key set to lit, changing one line.
func setLine(text, table, name, lit string) string {
	lines := splitLines(text)
	found, header, last := locate(lines, table, name)
	switch {
	case found >= 0:
		indent := lines[found][:len(lines[found])-len(strings.TrimLeft(lines[found], " \t"))]
		key := name
		if !keyLine(name).MatchString(lines[found]) {
			key = table + "." + name
		}
		lines[found] = indent + key + " = " + lit + "\n"
	case header >= 0:
		lines = append(lines[:last+1], append([]string{name + " = " + lit + "\n"}, lines[last+1:]...)...)
	default:
		if len(lines) > 0 {
			lines = append(lines, "\n")
		}
		lines = append(lines, "["+table+"]\n", name+" = "+lit+"\n")
	}
	return strings.Join(lines, "")
}

// removeLine returns text without the line of table.key.
func removeLine(text, table, name string) string {
	lines := splitLines(text)
	if found, _, _ := locate(lines, table, name); found >= 0 {
		lines = append(lines[:found], lines[found+1:]...)
	}
	return strings.Join(lines, "")
}

package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// The model catalog: command.generated.model_name holds a name from
// models.txt or ModelCustom, never a name the user made up. The file's
// header says how names are normalised and how the catalog is versioned;
// it is parsed and checked once, at init, and never changes afterwards.

// ModelCatalogFile is where the catalog lives in the source tree, for the
// data inventory.
const ModelCatalogFile = "schema/models.txt"

// ModelCustom is what model_name records for a model outside the catalog.
const ModelCustom = "custom"

//go:embed models.txt
var modelsFile string

// maxModelKey bounds the normalised names looked up: a catalog name is at
// most MaxModelNameLen characters, and the packaging words that
// normalisation drops add a few dozen at most. Longer names are not in the
// catalog.
const maxModelKey = 128

type catalog struct {
	version int
	names   []string            // catalog names, in file order
	exact   map[string]struct{} // catalog names as recorded
	byKey   map[string]string   // normalised name or alias -> catalog name
}

var models = func() *catalog {
	c, err := parseCatalog(modelsFile)
	if err != nil {
		panic("schema: " + ModelCatalogFile + ": " + err.Error())
	}
	return c
}()

// ModelCatalogVersion returns the version line of the catalog.
func ModelCatalogVersion() int { return models.version }

// Models returns the catalog names, in the catalog's order. The slice is a
// copy.
func Models() []string { return append([]string(nil), models.names...) }

// IsCatalogModel reports whether s is a catalog name spelled exactly as it
// is recorded. It is one map lookup.
func IsCatalogModel(s string) bool {
	_, ok := models.exact[s]
	return ok
}

// CatalogModel returns the catalog name of a model name as a user passes it
// or a server reports it (qwen2.5-coder:7b-instruct-q4_K_M,
// mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit), normalised as the
// catalog's header says, and whether the catalog has it. It does not
// allocate, and is safe for concurrent use.
func CatalogModel(name string) (string, bool) {
	if _, ok := models.exact[name]; ok {
		return name, true
	}
	var buf [maxModelKey]byte
	key, ok := modelKey(&buf, name)
	if !ok {
		return "", false
	}
	m, ok := models.byKey[string(key)]
	return m, ok
}

// modelKey normalises name into buf: the last path segment, in lower case,
// without packaging words, with its tag. It reports false for a name that
// cannot be in the catalog.
func modelKey(buf *[maxModelKey]byte, name string) ([]byte, bool) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || len(name) > len(buf) {
		return nil, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == ':':
		default:
			return nil, false
		}
		buf[i] = c
	}
	k := buf[:len(name)]
	base, tag := k, k[:0]
	if i := bytes.IndexByte(k, ':'); i >= 0 {
		base, tag = k[:i], k[i+1:]
	}
	base, tag = trimPackaging(base), trimPackaging(tag)
	if string(tag) == "latest" {
		tag = tag[:0]
	}
	if len(base) == 0 {
		return nil, false
	}
	if len(tag) == 0 {
		return base, true
	}
	n := len(base)
	buf[n] = ':'
	copy(buf[n+1:], tag) // the tag lies at or after n+1: copy moves it down
	return buf[:n+1+len(tag)], true
}

// trimPackaging drops the packaging words at the end of b (see
// isPackaging), each after a '-', '_' or '.', as often as they occur. A b
// that is only such a word becomes empty.
func trimPackaging(b []byte) []byte {
	for {
		cut := -1
		for i := len(b) - 1; i >= 0; i-- {
			if c := b[i]; (c == '-' || c == '_' || c == '.') && isPackaging(b[i+1:]) {
				cut = i
				break
			}
		}
		if cut < 0 {
			if isPackaging(b) {
				return b[:0]
			}
			return b
		}
		b = b[:cut]
	}
}

// packagingWords are the quantisation, precision and file-format words that
// name how a model was converted, not which model it is.
var packagingWords = map[string]struct{}{
	"bf16": {}, "fp16": {}, "f16": {}, "fp32": {}, "f32": {}, "fp8": {}, "int4": {}, "int8": {}, "mxfp4": {},
	"qat": {}, "dwq": {}, "awq": {}, "gptq": {}, "exl2": {}, "mlx": {}, "gguf": {}, "ggml": {}, "bin": {},
	"safetensors": {},
}

// isPackaging reports whether w (lower case) is a packaging word: one of
// packagingWords, Nbit (4bit), or a GGUF quantisation (q4_k_m, q8_0,
// iq4_xs: an optional i, a q, a digit, then letters, digits and '_').
func isPackaging(w []byte) bool {
	if len(w) == 0 {
		return false
	}
	if _, ok := packagingWords[string(w)]; ok {
		return true
	}
	if n := len(w); n > 3 && string(w[n-3:]) == "bit" {
		for _, c := range w[:n-3] {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if w[0] == 'i' {
		w = w[1:]
	}
	if len(w) < 2 || w[0] != 'q' || w[1] < '0' || w[1] > '9' {
		return false
	}
	for _, c := range w[2:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseCatalog reads models.txt and checks its rules: a version line
// first, names of the recorded shape that are their own normalised form,
// and no spelling that normalises to two different names.
func parseCatalog(text string) (*catalog, error) {
	c := &catalog{exact: map[string]struct{}{}, byKey: map[string]string{}}
	add := func(spelling, name string, no int) error {
		var buf [maxModelKey]byte
		key, ok := modelKey(&buf, spelling)
		if !ok || strings.ContainsAny(spelling, `/\`) {
			return fmt.Errorf("line %d: %q is not a model name", no, spelling)
		}
		if prev, dup := c.byKey[string(key)]; dup && prev != name {
			return fmt.Errorf("line %d: %q means both %s and %s", no, spelling, prev, name)
		}
		c.byKey[string(key)] = name
		return nil
	}
	for no, line := range strings.Split(text, "\n") {
		no++
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if c.version == 0 {
			if len(f) != 2 || f[0] != "version" {
				return nil, fmt.Errorf("line %d: want \"version N\" first, got %q", no, line)
			}
			v, err := strconv.Atoi(f[1])
			if err != nil || v <= 0 {
				return nil, fmt.Errorf("line %d: want \"version N\" first, got %q", no, line)
			}
			c.version = v
			continue
		}
		name := f[0]
		if !recordableModel(name) {
			return nil, fmt.Errorf("line %d: %q is not a recordable model name (letters, digits, . - _ :, at most %d characters)",
				no, name, MaxModelNameLen)
		}
		var buf [maxModelKey]byte
		if key, ok := modelKey(&buf, name); !ok || string(key) != strings.ToLower(name) {
			return nil, fmt.Errorf("line %d: %q is not its own normalised form (%q)", no, name, key)
		}
		if _, dup := c.exact[name]; dup {
			return nil, fmt.Errorf("line %d: %q twice", no, name)
		}
		c.exact[name] = struct{}{}
		c.names = append(c.names, name)
		for _, s := range f {
			if err := add(s, name, no); err != nil {
				return nil, err
			}
		}
	}
	if c.version == 0 {
		return nil, fmt.Errorf("no version line")
	}
	if _, clash := c.byKey[ModelCustom]; clash {
		return nil, fmt.Errorf("%q is reserved for models outside the catalog", ModelCustom)
	}
	return c, nil
}

// recordableModel is the shape of a recorded model name: it starts with a
// letter or digit and holds only letters, digits and . - _ :.
func recordableModel(s string) bool {
	if s == "" || len(s) > MaxModelNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || strings.IndexByte(".-_:", c) < 0) {
			return false
		}
	}
	return true
}

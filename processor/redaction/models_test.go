package redaction_test

import (
	"os"
	"strings"
	"testing"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

func TestModelNamesAreRecordedAsCatalogNamesOrCustom(t *testing.T) {
	gen := validAttrs(mustEvent(t, schema.EventCommandGenerated))
	tests := []struct {
		name, in, want string
		changed        bool
	}{
		{"a password is recorded as custom", "hunter2", schema.ModelCustom, true},
		{"a short Stripe key is recorded as custom", "sk_live_abc123", schema.ModelCustom, true},
		{"a short GitHub token is recorded as custom", "ghp_abc123xyz", schema.ModelCustom, true},
		{"a host name is recorded as custom", "DESKTOP-7Q2KX9L", schema.ModelCustom, true},
		{"a phone number is recorded as custom", "415-555-0132", schema.ModelCustom, true},
		{"a client's fine-tune is recorded as custom", "acme-corp-qwen2.5-coder:7b", schema.ModelCustom, true},
		{"a name with a comma is recorded as custom", "qwen,llama", schema.ModelCustom, true},
		{"a name with a non-ascii letter is recorded as custom", "qwén", schema.ModelCustom, true},
		{"a name that starts with a dash is recorded as custom", "-qwen", schema.ModelCustom, true},
		{"an empty name is recorded as custom", "", schema.ModelCustom, true},
		{"custom stays custom", schema.ModelCustom, schema.ModelCustom, false},
		{"a catalog name is kept", "qwen2.5-coder:1.5b", "qwen2.5-coder:1.5b", false},
		{"a Hugging Face catalog name is kept", "Qwen2.5-Coder-1.5B-Instruct", "Qwen2.5-Coder-1.5B-Instruct", false},
		{"an Ollama quantisation is recorded as its catalog name", "qwen2.5-coder:7b-instruct-q4_K_M", "qwen2.5-coder:7b", true},
		{"another case of a catalog name is recorded as the catalog spells it", "QWEN2.5-CODER-1.5B-INSTRUCT", "Qwen2.5-Coder-1.5B-Instruct", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := redaction.New()
			out, r, changed := v.ApplyChanged(schema.EventCommandGenerated, with(gen, "model_name", schema.String(tt.in)))
			if r != redaction.ReasonNone {
				t.Fatalf("Apply = %v, want none", r)
			}
			if got, _ := get(out, "model_name"); got.Str != tt.want {
				t.Errorf("model_name = %q, want %q", got.Str, tt.want)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if ok := redaction.ValidFormat(schema.FormatModelName, tt.in); ok != !tt.changed {
				t.Errorf("ValidFormat(model name, %q) = %v, want %v", tt.in, ok, !tt.changed)
			}
		})
	}
}

// TestEverySpellingInTheCatalogIsClean reads the catalog file itself, so
// that aliases (which the CLI maps but schema does not list) are held to
// Detect too: the client and the collector then agree on every one.
func TestEverySpellingInTheCatalogIsClean(t *testing.T) {
	b, err := os.ReadFile("../../" + schema.ModelCatalogFile)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "version" {
			continue
		}
		for _, s := range f {
			n++
			if r := redaction.Detect(s); r != redaction.ReasonNone {
				t.Errorf("Detect(%q) = %v: the collector would reject what the client records", s, r)
			}
		}
	}
	if n < len(schema.Models()) {
		t.Fatalf("read %d spellings for %d catalog names", n, len(schema.Models()))
	}
}

func TestEveryCatalogNameIsAcceptedUnchanged(t *testing.T) {
	v := redaction.New()
	gen := validAttrs(mustEvent(t, schema.EventCommandGenerated))
	for _, m := range schema.Models() {
		t.Run(m+" is accepted unchanged", func(t *testing.T) {
			out, r, changed := v.ApplyChanged(schema.EventCommandGenerated, with(gen, "model_name", schema.String(m)))
			if got, _ := get(out, "model_name"); r != redaction.ReasonNone || changed || got.Str != m {
				t.Errorf("Apply = %v, changed %v, model_name %q", r, changed, got.Str)
			}
		})
	}
}

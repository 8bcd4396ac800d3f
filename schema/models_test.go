package schema

import (
	"strings"
	"testing"
)

func TestTheModelCatalogIsVersionedAndLarge(t *testing.T) {
	if v := ModelCatalogVersion(); v < 1 {
		t.Errorf("catalog version %d, want at least 1", v)
	}
	names := Models()
	if len(names) < 100 {
		t.Errorf("the catalog has %d names, want at least 100", len(names))
	}
	names[0] = "mutated"
	if Models()[0] == "mutated" {
		t.Error("Models returns the catalog's own slice")
	}
}

func TestEveryCatalogNameIsRecordedAsItself(t *testing.T) {
	for _, name := range Models() {
		t.Run(name+" is recorded as itself", func(t *testing.T) {
			if !IsCatalogModel(name) {
				t.Errorf("IsCatalogModel(%q) = false", name)
			}
			for _, spelling := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
				if got, ok := CatalogModel(spelling); !ok || got != name {
					t.Errorf("CatalogModel(%q) = %q, %v, want %q", spelling, got, ok, name)
				}
			}
			if !recordableModel(name) || name == ModelCustom {
				t.Errorf("%q cannot be recorded", name)
			}
		})
	}
	if IsCatalogModel(ModelCustom) {
		t.Errorf("%q is in the catalog", ModelCustom)
	}
}

func TestCatalogModelNormalisesPublishedSpellings(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" means not in the catalog
	}{
		{"an Ollama tag is itself", "qwen2.5-coder:1.5b", "qwen2.5-coder:1.5b"},
		{"an Ollama quantisation and its instruct alias reach the size tag", "qwen2.5-coder:7b-instruct-q4_K_M", "qwen2.5-coder:7b"},
		{"an fp16 Ollama tag reaches the size tag", "qwen2.5-coder:7b-instruct-fp16", "qwen2.5-coder:7b"},
		{"a quantisation-aware Ollama tag reaches the size tag", "gemma3:4b-it-qat", "gemma3:4b"},
		{"the latest tag is the bare name", "qwen2.5-coder:latest", "qwen2.5-coder"},
		{"a tag of only a quantisation is the bare name", "llama3.2:Q4_K_M", "llama3.2"},
		{"an Ollama alias tag reaches its size tag", "phi3:mini", "phi3:3.8b"},
		{"upper case is folded", "QWEN2.5-CODER:7B", "qwen2.5-coder:7b"},
		{"a Hugging Face organisation is dropped", "Qwen/Qwen2.5-Coder-1.5B-Instruct", "Qwen2.5-Coder-1.5B-Instruct"},
		{"an MLX conversion is its model", "mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit", "Qwen2.5-Coder-1.5B-Instruct"},
		{"an MLX conversion with mlx in its name is its model", "mlx-community/DeepSeek-Coder-V2-Lite-Instruct-4bit-mlx", "DeepSeek-Coder-V2-Lite-Instruct"},
		{"a bf16 MLX conversion is its model", "mlx-community/Qwen2.5-Coder-7B-Instruct-bf16", "Qwen2.5-Coder-7B-Instruct"},
		{"an MXFP4 MLX conversion is its model", "mlx-community/gpt-oss-20b-MXFP4-Q8", "gpt-oss-20b"},
		{"an MLX conversion of a renamed repository reaches it by alias", "mlx-community/Meta-Llama-3.1-8B-Instruct-4bit", "Llama-3.1-8B-Instruct"},
		{"a GGUF repository through Ollama is its model", "hf.co/bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M", "Qwen2.5-Coder-7B-Instruct"},
		{"a GGUF file name is its model", "qwen2.5-coder-7b-instruct-q4_k_m.gguf", "Qwen2.5-Coder-7B-Instruct"},
		{"a GGUF file name with a dotted quantisation is its model", "mistral-7b-instruct-v0.2.Q4_K_M", "Mistral-7B-Instruct-v0.2"},
		{"an AWQ conversion is its model", "Qwen2.5-Coder-32B-Instruct-AWQ", "Qwen2.5-Coder-32B-Instruct"},
		{"a folder before a catalog name is dropped", "/models/Qwen2.5-Coder-7B-Instruct", "Qwen2.5-Coder-7B-Instruct"},
		{"a Windows folder before a catalog name is dropped", `C:\models\qwen2.5-coder-7b-instruct-q4_k_m.gguf`, "Qwen2.5-Coder-7B-Instruct"},
		{"the spec's embedded model is in the catalog", "Qwen2.5-Coder-1.5B", "Qwen2.5-Coder-1.5B"},
		{"a password is not in the catalog", "hunter2", ""},
		{"a Stripe key is not in the catalog", "sk_live_abc123", ""},
		{"a GitHub token is not in the catalog", "ghp_abc123xyz", ""},
		{"a host name is not in the catalog", "DESKTOP-7Q2KX9L", ""},
		{"a phone number is not in the catalog", "415-555-0132", ""},
		{"a client's fine-tune is not in the catalog", "acme-corp-qwen2.5-coder:7b", ""},
		{"an unknown tag of a catalog model is not in the catalog", "qwen2.5-coder:7b-acme", ""},
		{"a custom model is not in the catalog", "custom", ""},
		{"a name with a space is not in the catalog", "qwen2.5-coder 7b", ""},
		{"a name ending in a slash is not in the catalog", "Qwen/", ""},
		{"an empty name is not in the catalog", "", ""},
		{"only packaging words are not in the catalog", "q4_K_M", ""},
		{"a very long name is not in the catalog", strings.Repeat("qwen2.5-coder-", 20), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CatalogModel(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("CatalogModel(%q) = %q, %v, want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestCatalogModelDoesNotAllocate(t *testing.T) {
	for _, in := range []string{"qwen2.5-coder:1.5b", "mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit", "hunter2"} {
		if n := testing.AllocsPerRun(100, func() { CatalogModel(in) }); n != 0 {
			t.Errorf("CatalogModel(%q) allocates %v times", in, n)
		}
	}
}

func TestParseCatalogRefusesABrokenCatalog(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"a catalog without a version line is refused", "qwen3:8b\n", "version"},
		{"a version that is not a number is refused", "version one\nqwen3:8b\n", "version"},
		{"a name twice is refused", "version 1\nqwen3:8b\nqwen3:8b\n", "twice"},
		{"a name that is not its normalised form is refused", "version 1\nqwen3:8b-q4_K_M\n", "normalised"},
		{"a name with an organisation is refused", "version 1\nQwen/Qwen3-8B\n", "recordable"},
		{"a name longer than a model name may be is refused", "version 1\n" + strings.Repeat("a", MaxModelNameLen+1) + "\n", "recordable"},
		{"a spelling of two names is refused", "version 1\nQwen3-8B\nqwen3-8b-chat qwen3-8b\n", "means both"},
		{"an alias with a folder is refused", "version 1\nqwen3:8b models/qwen3-8b\n", "not a model name"},
		{"custom as a name is refused", "version 1\ncustom\n", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCatalog(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseCatalog = %v, want an error about %q", err, tt.want)
			}
		})
	}
	c, err := parseCatalog("# a comment\nversion 3\nqwen3:8b   qwen3:8b-instruct # trailing comment\n")
	if err != nil || c.version != 3 || len(c.names) != 1 || c.byKey["qwen3:8b-instruct"] != "qwen3:8b" {
		t.Errorf("parseCatalog of a good catalog = %+v, %v", c, err)
	}
}

// BenchmarkCatalogModel prints the cost of the lookups that the redaction
// processor makes per command.generated.
func BenchmarkCatalogModel(b *testing.B) {
	for _, in := range []string{"qwen2.5-coder:1.5b", "qwen2.5-coder:7b-instruct-q4_K_M",
		"mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit", "hunter2"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CatalogModel(in)
			}
		})
	}
}

// FuzzCatalogModel checks that any string is either not in the catalog or
// mapped to a catalog name that maps to itself.
func FuzzCatalogModel(f *testing.F) {
	for _, s := range []string{"qwen2.5-coder:7b-instruct-q4_K_M", "mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit",
		"hunter2", "q4_K_M", "Qwen/", ":latest", "a:b:c", `C:\models\x.gguf`} {
		f.Add(s)
	}
	for _, m := range Models() {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := CatalogModel(s)
		if !ok {
			if m != "" {
				t.Fatalf("CatalogModel(%q) = %q without a match", s, m)
			}
			return
		}
		if !IsCatalogModel(m) {
			t.Fatalf("CatalogModel(%q) = %q, not a catalog name", s, m)
		}
		if again, _ := CatalogModel(m); again != m {
			t.Fatalf("CatalogModel(%q) = %q, but CatalogModel(%q) = %q", s, m, m, again)
		}
	})
}

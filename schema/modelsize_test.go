package schema

import (
	"slices"
	"strings"
	"testing"
)

func TestModelSizeClass(t *testing.T) {
	tests := []struct {
		name, model, want string
	}{
		{"an Ollama size tag gives the class", "qwen2.5-coder:7b", ModelSize4To10B},
		{"a fractional size tag gives the class", "qwen2.5-coder:1.5b", ModelSize1To4B},
		{"a size under a billion is the smallest class", "qwen2.5-coder:0.5b", ModelSizeUnder1B},
		{"millions of parameters are under a billion", "smollm2:135m", ModelSizeUnder1B},
		{"a lower bound belongs to its class", "qwen3:4b", ModelSize4To10B},
		{"a size tag followed by more words gives the class", "phi3:3.8b-mini-128k-instruct", ModelSize1To4B},
		{"a Hugging Face name states its size in upper case", "Qwen2.5-Coder-32B-Instruct", ModelSize10To40B},
		{"a version before the size is not the size", "Meta-Llama-3-8B-Instruct", ModelSize4To10B},
		{"a mixture of experts counts every expert", "mixtral:8x7b", ModelSize40BPlus},
		{"a mixture named by total and active parameters counts the total", "Qwen3-Coder-30B-A3B-Instruct", ModelSize10To40B},
		{"a context length is not a size", "Phi-3-mini-128k-instruct", ModelSizeUnknown},
		{"a bare Ollama name states no size", "qwen2.5-coder", ModelSizeUnknown},
		{"a custom model has no known size", ModelCustom, ModelSizeUnknown},
		{"a name outside the catalog has no known size, whatever it says", "my-private-7b", ModelSizeUnknown},
		{"no name has no known size", "", ModelSizeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ModelSizeClass(tt.model); got != tt.want {
				t.Errorf("ModelSizeClass(%q) = %q, want %q", tt.model, got, tt.want)
			}
		})
	}
}

// TestEveryOllamaSizeTagHasASizeClass: an Ollama tag that starts with a
// digit is the model's size (qwen3:30b, codellama:7b-python), so a catalog
// entry added with such a tag gets a class, or this test says why not.
func TestEveryOllamaSizeTagHasASizeClass(t *testing.T) {
	for _, name := range Models() {
		class := ModelSizeClass(name)
		if !slices.Contains(ModelSizeClasses(), class) {
			t.Errorf("%s: class %q is not in ModelSizeClasses", name, class)
		}
		_, tag, ok := strings.Cut(name, ":")
		if ok && tag[0] >= '0' && tag[0] <= '9' && class == ModelSizeUnknown {
			t.Errorf("%s: its tag states a size, yet its class is unknown", name)
		}
	}
}

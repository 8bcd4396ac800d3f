package schema

import (
	"strconv"
	"strings"
)

// Model size classes: what the catalog knows of a recorded model's size,
// for segmenting inference latency by model size (the spec's Inference
// Latency P95 "by backend, model size, platform"). Nothing about the size
// is recorded: it is read from the catalog name, which states the
// parameter count for nearly every entry (qwen2.5-coder:7b,
// Qwen2.5-Coder-1.5B-Instruct, mixtral:8x7b, smollm2:135m).

// The size classes, by parameter count in billions, each from its lower
// bound (included) to the next class's (excluded). The bands follow where
// a model can run: under 1B anywhere, up to 4B on a laptop's CPU, up to
// 10B on one consumer GPU or an Apple laptop, up to 40B on a workstation,
// beyond that on a server.
const (
	ModelSizeUnder1B = "0-1b"
	ModelSize1To4B   = "1-4b"
	ModelSize4To10B  = "4-10b"
	ModelSize10To40B = "10-40b"
	ModelSize40BPlus = "40b+"
	// ModelSizeUnknown is the class of a name that states no size (the
	// bare Ollama name qwen2.5-coder, whose "latest" changes over time;
	// phi-4), of ModelCustom and of any name outside the catalog.
	ModelSizeUnknown = "unknown"
)

// ModelSizeClasses lists every class, smallest first, ModelSizeUnknown
// last.
func ModelSizeClasses() []string {
	return []string{ModelSizeUnder1B, ModelSize1To4B, ModelSize4To10B, ModelSize10To40B, ModelSize40BPlus,
		ModelSizeUnknown}
}

// ModelSizeClass returns the size class of a recorded model_name.
func ModelSizeClass(name string) string {
	if !IsCatalogModel(name) {
		return ModelSizeUnknown
	}
	b, ok := ModelParams(name)
	switch {
	case !ok:
		return ModelSizeUnknown
	case b < 1:
		return ModelSizeUnder1B
	case b < 4:
		return ModelSize1To4B
	case b < 10:
		return ModelSize4To10B
	case b < 40:
		return ModelSize10To40B
	}
	return ModelSize40BPlus
}

// ModelParams returns the parameter count, in billions, that a model name
// states, and whether it states one: the first of its words (split at '-',
// '_' and ':') written N, N.N or KxN followed by b or m, in any case (7b,
// 1.5B, 135m; 8x7b counts all experts, 56). A mixture of experts named by
// total and active parameters (30B-A3B) counts the total, which is what
// must fit in memory. Words such as 128k (a context length) or v0.1 are
// not sizes.
func ModelParams(name string) (float64, bool) {
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return r == '-' || r == '_' || r == ':'
	}) {
		if b, ok := paramWord(w); ok {
			return b, true
		}
	}
	return 0, false
}

// paramWord reads one word of a name as a parameter count in billions.
func paramWord(w string) (float64, bool) {
	if len(w) < 2 {
		return 0, false
	}
	scale := 1.0
	switch w[len(w)-1] {
	case 'b':
	case 'm':
		scale = 1e-3
	default:
		return 0, false
	}
	num := w[:len(w)-1]
	experts := 1.0
	if k, n, ok := strings.Cut(num, "x"); ok {
		e, err := strconv.Atoi(k)
		if err != nil || e < 1 {
			return 0, false
		}
		experts, num = float64(e), n
	}
	if num == "" || num[0] < '0' || num[0] > '9' {
		return 0, false
	}
	for i := 0; i < len(num); i++ {
		if (num[i] < '0' || num[i] > '9') && num[i] != '.' {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return experts * v * scale, true
}

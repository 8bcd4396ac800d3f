package cli

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"caro.sh/telemetry/internal/backend"
	"caro.sh/telemetry/internal/consent"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

// kind is the TOML type of a setting.
type kind int

const (
	kindString kind = iota
	kindBool
	kindInt
)

func (k kind) String() string {
	switch k {
	case kindBool:
		return "true or false"
	case kindInt:
		return "a whole number"
	}
	return "a string"
}

// setting is one key of config.toml that `caro config` knows.
type setting struct {
	Key  string // table.key
	Kind kind
	// Doc says what the setting is, not its values: an invalid value's
	// error lists those.
	Doc string
	// Default returns the default, as canonical text, for the channel.
	Default func(consent.Channel) string
	// Parse checks a value given as text and returns its canonical text and
	// the typed value to store (bool, int64 or string).
	Parse func(string) (string, any, error)
}

func (s *setting) table() string { return s.Key[:strings.IndexByte(s.Key, '.')] }
func (s *setting) name() string  { return s.Key[strings.IndexByte(s.Key, '.')+1:] }

// cliBackends are the schema's backends that this CLI implements.
var cliBackends = []schema.Backend{schema.BackendStatic, schema.BackendOllama, schema.BackendVLLM}

// Models asked for when backend.model is unset: the spec's model, as each
// server names it.
const (
	defaultOllamaModel = "qwen2.5-coder:1.5b"
	defaultVLLMModel   = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
)

func constant(v string) func(consent.Channel) string {
	return func(consent.Channel) string { return v }
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// settings is every key `caro config` accepts, in the order `list` shows
// them. Telemetry values are checked by sdk.FileTelemetry.Validate (the
// check LoadConfig applies to the file, so a value `config set` accepts
// keeps telemetry working); enum values come from package schema.
var settings = []*setting{
	{Key: "telemetry.enabled", Kind: kindBool, Doc: "record anonymous usage metrics",
		Default: func(ch consent.Channel) string { return strconv.FormatBool(ch.DefaultEnabled()) },
		Parse: telemetryValue(kindBool, func(f *sdk.FileTelemetry, v any) {
			b := v.(bool)
			f.Enabled = &b
		})},
	{Key: "telemetry.level", Kind: kindString, Doc: "the collection level",
		Default: constant(sdk.DefaultLevel.String()),
		Parse: telemetryValue(kindString, func(f *sdk.FileTelemetry, v any) {
			s := v.(string)
			f.Level = &s
		})},
	{Key: "telemetry.batch_interval_hours", Kind: kindInt, Doc: "hours between uploads",
		Default: constant(strconv.Itoa(sdk.DefaultBatchIntervalHours)),
		Parse: telemetryValue(kindInt, func(f *sdk.FileTelemetry, v any) {
			n := int(v.(int64))
			f.BatchIntervalHours = &n
		})},
	{Key: "telemetry.offline_spool_max_mb", Kind: kindInt, Doc: "size cap of the local spool, in MB",
		Default: constant(strconv.Itoa(sdk.DefaultSpoolMaxMB)),
		Parse: telemetryValue(kindInt, func(f *sdk.FileTelemetry, v any) {
			n := int(v.(int64))
			f.OfflineSpoolMaxMB = &n
		})},
	{Key: "telemetry.air_gapped", Kind: kindBool, Doc: "keep events on this machine, never upload (export by hand)",
		Default: constant("false"),
		Parse: telemetryValue(kindBool, func(f *sdk.FileTelemetry, v any) {
			b := v.(bool)
			f.AirGapped = &b
		})},
	{Key: "telemetry.endpoint", Kind: kindString, Doc: "upload URL",
		Default: constant(sdk.DefaultEndpoint),
		Parse: telemetryValue(kindString, func(f *sdk.FileTelemetry, v any) {
			s := v.(string)
			f.Endpoint = &s
		})},
	{Key: "backend.primary", Kind: kindString, Doc: "the backend that generates commands",
		Default: constant(string(schema.BackendStatic)), Parse: enumValue(strs(cliBackends))},
	{Key: "backend.fallback", Kind: kindBool, Doc: "fall back to the static backend when a remote one fails",
		Default: constant("true"), Parse: boolValue},
	{Key: "backend.ollama_url", Kind: kindString, Doc: "Ollama server URL",
		Default: constant(backend.DefaultOllamaURL), Parse: urlValue},
	{Key: "backend.vllm_url", Kind: kindString, Doc: "vLLM (OpenAI-compatible) server URL",
		Default: constant(backend.DefaultVLLMURL), Parse: urlValue},
	{Key: "backend.model", Kind: kindString, Doc: "model for ollama and vllm (empty: " + defaultOllamaModel + " or " + defaultVLLMModel + ")",
		Default: constant(""), Parse: modelValue},
	{Key: "safety.level", Kind: kindString, Doc: "how strict the safety check is",
		Default: constant(string(schema.SafetyModerate)), Parse: enumValue(strs(schema.SafetyLevels()))},
	{Key: "output.format", Kind: kindString, Doc: "how the command is printed",
		Default: constant(string(schema.OutputPlain)), Parse: enumValue(strs(schema.OutputFormats()))},
}

func lookupSetting(key string) (*setting, bool) {
	for _, s := range settings {
		if s.Key == key {
			return s, true
		}
	}
	return nil, false
}

// parseTyped reads a value of kind k from text.
func parseTyped(k kind, s string) (string, any, error) {
	switch k {
	case kindBool:
		b, err := sdk.ParseBool(s)
		if err != nil {
			return "", nil, err
		}
		return strconv.FormatBool(b), b, nil
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("%q is not a whole number", s)
		}
		return strconv.FormatInt(n, 10), n, nil
	}
	return s, s, nil
}

func telemetryValue(k kind, put func(*sdk.FileTelemetry, any)) func(string) (string, any, error) {
	return func(text string) (string, any, error) {
		canon, v, err := parseTyped(k, text)
		if err != nil {
			return "", nil, err
		}
		var f sdk.FileTelemetry
		put(&f, v)
		if err := f.Validate(); err != nil {
			// Validate names the key itself; the caller adds it again.
			msg := err.Error()
			if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "telemetry.") {
				msg = msg[i+2:]
			}
			return "", nil, fmt.Errorf("%s", msg)
		}
		return canon, v, nil
	}
}

func boolValue(text string) (string, any, error) { return parseTyped(kindBool, text) }

func enumValue(allowed []string) func(string) (string, any, error) {
	return func(text string) (string, any, error) {
		v := strings.ToLower(strings.TrimSpace(text))
		if !slices.Contains(allowed, v) {
			return "", nil, fmt.Errorf("%q is not one of %s", text, strings.Join(allowed, ", "))
		}
		return v, v, nil
	}
}

func urlValue(text string) (string, any, error) {
	u, err := url.Parse(text)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, fmt.Errorf("%q is not an http(s) URL such as %s", text, backend.DefaultOllamaURL)
	}
	return text, text, nil
}

// isModelName reports whether s starts with a letter or digit and holds
// only letters, digits and the given punctuation.
func isModelName(s, punct string) bool {
	for i, c := range []byte(s) {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || strings.IndexByte(punct, c) < 0) {
			return false
		}
	}
	return s != ""
}

// modelValue accepts what Ollama and vLLM take as model names in practice:
// llama3.2:3b, Qwen/Qwen2.5-Coder-1.5B-Instruct.
func modelValue(text string) (string, any, error) {
	if strings.Contains(text, "://") {
		return "", nil, fmt.Errorf("%q is a URL, not a model name; set the server with backend.ollama_url or backend.vllm_url", text)
	}
	if text != "" && (len(text) > 100 || !isModelName(text, "._:/@-")) {
		return "", nil, fmt.Errorf("%q is not a model name such as llama3.2:3b or Qwen/Qwen2.5-Coder-1.5B-Instruct", text)
	}
	return text, text, nil
}

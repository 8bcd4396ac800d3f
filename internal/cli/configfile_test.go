package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caro.sh/telemetry/internal/consent"
)

func TestConfigEditsKeepTheRestOfTheFile(t *testing.T) {
	const spec = `# ~/.config/caro/config.toml
[telemetry]
# Master switch (default: true for beta, false for GA)
enabled = true

# Collection level
level = "standard"

[backend]
primary = "ollama" # my GPU box
`
	tests := []struct {
		name  string
		start string
		key   string
		value any
		unset bool
		want  string
	}{
		{name: "a set key is changed in place, comments kept", start: spec, key: "telemetry.enabled", value: false,
			want: strings.Replace(spec, "enabled = true", "enabled = false", 1)},
		{name: "a new key joins its table after the table's last key", start: spec, key: "telemetry.air_gapped", value: true,
			want: strings.Replace(spec, "level = \"standard\"\n", "level = \"standard\"\nair_gapped = true\n", 1)},
		{name: "a new table is appended", start: spec, key: "safety.level", value: "strict",
			want: spec + "\n[safety]\nlevel = \"strict\"\n"},
		{name: "an empty file gets the table", start: "", key: "telemetry.enabled", value: false,
			want: "[telemetry]\nenabled = false\n"},
		{name: "a dotted key at the top is changed where it is", start: "telemetry.level = \"minimal\"\n", key: "telemetry.level", value: "detailed",
			want: "telemetry.level = \"detailed\"\n"},
		{name: "unset removes the one line", start: spec, key: "backend.primary", unset: true,
			want: strings.Replace(spec, "primary = \"ollama\" # my GPU box\n", "", 1)},
		{name: "strings are quoted for TOML", start: "", key: "backend.model", value: `we"ird\name`,
			want: "[backend]\nmodel = \"we\\\"ird\\\\name\"\n"},
		{name: "a file without a final newline still gets a clean line", start: "[telemetry]\nlevel = \"minimal\"", key: "telemetry.enabled", value: true,
			want: "[telemetry]\nlevel = \"minimal\"\nenabled = true\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := readConfigText(t, tt.start)
			s, ok := lookupSetting(tt.key)
			if !ok {
				t.Fatalf("no setting %s", tt.key)
			}
			if tt.unset {
				if !doc.unset(s) {
					t.Fatal("unset found nothing")
				}
			} else {
				doc.set(s, tt.value)
			}
			if doc.text != tt.want {
				t.Errorf("text:\n%s\nwant:\n%s", doc.text, tt.want)
			}
		})
	}
}

// readConfigText writes text to a config.toml of its own and reads it.
func readConfigText(t *testing.T, text string) *configDoc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := readConfigDoc(path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestConfigEditFallsBackToReencodingForInlineTables(t *testing.T) {
	doc := readConfigText(t, "telemetry = { enabled = true, level = \"minimal\" }\nother = 3\n")
	s, _ := lookupSetting("telemetry.enabled")
	doc.set(s, false)
	if err := doc.save(); err != nil {
		t.Fatal(err)
	}
	again, err := readConfigDoc(doc.path)
	if err != nil {
		t.Fatal(err)
	}
	vals := again.values(consent.Beta)
	if vals["telemetry.enabled"].Text != "false" || vals["telemetry.level"].Text != "minimal" {
		t.Errorf("after the edit: %+v", vals)
	}
	if v, ok := again.data["other"]; !ok || v != int64(3) {
		t.Errorf("the unrelated key was lost: %v", again.data)
	}
}

func TestFileValuesAreChecked(t *testing.T) {
	doc := readConfigText(t, "[backend]\nprimary = \"magic\"\nfallback = \"yes\"\n[safety]\nlevel = \"strict\"\n")
	vals := doc.values(consent.GA)
	if v := vals["backend.primary"]; v.Err == nil || v.Text != "static" {
		t.Errorf("backend.primary = %+v, want an error and the default", v)
	}
	if v := vals["backend.fallback"]; v.Err == nil || v.Text != "true" {
		t.Errorf("backend.fallback = %+v, want an error (a string for a bool) and the default", v)
	}
	if v := vals["safety.level"]; v.Err != nil || !v.FromSet || v.Text != "strict" {
		t.Errorf("safety.level = %+v", v)
	}
	if v := vals["telemetry.enabled"]; v.Text != "false" {
		t.Errorf("GA default of telemetry.enabled = %q, want false", v.Text)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		typo string
		want string
	}{
		{"telemetry.enabeld", `"telemetry.enabled"`},
		{"telemetry.enable", `"telemetry.enabled"`},
		{"enabled", `"telemetry.enabled"`},
		{"level", `"telemetry.level", "safety.level"`},
		{"backend.primry", `"backend.primary"`},
		{"output.fromat", `"output.format"`},
		{"completely.unrelated.thing", ``},
	}
	for _, tt := range tests {
		t.Run(tt.typo, func(t *testing.T) {
			got := ""
			if s := suggest(tt.typo); len(s) > 0 {
				got = quoteJoinComma(s)
			}
			if got != tt.want {
				t.Errorf("suggest(%q) = %s, want %s", tt.typo, got, tt.want)
			}
		})
	}
}

func quoteJoinComma(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = `"` + k + `"`
	}
	return strings.Join(q, ", ")
}

func TestSettingValidation(t *testing.T) {
	tests := []struct {
		key, value string
		want       string // canonical value, or "" for an error
	}{
		{"telemetry.enabled", "no", "false"},
		{"telemetry.enabled", "1", "true"},
		{"telemetry.enabled", "perhaps", ""},
		{"telemetry.level", "minimal", "minimal"},
		{"telemetry.level", "everything", ""},
		{"telemetry.batch_interval_hours", "48", "48"},
		{"telemetry.batch_interval_hours", "0", ""},
		{"telemetry.batch_interval_hours", "soon", ""},
		{"telemetry.offline_spool_max_mb", "1", "1"},
		{"telemetry.offline_spool_max_mb", "100000", ""},
		{"telemetry.endpoint", "https://telemetry.example.org", "https://telemetry.example.org"},
		{"telemetry.endpoint", "ftp://x", ""},
		{"backend.primary", "OLLAMA", "ollama"},
		{"backend.primary", "embedded-mlx", ""},
		{"backend.ollama_url", "http://gpu-box:11434", "http://gpu-box:11434"},
		{"backend.ollama_url", "gpu-box", ""},
		{"backend.model", "Qwen/Qwen2.5-Coder-1.5B-Instruct", "Qwen/Qwen2.5-Coder-1.5B-Instruct"},
		{"backend.model", "rm -rf /", ""},
		{"safety.level", "permissive", "permissive"},
		{"safety.level", "off", ""},
		{"output.format", "json", "json"},
		{"output.format", "xml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			s, _ := lookupSetting(tt.key)
			got, _, err := s.Parse(tt.value)
			if tt.want == "" {
				if err == nil {
					t.Errorf("accepted %q as %q", tt.value, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
			}
		})
	}
}

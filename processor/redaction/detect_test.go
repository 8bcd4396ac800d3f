package redaction_test

import (
	"strings"
	"testing"

	"caro.sh/telemetry/processor/redaction"
	"caro.sh/telemetry/schema"
)

func reasonByName(tb testing.TB, name string) redaction.Reason {
	tb.Helper()
	for _, r := range redaction.Reasons() {
		if r.String() == name {
			return r
		}
	}
	tb.Fatalf("no reason named %q", name)
	return redaction.ReasonNone
}

func TestSensitiveFileHasEnoughLines(t *testing.T) {
	if n := len(readLines(t, "testdata/sensitive.txt")); n < 200 {
		t.Fatalf("testdata/sensitive.txt has %d values, want at least 200", n)
	}
	if n := len(readLines(t, "testdata/legit.txt")); n < 50 {
		t.Fatalf("testdata/legit.txt has %d values, want at least 50", n)
	}
}

func TestDetectRejectsEverySensitiveLine(t *testing.T) {
	for _, l := range readLines(t, "testdata/sensitive.txt") {
		t.Run("line "+itoa(l.no)+" is "+l.section, func(t *testing.T) {
			got := redaction.Detect(l.value)
			if got == redaction.ReasonNone {
				t.Fatalf("Detect(%q) = none, want a rejection", l.value)
			}
			if l.section != "any" {
				if want := reasonByName(t, l.section); got != want {
					t.Errorf("Detect(%q) = %v, want %v", l.value, got, want)
				}
			}
		})
	}
}

func TestDetectPassesEveryLegitLine(t *testing.T) {
	for _, l := range readLines(t, "testdata/legit.txt") {
		t.Run("line "+itoa(l.no)+" passes", func(t *testing.T) {
			if got := redaction.Detect(l.value); got != redaction.ReasonNone {
				t.Errorf("Detect(%q) = %v, want none", l.value, got)
			}
		})
	}
}

func TestDetectPassesEveryEnumValue(t *testing.T) {
	for _, v := range schema.EnumValues() {
		t.Run(v+" passes", func(t *testing.T) {
			if got := redaction.Detect(v); got != redaction.ReasonNone {
				t.Errorf("Detect(%q) = %v, want none", v, got)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want redaction.Reason
	}{
		{"an empty string is clean", "", redaction.ReasonNone},
		{"a session id is clean", "0123456789abcdef", redaction.ReasonNone},
		{"a uuid v4 is clean", "f47ac10b-58cc-4372-a567-0e02b2c3d479", redaction.ReasonNone},
		{"an upper-case uuid is clean", "F47AC10B-58CC-4372-A567-0E02B2C3D479", redaction.ReasonNone},
		{"a three-part version is clean", "1.1.0", redaction.ReasonNone},
		{"a four-part dotted number is an ip", "1.1.0.1", redaction.ReasonIP},
		{"a dotted number over 255 is not an ip", "1.2.3.400", redaction.ReasonNone},
		{"a calendar version is not an ip", "2026.1.2.3", redaction.ReasonNone},
		{"a model tag with one colon is not ipv6", "llama3.2:3b", redaction.ReasonNone},
		{"a double colon address is ipv6", "fe80::1", redaction.ReasonIP},
		{"a word.com is a host name", "caro.com", redaction.ReasonURL},
		{"a word.com followed by a dash is a host name", "caro.com-x", redaction.ReasonURL},
		{"a dotted word with a digit is not a host name", "phi3.medium2", redaction.ReasonNone},
		{"a prerelease word is not a host name", "1.0.0-alpha.beta", redaction.ReasonNone},
		{"a short prefix without key material is clean", "sk-small", redaction.ReasonNone},
		{"a prefix inside a word is not a key", "task-" + strings.Repeat("ab", 12), redaction.ReasonNone},
		{"32 hex digits are a secret", strings.Repeat("0123456789abcdef", 2), redaction.ReasonSecret},
		{"a long word-like identifier is clean", "DeepSeek-Coder-V2-Lite-Instruct-GGUF-Q4_K_M", redaction.ReasonNone},
		{"a credential name before a colon is a secret", "github_token:7b", redaction.ReasonSecret},
		{"a credential name inside a word before a colon is clean", "tokenizer:7b", redaction.ReasonNone},
		{"a command name alone is clean", "bash", redaction.ReasonNone},
		{"a command name with an argument is a command", "bash x", redaction.ReasonCommand},
		{"a full path to a command with an argument is a command", "/usr/bin/sudo -i", redaction.ReasonCommand},
		{"an option after a space is a command", "x -v", redaction.ReasonCommand},
		{"a dash inside a word is not an option", "x-v", redaction.ReasonNone},
		{"an assignment is a command", "LANG=C", redaction.ReasonCommand},
		{"a leading dot word is a dot file", ".npmrc", redaction.ReasonPath},
		{"a file name with a known extension is a path", "main.go", redaction.ReasonPath},
		{"a tilde anywhere is a path", "a~b", redaction.ReasonPath},
		{"a user and a host are an e-mail", "alice@laptop", redaction.ReasonEmail},
		{"a mac address counts as an ip", "00:1A:2B:3C:4D:5E", redaction.ReasonIP},
		{"credentials in a url are a secret", "https://u:p@example.com", redaction.ReasonSecret},
		{"non-ascii text is left to the format checks", "héllo", redaction.ReasonNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redaction.Detect(tt.in); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestReasonString(t *testing.T) {
	want := []string{"unknown_event", "missing_required", "type", "enum", "format", "range", "resource",
		"path", "secret", "email", "ip", "url", "command"}
	got := redaction.Reasons()
	if len(got) != len(want) {
		t.Fatalf("Reasons() has %d reasons, want %d", len(got), len(want))
	}
	for i, r := range got {
		t.Run(want[i]+" is named "+want[i], func(t *testing.T) {
			if r.String() != want[i] {
				t.Errorf("Reasons()[%d].String() = %q, want %q", i, r.String(), want[i])
			}
		})
	}
	t.Run("none is named none", func(t *testing.T) {
		if s := redaction.ReasonNone.String(); s != "none" {
			t.Errorf("ReasonNone.String() = %q", s)
		}
	})
	t.Run("an unknown reason names its number", func(t *testing.T) {
		if s := redaction.Reason(200).String(); s != "Reason(200)" {
			t.Errorf("Reason(200).String() = %q", s)
		}
	})
}

package cli

import (
	"testing"

	"caro.sh/telemetry/schema"
)

func TestPolicy(t *testing.T) {
	tests := []struct {
		level schema.SafetyLevel
		risk  schema.RiskLevel
		want  policy
	}{
		{schema.SafetyModerate, schema.RiskSafe, allow},
		{schema.SafetyModerate, schema.RiskModerate, warn},
		{schema.SafetyModerate, schema.RiskHigh, warn},
		{schema.SafetyModerate, schema.RiskCritical, block},
		{schema.SafetyStrict, schema.RiskModerate, warn},
		{schema.SafetyStrict, schema.RiskHigh, block},
		{schema.SafetyStrict, schema.RiskCritical, block},
		{schema.SafetyPermissive, schema.RiskModerate, allow},
		{schema.SafetyPermissive, schema.RiskHigh, warn},
		{schema.SafetyPermissive, schema.RiskCritical, block},
	}
	for _, tt := range tests {
		t.Run(string(tt.level)+" "+string(tt.risk), func(t *testing.T) {
			if got := policyOf(tt.level, tt.risk); got != tt.want {
				t.Errorf("policyOf = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTelemetryModel(t *testing.T) {
	tests := map[string]string{
		"llama3.2:3b":                       "llama3.2:3b",
		"Qwen/Qwen2.5-Coder-1.5B-Instruct":  "Qwen2.5-Coder-1.5B-Instruct",
		"/models/my-secret-model":           "",
		"hf.co/someone/Llama-3.2-1B-GGUF":   "",
		"http://10.1.2.3:11434/llama3":      "",
		"alice@example.com":                 "",
		"qwen2.5:7b token=9f8e7d6c5b4a3928": "",
		"has space":                         "",
		"":                                  "",
		"a-very-long-model-name-that-goes-on-and-on-beyond-fifty-characters": "",
	}
	for in, want := range tests {
		if got := telemetryModel(in); got != want {
			t.Errorf("telemetryModel(%q) = %q, want %q", in, got, want)
		}
	}
}

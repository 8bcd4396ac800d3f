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
	tests := []struct {
		name, in, want string
	}{
		{"an Ollama catalog tag is recorded", "llama3.2:3b", "llama3.2:3b"},
		{"an Ollama quantisation is recorded as its catalog tag", "qwen2.5-coder:7b-instruct-q4_K_M", "qwen2.5-coder:7b"},
		{"a Hugging Face organisation is not recorded", "Qwen/Qwen2.5-Coder-1.5B-Instruct", "Qwen2.5-Coder-1.5B-Instruct"},
		{"an MLX conversion is recorded as its model", "mlx-community/Qwen2.5-Coder-1.5B-Instruct-4bit", "Qwen2.5-Coder-1.5B-Instruct"},
		{"a password is recorded as custom", "hunter2", schema.ModelCustom},
		{"a Stripe key is recorded as custom", "sk_live_abc123", schema.ModelCustom},
		{"a GitHub token is recorded as custom", "ghp_abc123xyz", schema.ModelCustom},
		{"a host name is recorded as custom", "DESKTOP-7Q2KX9L", schema.ModelCustom},
		{"a phone number is recorded as custom", "415-555-0132", schema.ModelCustom},
		{"a path to a private model is recorded as custom", "/models/my-secret-model", schema.ModelCustom},
		{"an e-mail address is recorded as custom", "alice@example.com", schema.ModelCustom},
		{"a name with a token after a space is recorded as custom", "qwen2.5:7b token=9f8e7d6c5b4a3928", schema.ModelCustom},
		{"a name longer than fifty characters is recorded as custom",
			"a-very-long-model-name-that-goes-on-and-on-beyond-fifty-characters", schema.ModelCustom},
		{"no model records nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := telemetryModel(tt.in); got != tt.want {
				t.Errorf("telemetryModel(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestTheDefaultModelsAreInTheCatalog: a user who never sets a model has
// it recorded by name, whatever name the server reports it under.
func TestTheDefaultModelsAreInTheCatalog(t *testing.T) {
	for _, m := range []string{defaultOllamaModel, defaultVLLMModel} {
		t.Run(m+" is in the catalog", func(t *testing.T) {
			if got := telemetryModel(m); got == schema.ModelCustom || got == "" {
				t.Errorf("telemetryModel(%q) = %q", m, got)
			}
		})
	}
}

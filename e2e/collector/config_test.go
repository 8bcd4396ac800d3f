package collector

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryCollectorConfigValidates(t *testing.T) {
	bin := binary(t)
	for _, name := range []string{"gateway.yaml", "airgap.yaml", "local.yaml", "postgres.yaml"} {
		t.Run(name+" passes otelcol-caro validate", func(t *testing.T) {
			cmd := exec.Command(bin, "validate", "--config", configPath(name))
			// postgres.yaml's store comes from the environment only.
			cmd.Env = append(os.Environ(), "CARO_POSTGRES_DSN=postgres://caro@127.0.0.1:5432/caro")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("validate: %v\n%s", err, out)
			}
		})
	}
	t.Run("a broken config fails otelcol-caro validate", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		cfg := "receivers:\n  caro:\n    max_events_per_batch: 0\nexporters:\n  debug:\n" +
			"service:\n  pipelines:\n    logs:\n      receivers: [caro]\n      exporters: [debug]\n"
		if err := os.WriteFile(bad, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "validate", "--config", bad).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "max_events_per_batch") {
			t.Fatalf("validate passed or said %q", out)
		}
	})
}

func TestTheDistributionHasItsComponents(t *testing.T) {
	out, err := exec.Command(binary(t), "components").CombinedOutput()
	if err != nil {
		t.Fatalf("components: %v\n%s", err, out)
	}
	for _, name := range []string{
		"otlp", "caro", // receivers
		"memory_limiter", "batch", "caro_redaction", // processors
		"otlp_http", "debug", "sqlitespool", // exporters
		"file_storage", "health_check", // extensions
	} {
		if !strings.Contains(string(out), "- name: "+name+"\n") {
			t.Errorf("otelcol-caro components lacks %s", name)
		}
	}
	if strings.Contains(string(out), "name: file\n") {
		t.Error("the contrib file exporter is in the distribution; exports are the sqlitespool exporter's")
	}
}

// TestLocalConfigListensOnLoopbackOnly reads local.yaml's addresses.
func TestLocalConfigListensOnLoopbackOnly(t *testing.T) {
	b, err := os.ReadFile(configPath("local.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "endpoint:") || strings.HasPrefix(line, "host:") {
			if !strings.Contains(line, "127.0.0.1") {
				t.Errorf("local.yaml listens beyond loopback: %s", line)
			}
		}
	}
}

package collector

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTheCaroBinaryLinksNoCollectorCode keeps the collector faces in their
// subpackages: the caro CLI must not grow by the collector's dependencies.
func TestTheCaroBinaryLinksNoCollectorCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "caro.sh/telemetry/cmd/caro").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, bad := range []string{"go.opentelemetry.io/collector", "/redactionprocessor", "/sqlitespoolexporter",
			"/caroreceiver", "github.com/open-telemetry/opentelemetry-collector-contrib"} {
			if strings.Contains(pkg, bad) {
				t.Errorf("cmd/caro depends on %s", pkg)
			}
		}
	}
}

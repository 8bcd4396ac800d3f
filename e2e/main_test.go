package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// caroBin is the caro binary built once for the package's tests.
var caroBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "caro-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	caroBin = filepath.Join(dir, "caro")
	build := exec.Command("go", "build", "-o", caroBin, "caro.sh/telemetry/cmd/caro")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build caro:", err)
		return 1
	}
	return m.Run()
}

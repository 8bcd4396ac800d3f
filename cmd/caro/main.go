// Command caro turns natural language into shell commands. The commands
// live in package internal/cli; this file only wires the process to them.
package main

import (
	"os"

	"caro.sh/telemetry/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
}

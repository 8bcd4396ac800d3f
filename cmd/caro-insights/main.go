// Command caro-insights computes the spec's metrics and the Weekly Beta
// Review from the collector's store (SQLite or PostgreSQL). The logic
// lives in package insights; this command only wires flags to it.
package main

import (
	"fmt"
	"os"
)

func main() {
	cmd := newRootCmd()
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "caro-insights:", err)
		os.Exit(1)
	}
}

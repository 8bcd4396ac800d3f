package main

import (
	"encoding/json"
	"fmt"
	"sort"

	"caro.sh/telemetry/store"
	"github.com/spf13/cobra"
)

func newStatsCmd() *cobra.Command {
	var asJSON bool
	c := storeCmd("stats --store PATH|DSN [--json]", "Print how many events the store holds, in all and by type",
		"the store: a SQLite file or a postgres:// DSN", func(c *cobra.Command, s *store.Store) error {
			byType, err := s.CountByType(c.Context())
			if err != nil {
				return err
			}
			var total int64
			names := make([]string, 0, len(byType))
			for name, n := range byType {
				total += n
				names = append(names, name)
			}
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Events int64            `json:"events"`
					ByType map[string]int64 `json:"by_type"`
				}{total, byType})
			}
			sort.Strings(names)
			fmt.Fprintf(c.OutOrStdout(), "events\t%d\n", total)
			for _, name := range names {
				fmt.Fprintf(c.OutOrStdout(), "%s\t%d\n", name, byType[name])
			}
			return nil
		})
	c.Flags().BoolVar(&asJSON, "json", false, `print {"events": N, "by_type": {...}}`)
	return c
}

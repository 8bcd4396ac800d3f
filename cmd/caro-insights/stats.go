package main

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
)

func newStatsCmd() *cobra.Command {
	var where string
	var asJSON bool
	c := &cobra.Command{
		Use:   "stats --store PATH|DSN [--json]",
		Short: "Print how many events the store holds, in all and by type",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := openStore(c.Context(), where)
			if err != nil {
				return err
			}
			defer s.Close()
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
		},
	}
	storeFlag(c, &where, "the store: a SQLite file or a postgres:// DSN")
	c.Flags().BoolVar(&asJSON, "json", false, `print {"events": N, "by_type": {...}}`)
	return c
}

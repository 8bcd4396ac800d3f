package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (r *run) clearCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "clear",
		Short: "Delete every pending event from this machine",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cs, err := r.loadControl()
			if err != nil {
				return err
			}
			sp, err := r.openSpool(c.Context(), cs.cfg)
			if err != nil {
				return err
			}
			if sp == nil {
				fmt.Fprintln(r.env.Stdout, "No events recorded yet; nothing to clear.")
				return nil
			}
			defer sp.Close()
			n, err := sp.Clear(c.Context())
			if err != nil {
				return fail(ExitFailed, "could not clear the telemetry spool: %v", err)
			}
			fmt.Fprintf(r.env.Stdout, "Cleared %d pending events.\n", n)
			return nil
		},
	}
}

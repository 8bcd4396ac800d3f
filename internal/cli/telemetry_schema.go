package cli

import "github.com/spf13/cobra"

func (r *run) schemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "List every event and field that can ever be collected",
		Long: `List every event and field that Caro telemetry can ever collect, with its
collection level, type, allowed values and retention. It is printed from the
same schema that the privacy filter enforces (docs/telemetry-data.md is too).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			writeInventory(r.env.Stdout)
			return nil
		},
	}
}

package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/insights"
	"caro.sh/telemetry/store"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "caro-insights",
		Short:         "Caro telemetry metrics and the weekly beta review",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newWeeklyCmd(), newMetricsCmd(), newRollupCmd(time.Now), newStatsCmd(), newSimulateCmd(time.Now), newServeCmd())
	return root
}

// storeUsage is the help of --store.
const storeUsage = "the collector's store: a SQLite file or a postgres:// DSN"

func newWeeklyCmd() *cobra.Command {
	var week, format string
	c := storeCmd("weekly --store PATH|DSN --week YYYY-Www", "Print the Weekly Beta Review of an ISO week", storeUsage,
		func(c *cobra.Command, s *store.Store) error {
			r, err := insights.WeeklyAt(c.Context(), s, week, time.Now())
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return r.WriteJSON(c.OutOrStdout())
			case "html":
				monday, _ := insights.ParseISOWeek(week)
				charts, err := insights.WeeklyCharts(c.Context(), s, monday)
				if err != nil {
					return err
				}
				return r.WriteHTML(c.OutOrStdout(), charts)
			}
			return r.WriteMarkdown(c.OutOrStdout())
		})
	c.PreRunE = func(*cobra.Command, []string) error {
		if format != "markdown" && format != "json" && format != "html" {
			return fmt.Errorf("--format %q: want markdown, json or html", format)
		}
		return nil
	}
	c.Flags().StringVar(&week, "week", "", "ISO week, e.g. 2026-W47")
	c.Flags().StringVar(&format, "format", "markdown", "markdown, json or html")
	_ = c.MarkFlagRequired("week")
	return c
}

func newMetricsCmd() *cobra.Command {
	var from, to, by, format string
	var first, last time.Time
	c := storeCmd("metrics --store PATH|DSN --from DATE --to DATE [--by backend|platform|run]",
		"Print every metric of the UTC days from DATE to DATE, both included", storeUsage,
		func(c *cobra.Command, s *store.Store) error {
			r, err := insights.Compute(c.Context(), s, first, last.AddDate(0, 0, 1), insights.Segment(by))
			if err != nil {
				return err
			}
			if format == "json" {
				return r.WriteJSON(c.OutOrStdout())
			}
			return r.WriteText(c.OutOrStdout())
		})
	c.PreRunE = func(*cobra.Command, []string) error {
		var err error
		if first, err = time.Parse(time.DateOnly, from); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		if last, err = time.Parse(time.DateOnly, to); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		switch insights.Segment(by) {
		case insights.SegmentNone, insights.SegmentBackend, insights.SegmentPlatform, insights.SegmentRun:
		default:
			return fmt.Errorf("--by %q: want backend, platform or run", by)
		}
		return nil
	}
	c.Flags().StringVar(&from, "from", "", "first UTC day, YYYY-MM-DD")
	c.Flags().StringVar(&to, "to", "", "last UTC day, YYYY-MM-DD (included)")
	c.Flags().StringVar(&by, "by", "", "segment: backend, platform or run")
	c.Flags().StringVar(&format, "format", "text", "text or json")
	for _, f := range []string{"from", "to"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func newRollupCmd(now func() time.Time) *cobra.Command {
	return storeCmd("rollup --store PATH|DSN", "Roll complete UTC days up into daily_metrics (idempotent; needs write access)", storeUsage,
		func(c *cobra.Command, s *store.Store) error {
			res, err := insights.Rollup(c.Context(), s, now())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "rolled up %d days (%d rows)\n", len(res.Days), res.Rows)
			return nil
		})
}

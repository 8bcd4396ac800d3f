package main

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/insights"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "caro-insights",
		Short:         "Caro telemetry metrics and the weekly beta review",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newWeeklyCmd(), newMetricsCmd(), newRollupCmd(time.Now), newSimulateCmd(time.Now))
	return root
}

func newWeeklyCmd() *cobra.Command {
	var db, week, format string
	c := &cobra.Command{
		Use:   "weekly --db PATH --week YYYY-Www",
		Short: "Print the Weekly Beta Review of an ISO week",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "markdown" && format != "json" && format != "html" {
				return fmt.Errorf("--format %q: want markdown, json or html", format)
			}
			d, err := insights.OpenReadOnly(db)
			if err != nil {
				return err
			}
			defer d.Close()
			r, err := insights.WeeklyAt(c.Context(), d, week, time.Now())
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return r.WriteJSON(c.OutOrStdout())
			case "html":
				monday, _ := insights.ParseISOWeek(week)
				charts, err := insights.WeeklyCharts(c.Context(), d, monday)
				if err != nil {
					return err
				}
				return r.WriteHTML(c.OutOrStdout(), charts)
			}
			return r.WriteMarkdown(c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&db, "db", "", "the sqlitespool store (read-only)")
	c.Flags().StringVar(&week, "week", "", "ISO week, e.g. 2026-W47")
	c.Flags().StringVar(&format, "format", "markdown", "markdown, json or html")
	_ = c.MarkFlagRequired("db")
	_ = c.MarkFlagRequired("week")
	return c
}

func newMetricsCmd() *cobra.Command {
	var db, from, to, by, format string
	c := &cobra.Command{
		Use:   "metrics --db PATH --from DATE --to DATE [--by backend|platform]",
		Short: "Print every metric of the UTC days from DATE to DATE, both included",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := time.Parse(time.DateOnly, from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			t, err := time.Parse(time.DateOnly, to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			seg := insights.Segment(by)
			switch seg {
			case insights.SegmentNone, insights.SegmentBackend, insights.SegmentPlatform, insights.SegmentRun:
			default:
				return fmt.Errorf("--by %q: want backend, platform or run", by)
			}
			d, err := insights.OpenReadOnly(db)
			if err != nil {
				return err
			}
			defer d.Close()
			r, err := insights.Compute(c.Context(), d, f, t.AddDate(0, 0, 1), seg)
			if err != nil {
				return err
			}
			if format == "json" {
				return r.WriteJSON(c.OutOrStdout())
			}
			return r.WriteText(c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&db, "db", "", "the sqlitespool store (read-only)")
	c.Flags().StringVar(&from, "from", "", "first UTC day, YYYY-MM-DD")
	c.Flags().StringVar(&to, "to", "", "last UTC day, YYYY-MM-DD (included)")
	c.Flags().StringVar(&by, "by", "", "segment: backend, platform or run")
	c.Flags().StringVar(&format, "format", "text", "text or json")
	for _, f := range []string{"db", "from", "to"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func newRollupCmd(now func() time.Time) *cobra.Command {
	var db string
	c := &cobra.Command{
		Use:   "rollup --db PATH",
		Short: "Roll complete UTC days up into daily_metrics (idempotent; needs write access)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			d, err := sql.Open("sqlite", "file:"+db+"?mode=rw&_pragma=busy_timeout(5000)")
			if err != nil {
				return fmt.Errorf("open %s: %w", db, err)
			}
			defer d.Close()
			res, err := insights.Rollup(c.Context(), d, now())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "rolled up %d days (%d rows)\n", len(res.Days), res.Rows)
			return nil
		},
	}
	c.Flags().StringVar(&db, "db", "", "the sqlitespool store")
	_ = c.MarkFlagRequired("db")
	return c
}

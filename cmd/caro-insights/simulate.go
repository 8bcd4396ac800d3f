package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/insights/fleet"
)

func newSimulateCmd(now func() time.Time) *cobra.Command {
	p := fleet.DefaultParams()
	var endpoint, where, end string
	var workers int
	c := &cobra.Command{
		Use:   "simulate (--endpoint URL | --store PATH|DSN) [--users N --days N --csr P --seed N ...]",
		Short: "Simulate a fleet through the real SDK and spools, then upload it to a collector or a store",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if (endpoint == "") == (where == "") {
				return errors.New("give exactly one of --endpoint (a collector) and --store (a store)")
			}
			p.End = now().UTC()
			if end != "" {
				t, err := time.Parse(time.DateOnly, end)
				if err != nil {
					return fmt.Errorf("--end: %w", err)
				}
				p.End = t
			}
			if err := p.Validate(); err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "caro-fleet-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			sink := fleet.Sink{Endpoint: endpoint}
			if where != "" {
				s, err := createStore(c.Context(), where, p.End)
				if err != nil {
					return err
				}
				defer s.Close()
				sink.Store = s
			}
			start := time.Now()
			res, err := fleet.Run(c.Context(), p, dir, sink, workers)
			// --end is exclusive: the days simulated are the Days before it.
			endDay := p.End.UTC().Truncate(24 * time.Hour)
			fmt.Fprintf(c.OutOrStdout(), "simulated %d users over %d days, %s to %s: %d sessions, %d events delivered in %v\n",
				res.Users, p.Days, endDay.AddDate(0, 0, -p.Days).Format(time.DateOnly), endDay.AddDate(0, 0, -1).Format(time.DateOnly),
				res.Sessions, res.Events, time.Since(start).Round(time.Millisecond))
			return err
		},
	}
	c.Flags().StringVar(&endpoint, "endpoint", "", "the collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318")
	storeFlag(c, &where, "the collector's store to append to instead (no collector): a SQLite file, created if missing, or a postgres:// DSN")
	f := c.Flags()
	f.StringVar(&end, "end", "", "UTC day after the last simulated day (not simulated), YYYY-MM-DD (default: today)")
	f.IntVar(&p.Users, "users", p.Users, "users (machine ids)")
	f.IntVar(&p.Days, "days", p.Days, "days before --end")
	f.Uint64Var(&p.Seed, "seed", p.Seed, "seed of the random source (same seed, same fleet)")
	f.Float64Var(&p.Active, "active", p.Active, "probability that a user runs caro on a day")
	f.IntVar(&p.MeanSessions, "sessions", p.MeanSessions, "mean sessions (caro runs) of an active day")
	f.Float64Var(&p.CSR, "csr", p.CSR, "command success rate: commands run as generated / generated")
	f.Float64Var(&p.BlockRate, "block-rate", p.BlockRate, "safety blocks / generated commands (caro never runs a blocked command)")
	f.Float64Var(&p.RetryRate, "retry-rate", p.RetryRate, "sessions with a regeneration / sessions")
	f.Float64Var(&p.InferenceErrorRate, "inference-errors", p.InferenceErrorRate,
		"failures of a remote backend (ollama, vllm) per generation; the static table answers instead")
	f.IntVar(&workers, "workers", runtime.GOMAXPROCS(0), "users simulated at once")
	return c
}

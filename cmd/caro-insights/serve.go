package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/insights/dashboard"
)

// defaultServeAddr keeps the dashboard on this machine: serving the team
// is a choice (--addr 0.0.0.0:8080), behind whatever guards the network.
const defaultServeAddr = "127.0.0.1:8080"

func newServeCmd() *cobra.Command {
	var where, addr string
	var refresh time.Duration
	c := &cobra.Command{
		Use:   "serve --store PATH|DSN [--addr HOST:PORT]",
		Short: "Serve the live dashboard of the store (read only) until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			s, err := openStore(ctx, where, c.ErrOrStderr())
			if err != nil {
				return err
			}
			defer s.Close()
			d := dashboard.New(s, dashboard.Options{Refresh: refresh, CacheFor: refresh / 2})
			if err := d.Check(ctx); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			srv := &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(c.OutOrStdout(), "caro-insights dashboard of %s on http://%s/ (Ctrl-C stops it)\n", s.Where(), ln.Addr())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return fmt.Errorf("serve: %w", err)
			case <-ctx.Done():
			}
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("stop serving: %w", err)
			}
			return nil
		},
	}
	storeFlag(c, &where, storeUsage)
	c.Flags().StringVar(&addr, "addr", defaultServeAddr, "HOST:PORT to listen on (port 0: any free port)")
	c.Flags().DurationVar(&refresh, "refresh", dashboard.DefaultRefresh, "how often an open page refreshes its figures")
	return c
}

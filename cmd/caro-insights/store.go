package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/store"
)

// storeFlag adds --store to c, and --db, its old name, kept working but
// deprecated.
func storeFlag(c *cobra.Command, where *string, usage string) {
	c.Flags().StringVar(where, "store", "", usage)
	c.Flags().StringVar(where, "db", "", "the old name of --store")
	_ = c.Flags().MarkDeprecated("db", "use --store")
}

// storeCmd makes a command that reads the store named by --store (help:
// usage): run gets it open, and it is closed after. A command that checks
// its other flags sets PreRunE, which runs before the store is opened.
func storeCmd(use, short, usage string, run func(c *cobra.Command, s *store.Store) error) *cobra.Command {
	var where string
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := openStore(c.Context(), where, c.ErrOrStderr())
			if err != nil {
				return err
			}
			defer s.Close()
			return run(c, s)
		},
	}
	storeFlag(c, &where, usage)
	return c
}

// storeOptions tells a PostgreSQL DSN (postgres://..., postgresql://...,
// or key=value words such as "host=db dbname=caro") from a SQLite path.
func storeOptions(where string) (store.Options, error) {
	switch {
	case where == "":
		return store.Options{}, errors.New("--store is required: a SQLite file or a postgres:// DSN")
	case strings.HasPrefix(where, "postgres://"), strings.HasPrefix(where, "postgresql://"), keyValueDSN.MatchString(where):
		return store.Options{DSN: where}, nil
	}
	return store.Options{Path: where}, nil
}

// keyValueDSN matches a libpq key=value connection string: a path that
// starts with "word=" would need a "./" in front.
var keyValueDSN = regexp.MustCompile(`^\s*[a-z_]+\s*=`)

// openStore opens the store of --store for reading: one that is not there
// yet is an error, never a new empty store.
func openStore(ctx context.Context, where string, warn io.Writer) (*store.Store, error) {
	opts, err := storeOptions(where)
	if err != nil {
		return nil, err
	}
	opts.MustExist = true
	if opts.Path != "" {
		// A running collector acknowledges events before they reach its
		// table (its journal): read them too.
		n, err := store.WaitApplied(ctx, opts.Path, appliedWait)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		if n > 0 {
			fmt.Fprintf(warn, "caro-insights: %s.ingest-* holds %d bytes of events the collector acknowledged and "+
				"has not stored yet: they are not in these figures, and reach the store when otelcol-caro runs again\n",
				opts.Path, n)
		}
	}
	s, err := store.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// appliedWait bounds how long a reader waits for a collector to put what
// it acknowledged into its table: it does within a second while it runs.
const appliedWait = 3 * time.Second

// createStore opens the store of --store, creating it if needed, with the
// clock now (the simulator's end).
func createStore(ctx context.Context, where string, now time.Time) (*store.Store, error) {
	opts, err := storeOptions(where)
	if err != nil {
		return nil, err
	}
	opts.Now = func() time.Time { return now }
	s, err := store.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

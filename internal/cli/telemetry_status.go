package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
)

func (r *run) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Say whether telemetry is on and why, and what the local spool holds",
		Args:  cobra.NoArgs,
		RunE:  r.status,
	}
}

func (r *run) status(c *cobra.Command, _ []string) error {
	cs, err := r.loadControl()
	if err != nil {
		return err
	}
	cfg := cs.cfg
	out := r.env.Stdout
	fmt.Fprintln(out, cs.headline())
	fmt.Fprintf(out, "Why: %s\n", cs.why())
	fmt.Fprintf(out, "Collection Level: %s (%s)\n", cfg.Level, sourceNote(cfg.LevelSource))
	if cfg.AirGapped {
		fmt.Fprintln(out, "Air-Gapped Mode: enabled (events stay on this machine; export them with 'caro telemetry export')")
	} else {
		fmt.Fprintln(out, "Air-Gapped Mode: disabled")
		fmt.Fprintf(out, "Upload: every %d hours to %s\n", int(cfg.BatchInterval.Hours()), cfg.Endpoint)
		for _, l := range uploadStatus(cfg.Dirs.SpoolFile(), cfg.BatchInterval) {
			fmt.Fprintln(out, l)
		}
	}
	fmt.Fprintf(out, "Spool: %s (at most %s)\n", cfg.Dirs.SpoolFile(), size(cfg.SpoolMaxBytes))
	if _, reqs, _, _ := readDeletionRequests(deletionRequestsPath(cfg.Dirs)); len(reqs) > 0 {
		fmt.Fprintf(out, "Pending Deletion Requests: %d (they go into the next 'caro telemetry export')\n", len(reqs))
	}

	sp, err := r.openSpool(c.Context(), cfg)
	if err != nil {
		return err
	}
	if sp == nil {
		fmt.Fprintln(out, "Pending Events: none (no events recorded yet)")
		return nil
	}
	defer sp.Close()
	st, err := sp.Stats(c.Context())
	if err != nil {
		return fail(ExitFailed, "cannot read the telemetry spool: %v", err)
	}
	if st.Pending == 0 {
		fmt.Fprintln(out, "Pending Events: none")
	} else {
		fmt.Fprintf(out, "Pending Events: %d (%s), oldest %s\n", st.Pending, size(st.PendingBytes), localTime(st.OldestPending))
	}
	n := st.Counters
	fmt.Fprintf(out, "Dropped: %d (spool full), %d (older than %d days), %d (spool unwritable)\n",
		n[sqlitespool.CounterDroppedCap], n[sqlitespool.CounterPurgedAge], schema.LocalRetentionDays,
		n[sqlitespool.CounterExportLost])
	fmt.Fprintf(out, "Rejected by the privacy filter: %s\n", rejections(n))
	return nil
}

// rejections sums the rejected_<reason> counters, with the reasons.
func rejections(counters map[string]int64) string {
	var total int64
	var parts []string
	for k, v := range counters {
		if reason, ok := strings.CutPrefix(k, "rejected_"); ok && v > 0 {
			total += v
			parts = append(parts, fmt.Sprintf("%s %d", reason, v))
		}
	}
	if total == 0 {
		return "0"
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

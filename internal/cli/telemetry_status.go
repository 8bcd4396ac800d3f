package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/upload"
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
	problem := spoolProblem(cfg.Dirs.SpoolFile())
	if problem != "" {
		fmt.Fprintf(out, "Spool Problem: %s; the events caro records are lost until it can be written\n", problem)
	}
	if _, reqs, _, _ := readDeletionRequests(deletionRequestsPath(cfg.Dirs)); len(reqs) > 0 {
		fmt.Fprintf(out, "Pending Deletion Requests: %d (they go into the next 'caro telemetry export')\n", len(reqs))
	}

	sp, err := r.openSpool(c.Context(), cfg)
	if err != nil {
		return err
	}
	if sp == nil {
		if problem != "" {
			fmt.Fprintln(out, "Pending Events: none (none could be kept: see Spool Problem)")
		} else {
			fmt.Fprintln(out, "Pending Events: none (no events recorded yet)")
		}
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
	fmt.Fprintf(out, "Dropped: %d (spool full), %d (older than %d days), %d (spool unwritable), %d (rejected by the server)\n",
		n[sqlitespool.CounterDroppedCap], n[sqlitespool.CounterPurgedAge], schema.LocalRetentionDays,
		n[sqlitespool.CounterExportLost], n[upload.CounterDroppedRejected])
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

// spoolProblem says why the spool at path cannot be written, or "" when
// nothing shows that it cannot (it is not written to find out: status
// changes nothing). The nearest folder of the path that exists must be a
// folder this user may write to; the spool's own files, when they exist,
// too.
func spoolProblem(path string) string {
	for _, f := range []string{path, sqlitespool.InboxPath(path)} {
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			if err := writable(f); err != nil {
				return fmt.Sprintf("%s cannot be written (%v)", f, err)
			}
		}
	}
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Sprintf("%s is not a folder", d)
		case err == nil:
			if err := writable(d); err != nil {
				return fmt.Sprintf("the folder %s cannot be written (%v)", d, err)
			}
			return ""
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return fmt.Sprintf("%s cannot be used (%v)", d, err)
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/internal/consent"
)

type exportFlags struct {
	output string
	clear  bool
	all    bool
}

func (r *run) exportCommand() *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the pending events to a gzip file, for air-gapped upload",
		Long: `Write the pending events to a gzip-compressed JSON file (the spec's export
envelope, with a sha256 checksum of the events), to carry to a connected
machine. By default the file is $XDG_CACHE_HOME/caro/telemetry-export-DATE.json.gz
and holds the events not in an earlier export; --all exports every pending
event. --clear deletes from this machine afterwards the events the file
holds and those of earlier exports (so right after a plain export,
'caro telemetry export --clear' clears what that export holds).
A deletion request of an air-gapped 'caro telemetry delete-remote' goes
into the next export, after the events.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return r.export(c, f) },
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write to this file (default: the cache folder)")
	cmd.Flags().BoolVar(&f.clear, "clear", false, "delete the exported events from this machine after writing the file")
	cmd.Flags().BoolVar(&f.all, "all", false, "also export events that were in an earlier export")
	return cmd
}

func (r *run) export(c *cobra.Command, f exportFlags) error {
	ctx := c.Context()
	cs, err := r.loadControl()
	if err != nil {
		return err
	}
	out := r.env.Stdout
	// The deletion requests of an air-gapped delete-remote go into the
	// next export, after the events.
	reqPath := deletionRequestsPath(cs.cfg.Dirs)
	reqRaw, requests, bad, err := readDeletionRequests(reqPath)
	if err != nil {
		return fail(ExitFailed, "cannot read the pending deletion requests: %v", err)
	}
	if bad > 0 {
		fmt.Fprintf(r.env.Stderr, "caro: skipped %d damaged lines of %s\n", bad, reqPath)
	}
	sp, err := r.openSpool(ctx, cs.cfg)
	if err != nil {
		return err
	}
	if sp == nil && len(requests) == 0 {
		fmt.Fprintln(out, "No events recorded yet; nothing to export.")
		return nil
	}
	var pending []sqlitespool.Event
	if sp != nil {
		defer sp.Close()
		if pending, err = sp.Pending(ctx, 0); err != nil {
			return fail(ExitFailed, "cannot read the telemetry spool: %v", err)
		}
	}
	var ids, earlier []int64
	var events []json.RawMessage
	for _, e := range pending {
		if e.ExportID != "" && !f.all {
			// In an export file already: --clear deletes it too (right after
			// a plain export, that file is what --clear means).
			earlier = append(earlier, e.ID)
			continue
		}
		b, err := payload(e)
		if err != nil {
			return fail(ExitFailed, "%v", err)
		}
		ids, events = append(ids, e.ID), append(events, b)
	}
	if len(events) == 0 && len(requests) == 0 {
		if f.clear && len(earlier) > 0 {
			n, err := sp.Delete(ctx, earlier)
			if err != nil {
				return fail(ExitFailed, "clearing the spool failed: %v", err)
			}
			fmt.Fprintf(out, "No new events to export; cleared the %d events that earlier exports hold from this machine.\n", n)
			return nil
		}
		if len(pending) == 0 {
			fmt.Fprintln(out, "No pending events; nothing to export.")
		} else {
			fmt.Fprintf(out, "No new events to export: the %d pending events were in an earlier export (again: --all).\n", len(pending))
		}
		return nil
	}

	now := r.env.Now()
	// The checksum covers the requests too: they are events of the envelope.
	env, err := exportfile.Build(append(slices.Clip(events), requests...), r.env.Version, now)
	if err != nil {
		return fail(ExitFailed, "cannot build the export: %v", err)
	}
	var buf bytes.Buffer
	if err := exportfile.Write(&buf, env); err != nil {
		return fail(ExitFailed, "cannot build the export: %v", err)
	}
	path, err := r.exportPath(f.output, cs.cfg.Dirs.Cache, now.UTC().Format("2006-01-02"))
	if err != nil {
		return err
	}
	if err := consent.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fail(ExitFailed, "cannot write the export: %v; choose another place with --output PATH", err)
	}

	if len(requests) > 0 {
		fmt.Fprintf(out, "Exported %d events and %s to: %s\n", len(events), plural(len(requests), "deletion request"), path)
		if err := dropDeletionRequests(reqPath, reqRaw); err != nil {
			fmt.Fprintf(r.env.Stderr, "caro: the export was written, but %s could not be updated (a later export repeats the deletion requests): %v\n", reqPath, err)
		}
	} else {
		fmt.Fprintf(out, "Exported %d events to: %s\n", len(events), path)
	}
	fmt.Fprintf(out, "Size: %s (compressed)\n", size(int64(buf.Len())))
	fmt.Fprintf(out, "Checksum: %s\n", env.Checksum)
	switch {
	case f.clear && len(ids)+len(earlier) > 0:
		n, err := sp.Delete(ctx, append(ids, earlier...))
		if err != nil {
			return fail(ExitFailed, "the export was written, but clearing the spool failed: %v", err)
		}
		if len(earlier) > 0 {
			fmt.Fprintf(out, "Cleared %d exported events from this machine (%d of them from earlier exports).\n", n, len(earlier))
		} else {
			fmt.Fprintf(out, "Cleared %d exported events from this machine.\n", n)
		}
	case len(ids) == 0 || f.clear:
	default:
		if err := sp.SetExportID(ctx, ids, uuid.NewString()); err != nil {
			fmt.Fprintf(r.env.Stderr, "caro: the export was written, but the spool could not note it (a later export repeats these events): %v\n", err)
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "To submit: Upload to https://caro.sh/telemetry/upload")
	fmt.Fprintln(out, "Or email to: telemetry@caro.sh")
	return nil
}

// plural is "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// exportPath is --output, whose folder must exist, or a new file named for
// the day in the cache folder (never overwriting an earlier export).
func (r *run) exportPath(output, cache, day string) (string, error) {
	if output != "" {
		dir := filepath.Dir(output)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return "", fail(ExitFailed, "cannot write the export to %s: the folder %s does not exist", output, dir)
		}
		if fi, err := os.Stat(output); err == nil && fi.IsDir() {
			return "", fail(ExitFailed, "cannot write the export to %s: it is a folder; give a file name", output)
		}
		return output, nil
	}
	for i := 1; ; i++ {
		name := fmt.Sprintf("telemetry-export-%s.json.gz", day)
		if i > 1 {
			name = fmt.Sprintf("telemetry-export-%s-%d.json.gz", day, i)
		}
		path := filepath.Join(cache, name)
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
	"caro.sh/telemetry/upload"
)

// DeletionLookbackDays is how far back delete-remote lists this machine's
// daily ids: the longest the server keeps anything (error data).
const DeletionLookbackDays = schema.ErrorRetentionDays

// lockWait bounds how long delete-remote waits for a background upload to
// end (one request's deadline, and some).
const lockWait = upload.DefaultAttemptTimeout + 5*time.Second

type deleteRemoteFlags struct {
	yes bool
}

func (r *run) deleteRemoteCommand() *cobra.Command {
	var f deleteRemoteFlags
	cmd := &cobra.Command{
		Use:   "delete-remote",
		Short: "Ask the server to delete this machine's data, and delete it here too",
		Long: fmt.Sprintf(`Ask Caro's telemetry server to delete everything it holds from this machine,
then delete every event stored here, sent or not.

The server knows this machine only by anonymous daily IDs (a hash of the
machine's ID and the date). caro recomputes the IDs of the last %d days,
the longest the server keeps anything, and sends them in one request that
carries nothing else. The server purges the data within 72 hours. If the
request cannot be sent, nothing is deleted here either.

In air-gapped mode nothing is sent: the request goes into the next
'caro telemetry export' file instead, and the events here are deleted.

It asks before doing anything; --yes answers for you (required when not
on a terminal).`, DeletionLookbackDays),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return r.deleteRemote(c, f) },
	}
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (r *run) deleteRemote(c *cobra.Command, f deleteRemoteFlags) error {
	ctx, stop := signalContext(c.Context())
	defer stop()
	if !f.yes && !r.env.interactive() {
		return fail(ExitUsage, "delete-remote asks for confirmation and this is not a terminal; to proceed without the question: caro telemetry delete-remote --yes")
	}
	cs, err := r.loadControl()
	if err != nil {
		return err
	}
	cfg, out := cs.cfg, r.env.Stdout
	machineID, err := sdk.MachineIDFor(cfg.Dirs, r.env.TelemetryOptions...)
	if err != nil {
		return fail(ExitFailed, "cannot compute this machine's anonymous IDs: %v; nothing was sent or deleted", err)
	}
	now := r.env.Now()
	ids := sdk.SessionIDsSince(machineID, now.AddDate(0, 0, -DeletionLookbackDays), now)

	fmt.Fprintln(out, "This will request deletion of all data associated with your anonymous ID.")
	fmt.Fprintf(out, "Your current ID: %s\n", sdk.SessionID(machineID, now))
	fmt.Fprintf(out, "The request lists the %d daily IDs of the last %d days and nothing else; the events stored on this machine are deleted too.\n",
		len(ids), DeletionLookbackDays)
	if cfg.AirGapped {
		fmt.Fprintln(out, "Air-gapped mode: the request is not sent; it goes into the next 'caro telemetry export' file.")
	}
	fmt.Fprintln(out)
	if !f.yes && !r.confirm("Proceed? [y/N] ") {
		fmt.Fprintln(out, "Nothing was sent or deleted.")
		return nil
	}

	// Hold the upload lock, so that no background upload sends events
	// while they are being deleted.
	unlock, err := r.waitUploadLock(ctx, cfg.Dirs.SpoolFile())
	if err != nil {
		return err
	}
	defer unlock()

	if cfg.AirGapped {
		req, err := upload.NewDeletionRequest(ids, now)
		if err != nil {
			return fail(ExitFailed, "cannot build the deletion request: %v; nothing was deleted", err)
		}
		event, err := req.Encoded()
		if err == nil {
			err = appendDeletionRequest(deletionRequestsPath(cfg.Dirs), event)
		}
		if err != nil {
			return fail(ExitFailed, "cannot save the deletion request: %v; nothing was deleted", err)
		}
		fmt.Fprintf(out, "Deletion request saved for the next export (%s).\n", deletionRequestsPath(cfg.Dirs))
		fmt.Fprintln(out, "Run 'caro telemetry export' and submit the file to complete it.")
	} else {
		err := upload.RequestDeletion(ctx, ids, upload.Options{
			Endpoint:   cfg.Endpoint,
			Version:    r.env.Version,
			HTTPClient: r.env.HTTPClient,
			Now:        r.env.Now,
			AirGapped:  cfg.AirGapped, // not reached when air-gapped; this guard cannot be forgotten
		})
		if err != nil {
			return fail(ExitFailed, "the deletion request was not sent: %s. Nothing was deleted, on the server or on this machine; try again later",
				describeDeletion(ctx, err))
		}
		fmt.Fprintln(out, "Deletion request submitted. Data will be purged within 72 hours.")
	}

	n, err := r.deleteLocalEvents(ctx, cfg.Dirs.SpoolFile(), sqlitespool.Options{MaxBytes: cfg.SpoolMaxBytes})
	if err != nil {
		return fail(ExitFailed, "the events on this machine could not be deleted: %v; delete the file %s by hand", err, cfg.Dirs.SpoolFile())
	}
	fmt.Fprintf(out, "Deleted %d events from this machine.\n", n)
	return nil
}

// confirm asks a yes/no question on stderr; anything but y or yes, and the
// end of input, is no.
func (r *run) confirm(question string) bool {
	fmt.Fprint(r.env.Stderr, question)
	line, err := r.lines.readLine()
	if err != nil && line == "" {
		fmt.Fprintln(r.env.Stderr)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// describeDeletion says why a deletion request was not delivered.
func describeDeletion(ctx context.Context, err error) string {
	var se *upload.SendError
	switch {
	case ctx.Err() != nil:
		return "interrupted"
	case errors.As(err, &se) && se.Outcome == upload.Rejected:
		return "the server refused it (" + describeSend(se, upload.Options{}) + ")"
	case errors.As(err, &se):
		return describeSend(se, upload.Options{})
	}
	return oneLine(err.Error())
}

// waitUploadLock takes the upload lock of the spool, waiting up to
// lockWait for a background upload to end. Without a cache folder there
// is no uploader and nothing to lock.
func (r *run) waitUploadLock(ctx context.Context, spoolPath string) (func(), error) {
	if _, err := os.Stat(filepath.Dir(spoolPath)); errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	deadline := time.Now().Add(lockWait)
	for waited := false; ; waited = true {
		unlock, ok, err := upload.Lock(upload.LockPath(spoolPath))
		if err != nil {
			return nil, fail(ExitFailed, "cannot take the upload lock: %v; nothing was sent or deleted", err)
		}
		if ok {
			return unlock, nil
		}
		if !waited {
			fmt.Fprintln(r.env.Stderr, "caro: waiting for the background upload to finish...")
		}
		if time.Now().After(deadline) {
			return nil, fail(ExitFailed, "a background upload is still running; try again in a minute (nothing was sent or deleted)")
		}
		select {
		case <-ctx.Done():
			return nil, fail(130, "interrupted; nothing was sent or deleted")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// deleteLocalEvents deletes every event of the spool, pending and
// transmitted, and returns how many; no spool file means none.
func (r *run) deleteLocalEvents(ctx context.Context, path string, opts sqlitespool.Options) (int, error) {
	if !sqlitespool.Exists(path) {
		return 0, nil
	}
	opts.Path, opts.Now = path, r.env.Now
	sp, err := sqlitespool.Open(context.WithoutCancel(ctx), opts)
	if err != nil {
		return 0, err
	}
	defer sp.Close()
	// Not ctx: once the server has the request, the local half must not
	// be left undone by a late Ctrl-C.
	ctx = context.WithoutCancel(ctx)
	n, err := sp.Clear(ctx)
	if err != nil {
		return n, err
	}
	rest, err := sp.List(ctx, sqlitespool.ListOptions{IncludeTransmitted: true})
	if err != nil {
		return n, err
	}
	ids := make([]int64, len(rest))
	for i, e := range rest {
		ids[i] = e.ID
	}
	m, err := sp.Delete(ctx, ids)
	return n + m, err
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/upload"
)

type flushFlags struct {
	background bool
}

func (r *run) flushCommand() *cobra.Command {
	var f flushFlags
	cmd := &cobra.Command{
		Use:   "flush",
		Short: "Send the pending events now, and say what was sent, kept and dropped",
		Long: `Send the pending events to the telemetry endpoint now, in batches, and say
what was sent, what stays pending for a later attempt, and what was dropped
because the server rejected it.

Caro does this by itself at most once per telemetry.batch_interval_hours
(24 by default), in a background process that your command never waits
for. Nothing is sent while telemetry is off, and in air-gapped mode no
connection is opened at all. Only one upload runs at a time; Ctrl-C stops
it and keeps the events of the request in flight.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return r.flush(c, f) },
	}
	cmd.Flags().BoolVar(&f.background, "background", false,
		"run as caro's scheduled upload: only when one is due, within "+BackgroundFlushTimeout.String())
	_ = cmd.Flags().MarkHidden("background")
	return cmd
}

func (r *run) flush(c *cobra.Command, f flushFlags) error {
	ctx, stop := signalContext(c.Context())
	defer stop()
	if f.background {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, BackgroundFlushTimeout)
		defer cancel()
	}
	cs, err := r.loadControl()
	if err != nil {
		return err
	}
	cfg, out := cs.cfg, r.env.Stdout
	if !cs.verdict.Record {
		fmt.Fprintf(out, "Telemetry is not recording (%s); nothing is sent.\n", cs.why())
		return nil
	}
	if cfg.AirGapped {
		fmt.Fprintln(out, "Air-gapped mode: nothing is sent and no connection is opened.")
		fmt.Fprintln(out, "Carry the pending events out with 'caro telemetry export'.")
		return nil
	}
	spoolPath := cfg.Dirs.SpoolFile()
	if !sqlitespool.Exists(spoolPath) {
		fmt.Fprintln(out, "No events recorded yet; nothing to send.")
		return nil
	}
	unlock, ok, err := upload.Lock(upload.LockPath(spoolPath))
	if err != nil {
		return fail(ExitFailed, "cannot take the upload lock: %v; nothing was sent", err)
	}
	if !ok {
		fmt.Fprintln(out, "Another upload is running; nothing to do.")
		return nil
	}
	defer unlock()
	// Two runs may both have found the upload due: the second child finds
	// the first one's attempt in the state file and leaves.
	if f.background {
		if due, _ := upload.DueFile(spoolPath, cfg.BatchInterval, r.env.Now()); !due {
			fmt.Fprintln(out, "No upload due: another one ran meanwhile.")
			return nil
		}
	}
	sp, err := r.openSpool(ctx, cfg)
	if err != nil {
		return err
	}
	defer sp.Close()
	opts := upload.Options{
		Endpoint:   cfg.Endpoint,
		Version:    r.env.Version,
		HTTPClient: r.env.HTTPClient,
		Now:        r.env.Now,
		AirGapped:  cfg.AirGapped, // checked above; this guard cannot be forgotten
	}
	started := r.env.Now()
	res, err := upload.Flush(ctx, sp, opts)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(out, "Sent %d events; stopped before the end (%s). The rest stay pending.\n",
				res.Sent, stopCause(ctx))
			if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				return &exitError{code: ExitFailed}
			}
			return &exitError{code: 130}
		}
		return fail(ExitFailed, "upload failed: %v", err)
	}
	fmt.Fprintf(out, "Sent %d events to %s; %d pending, %d dropped.\n", res.Sent, cfg.Endpoint, res.Kept, res.Dropped)
	var se *upload.SendError
	if !errors.As(res.Failure, &se) {
		return nil
	}
	if se.Outcome == upload.Rejected {
		fmt.Fprintf(out, "The server rejected %d events (%s); they were dropped and are not sent again.\n",
			res.Dropped, describeSend(se, opts))
	} else {
		fmt.Fprintf(out, "Upload failed: %s. The pending events stay; the next automatic attempt is after %s.\n",
			describeSend(se, opts), localTime(nextUpload(started, cfg.BatchInterval, res.NextAttempt)))
	}
	return &exitError{code: ExitFailed}
}

// stopCause says why ctx ended: a signal or the background deadline.
func stopCause(ctx context.Context) string {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return "out of time"
	}
	return "interrupted"
}

// describeSend says in words why a request was not delivered: the
// server's answer, or why there was none.
func describeSend(se *upload.SendError, opts upload.Options) string {
	if se.StatusCode != 0 {
		s := fmt.Sprintf("the server answered %d %s", se.StatusCode, http.StatusText(se.StatusCode))
		if se.HasRetryAfter {
			s += fmt.Sprintf(" and asked to retry after %s", se.RetryAfter)
		}
		return s
	}
	timeout := opts.AttemptTimeout
	if timeout == 0 {
		timeout = upload.DefaultAttemptTimeout
	}
	var dns *net.DNSError
	var ne net.Error
	switch err := se.Err; {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "no answer: connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "no answer: the connection was reset"
	case errors.As(err, &dns):
		return fmt.Sprintf("no answer: cannot resolve %s", dns.Name)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %s", timeout)
	case err != nil:
		return "no answer: " + oneLine(err.Error())
	}
	return "no answer"
}

// nextUpload is when the scheduled upload will run again after an
// attempt at last that failed with a backoff until next: at most once per
// interval, and not before next.
func nextUpload(last time.Time, interval time.Duration, next time.Time) time.Time {
	if t := last.Add(interval); t.After(next) {
		return t
	}
	return next
}

// uploadStatus is what status says about the scheduled upload, from its
// state file: nothing before the first attempt, else when it last ran
// and delivered, and the last problem with the next attempt's time.
func uploadStatus(spoolPath string, interval time.Duration) []string {
	st, err := upload.LoadState(upload.StatePath(spoolPath))
	if err != nil || st.LastAttempt.IsZero() {
		return nil
	}
	delivered := "nothing delivered yet"
	if !st.LastSuccess.IsZero() {
		delivered = "last delivery " + localTime(st.LastSuccess)
	}
	lines := []string{fmt.Sprintf("Last Upload: %s (%s); next after %s", localTime(st.LastAttempt), delivered,
		localTime(nextUpload(st.LastAttempt, interval, st.NextAttempt)))}
	if st.LastError != "" {
		lines = append(lines, "Last Upload Problem: "+oneLine(st.LastError))
	}
	return lines
}

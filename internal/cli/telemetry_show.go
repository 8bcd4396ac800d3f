package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exporter/sqlitespool"
	"caro.sh/telemetry/schema"
)

// DefaultShowLimit is how many events show lists unless --limit says.
const DefaultShowLimit = 50

type showFlags struct {
	verbose bool
	json    bool
	limit   int
}

func (r *run) showCommand() *cobra.Command {
	var f showFlags
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the events recorded on this machine and not yet sent",
		Long: `Show the pending events: what telemetry recorded on this machine and has not
sent yet, exactly as stored. --verbose lists every field, --json prints the
events in the form they are uploaded and exported.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return r.show(c, f) },
	}
	cmd.Flags().BoolVar(&f.verbose, "verbose", false, "list every field of every event")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the events as a JSON array")
	cmd.Flags().IntVar(&f.limit, "limit", DefaultShowLimit, "show at most the newest N events (0: all)")
	return cmd
}

func (r *run) show(c *cobra.Command, f showFlags) error {
	if f.limit < 0 {
		return fail(ExitUsage, "--limit must be 0 (all) or more, not %d", f.limit)
	}
	cs, err := r.loadControl()
	if err != nil {
		return err
	}
	ctx := c.Context()
	sp, err := r.openSpool(ctx, cs.cfg)
	if err != nil {
		return err
	}
	var events []sqlitespool.Event
	var st sqlitespool.Stats
	if sp != nil {
		defer sp.Close()
		if events, err = sp.Pending(ctx, 0); err != nil {
			return fail(ExitFailed, "cannot read the telemetry spool: %v", err)
		}
		if st, err = sp.Stats(ctx); err != nil {
			return fail(ExitFailed, "cannot read the telemetry spool: %v", err)
		}
	}
	total := len(events)
	if f.limit > 0 && len(events) > f.limit {
		events = events[len(events)-f.limit:]
	}
	out := r.env.Stdout
	if f.json {
		return writeEventsJSON(out, events)
	}
	fmt.Fprintln(out, cs.headline())
	fmt.Fprintf(out, "Collection Level: %s\n", cs.cfg.Level)
	fmt.Fprintf(out, "Air-Gapped Mode: %s\n", enabledWord(cs.cfg.AirGapped))
	fmt.Fprintln(out)
	if total == 0 {
		if sp == nil {
			fmt.Fprintln(out, "No events recorded yet.")
		} else {
			fmt.Fprintln(out, "No pending events.")
		}
		return nil
	}
	if f.verbose {
		writeVerbose(out, events)
	} else {
		fmt.Fprintln(out, "Pending Events (not yet sent):")
		writeTable(out, events)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Total: %d events, %d bytes\n", st.Pending, st.PendingBytes)
	if len(events) < total {
		fmt.Fprintf(out, "Shown: the newest %d (all: --limit 0)\n", len(events))
	}
	if !f.verbose {
		fmt.Fprintln(out)
		fmt.Fprintln(out, "View event details: caro telemetry show --verbose")
		fmt.Fprintln(out, "View as JSON: caro telemetry show --json")
	}
	return nil
}

// payload is the stored JSON of an event (EncodePayload is stable: these
// are the stored bytes).
func payload(e sqlitespool.Event) (json.RawMessage, error) {
	b, err := event.Encode(e.Name, e.Time, e.Attrs)
	if err != nil {
		return nil, fmt.Errorf("event %d: %w", e.ID, err)
	}
	return b, nil
}

func writeEventsJSON(w io.Writer, events []sqlitespool.Event) error {
	raw := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		b, err := payload(e)
		if err != nil {
			return fail(ExitFailed, "%v", err)
		}
		raw = append(raw, b)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return fail(ExitFailed, "%v", err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return fail(ExitFailed, "%v", err)
	}
	buf.WriteByte('\n')
	_, err = w.Write(buf.Bytes())
	return err
}

// writeTable draws the spec's box table of events. (A table library was
// tried: its init alone cost more than caro's whole start-up budget.)
func writeTable(w io.Writer, events []sqlitespool.Event) {
	rows := [][]string{{"Event", "Timestamp", "Size"}}
	for _, e := range events {
		rows = append(rows, []string{e.Name, localTime(e.Time), strconv.Itoa(e.Size) + " bytes"})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	rule := func(left, mid, right string) {
		parts := make([]string, len(widths))
		for i, n := range widths {
			parts[i] = strings.Repeat("─", n+2)
		}
		fmt.Fprintln(w, left+strings.Join(parts, mid)+right)
	}
	row := func(r []string) {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = " " + c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)) + " "
		}
		fmt.Fprintln(w, "│"+strings.Join(cells, "│")+"│")
	}
	rule("┌", "┬", "┐")
	row(rows[0])
	rule("├", "┼", "┤")
	for _, r := range rows[1:] {
		row(r)
	}
	rule("└", "┴", "┘")
}

func writeVerbose(w io.Writer, events []sqlitespool.Event) {
	for i, e := range events {
		if i > 0 {
			fmt.Fprintln(w, "---")
		}
		fmt.Fprintf(w, "Event: %s\n", e.Name)
		fmt.Fprintf(w, "Timestamp: %s\n", e.Time.UTC().Format(event.TimestampLayout))
		fmt.Fprintln(w, "Fields:")
		for _, a := range e.Attrs {
			fmt.Fprintf(w, "  %s: %s", a.Key, formatValue(a.Value))
			if a.Key == schema.KeySessionID {
				fmt.Fprint(w, " (anonymous, rotates daily)")
			}
			fmt.Fprintln(w)
		}
	}
}

func formatValue(v schema.Value) string {
	if v.Type == schema.TypeString {
		return strconv.Quote(v.Str)
	}
	b, _ := json.Marshal(v.Any())
	return string(b)
}

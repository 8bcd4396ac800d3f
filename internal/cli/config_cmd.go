package cli

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/internal/consent"
	"caro.sh/telemetry/sdk"
)

// The config commands read and write config.toml only; like every control
// command they record no telemetry.
func (r *run) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show and change settings in config.toml",
		Long: `Show and change caro's settings, kept in $XDG_CONFIG_HOME/caro/config.toml
(default ~/.config/caro/config.toml). Edits keep the file's other keys and
comments. 'caro config list' shows every key.`,
		Args: unknownSubcommand,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "set KEY VALUE",
			Short: "Set a key",
			Args:  exactArgs(2, "caro config set KEY VALUE, e.g. caro config set telemetry.enabled false"),
			RunE:  func(_ *cobra.Command, args []string) error { return r.configSet(args[0], args[1]) },
		},
		&cobra.Command{
			Use:   "get KEY",
			Short: "Print a key's value (the default when unset)",
			Args:  exactArgs(1, "caro config get KEY, e.g. caro config get telemetry.level"),
			RunE:  func(_ *cobra.Command, args []string) error { return r.configGet(args[0]) },
		},
		&cobra.Command{
			Use:   "list",
			Short: "List every key with its value and where it comes from",
			Args:  exactArgs(0, "caro config list"),
			RunE:  func(*cobra.Command, []string) error { return r.configList() },
		},
		&cobra.Command{
			Use:   "unset KEY",
			Short: "Remove a key from config.toml (its default applies again)",
			Args:  exactArgs(1, "caro config unset KEY, e.g. caro config unset telemetry.level"),
			RunE:  func(_ *cobra.Command, args []string) error { return r.configUnset(args[0]) },
		},
	)
	return cmd
}

// unknownSubcommand is the Args of a command that only groups others: a
// word that is none of them is a usage error (exit 2), with a suggestion;
// no word at all prints the help.
func unknownSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	best, bestD := "", 3 // no suggestion further than two edits away
	for _, sub := range c.Commands() {
		if d := editDistance(strings.ToLower(args[0]), sub.Name()); sub.IsAvailableCommand() && d < bestD {
			best, bestD = sub.Name(), d
		}
	}
	if best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	return fail(ExitUsage, "%s\nRun '%s --help' for usage.", msg, c.CommandPath())
}

// exactArgs is cobra.ExactArgs with the usage in the message.
func exactArgs(n int, usage string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return fail(ExitUsage, "want %d argument(s), got %d; usage: %s", n, len(args), usage)
		}
		return nil
	}
}

func (r *run) channel() consent.Channel { return consent.ChannelOf(r.env.Version) }

// setting finds a key or explains what to type instead.
func findSetting(key string) (*setting, error) {
	if s, ok := lookupSetting(strings.ToLower(strings.TrimSpace(key))); ok {
		return s, nil
	}
	msg := fmt.Sprintf("unknown config key %q.", key)
	if sug := suggest(key); len(sug) > 0 {
		msg = fmt.Sprintf("unknown config key %q; did you mean %s?", key, quoteJoin(sug))
	}
	return nil, fail(ExitUsage, "%s Run 'caro config list' to see every key.", msg)
}

// openConfig reads config.toml, or explains how to repair it.
func (r *run) openConfig() (*configDoc, error) {
	dirs, err := sdk.ResolveDirs(r.env.Getenv)
	if err != nil {
		return nil, fail(ExitFailed, "%v", err)
	}
	doc, err := readConfigDoc(dirs.ConfigFile())
	if err != nil {
		return nil, fail(ExitFailed, "%v; fix it by hand or move it away, then try again (nothing was changed)", err)
	}
	return doc, nil
}

// openSetting finds a key and reads config.toml, for the commands that
// act on one key of the file; an unknown key is reported before the file
// is read.
func (r *run) openSetting(key string) (*setting, *configDoc, error) {
	s, err := findSetting(key)
	if err != nil {
		return nil, nil, err
	}
	doc, err := r.openConfig()
	if err != nil {
		return nil, nil, err
	}
	return s, doc, nil
}

func (r *run) configSet(key, text string) error {
	s, err := findSetting(key)
	if err != nil {
		return err
	}
	canon, v, err := s.Parse(text)
	if err != nil {
		return fail(ExitUsage, "invalid value for %s (%s): %v", s.Key, s.Doc, err)
	}
	doc, err := r.openConfig()
	if err != nil {
		return err
	}
	doc.set(s, v)
	if err := doc.save(); err != nil {
		return fail(ExitFailed, "could not save the setting: %v", err)
	}
	fmt.Fprintf(r.env.Stdout, "%s = %s\n", s.Key, canon)
	if s.Key == "telemetry.enabled" && canon == "false" {
		fmt.Fprintln(r.env.Stdout, "Telemetry is off. Events recorded before stay on this machine until 'caro telemetry clear' (or 7 days).")
	}
	r.noteOverride(s, value{Text: canon, FromSet: true})
	return nil
}

func (r *run) configGet(key string) error {
	s, doc, err := r.openSetting(key)
	if err != nil {
		return err
	}
	v := doc.values(r.channel())[s.Key]
	if v.Err != nil {
		fmt.Fprintf(r.env.Stderr, "caro: %s in %s is invalid (%v); the default applies\n", s.Key, doc.path, v.Err)
	}
	text := v.Text
	if o := r.envOverride(s); o.valid() {
		text = o.text // what caro uses, not what the file says
	}
	fmt.Fprintln(r.env.Stdout, text)
	r.noteOverride(s, v)
	return nil
}

func (r *run) configList() error {
	doc, err := r.openConfig()
	if err != nil {
		return err
	}
	vals := doc.values(r.channel())
	tw := tabwriter.NewWriter(r.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, s := range settings {
		v := vals[s.Key]
		src := "default"
		switch o := r.envOverride(s); {
		case o.valid():
			v.Text, src = o.text, o.name+" (environment)"
		case v.Err != nil:
			src = fmt.Sprintf("default (config.toml value invalid: %v)", v.Err)
		case v.FromSet:
			src = "config.toml"
		}
		text := v.Text
		if text == "" {
			text = `""`
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, text, src)
	}
	tw.Flush()
	fmt.Fprintf(r.env.Stdout, "\nFile: %s\n", doc.path)
	for _, s := range settings {
		r.noteOverride(s, vals[s.Key])
	}
	return nil
}

func (r *run) configUnset(key string) error {
	s, doc, err := r.openSetting(key)
	if err != nil {
		return err
	}
	def := s.Default(r.channel())
	if !doc.unset(s) {
		fmt.Fprintf(r.env.Stdout, "%s was not set; the default applies: %s\n", s.Key, display(def))
		return nil
	}
	if err := doc.save(); err != nil {
		return fail(ExitFailed, "could not save the change: %v", err)
	}
	fmt.Fprintf(r.env.Stdout, "Unset %s; the default applies: %s\n", s.Key, display(def))
	return nil
}

func display(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// envOverrides are the variables that beat a [telemetry] key of the file,
// strongest first (sdk.LoadConfig applies them).
var envOverrides = map[string][]string{
	"telemetry.enabled":    {sdk.EnvDoNotTrack, sdk.EnvEnabled},
	"telemetry.level":      {sdk.EnvLevel},
	"telemetry.air_gapped": {sdk.EnvAirGapped},
	"telemetry.endpoint":   {sdk.EnvEndpoint},
}

// override is a key's value set by the environment.
type override struct {
	name, raw string // the variable and its value; "" when none is set
	text      string // the value it gives the key, canonical
	err       error  // the value is invalid: telemetry is off while it is set
}

func (o override) valid() bool { return o.name != "" && o.err == nil }

// envOverride finds the variable that sets s in this run, if any.
func (r *run) envOverride(s *setting) override {
	for _, name := range envOverrides[s.Key] {
		raw := r.env.Getenv(name)
		switch {
		case raw == "":
			continue
		case name == sdk.EnvDoNotTrack:
			if doNotTrack(r.env.Getenv) {
				return override{name: name, raw: raw, text: "false"}
			}
			continue
		}
		text, _, err := s.Parse(raw)
		return override{name: name, raw: raw, text: text, err: err}
	}
	return override{}
}

// noteOverride tells, on stderr, when the environment sets a key, and
// what config.toml (or the default) would say without it: v.
func (r *run) noteOverride(s *setting, v value) {
	o := r.envOverride(s)
	if o.name == "" {
		return
	}
	if o.err != nil {
		fmt.Fprintf(r.env.Stderr, "note: %s=%s in the environment is invalid (%v): telemetry is off while it is set\n",
			o.name, o.raw, o.err)
		return
	}
	from := "default"
	if v.FromSet && v.Err == nil {
		from = "config.toml"
	}
	fmt.Fprintf(r.env.Stderr, "note: %s=%s in the environment overrides %s (%s: %s)\n", o.name, o.raw, s.Key, from, display(v.Text))
}

// suggest returns the keys closest to a mistyped one: by edit distance,
// or whose last part matches (enabled -> telemetry.enabled).
func suggest(key string) []string {
	key = strings.ToLower(strings.TrimSpace(key))
	best, out := -1, []string(nil)
	for _, s := range settings {
		d := editDistance(key, s.Key)
		if s.name() == key || strings.HasSuffix(s.Key, "."+key) {
			d = 0
		}
		if d > max(2, len(s.Key)/4) {
			continue
		}
		switch {
		case best < 0 || d < best:
			best, out = d, []string{s.Key}
		case d == best:
			out = append(out, s.Key)
		}
	}
	return out
}

func quoteJoin(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

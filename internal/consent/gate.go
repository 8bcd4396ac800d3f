package consent

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"caro.sh/telemetry/sdk"
)

// Prompt is the first-run notice of the beta (the spec's First Run Prompt),
// followed by the question. It goes to stderr, never stdout.
const Prompt = `Caro collects anonymous usage metrics to improve the product.

What we collect:
  - Session timing and duration
  - Backend performance (inference speed)
  - Error categories (not details)
  - Platform info (OS, architecture, shell)

What we NEVER collect:
  - Your commands or inputs
  - File paths or directories
  - Any identifying information

View details: caro telemetry show
Disable: caro config set telemetry.enabled false

Continue? [Y/n] `

// Messages printed by Gate.
const (
	MigrationNotice = "Telemetry disabled for GA. Enable with: caro config set telemetry.enabled true"
	DeclinedNotice  = "Telemetry is off. Turn it on later with: caro config set telemetry.enabled true"
)

// Verdict is what the consent rules say about one run.
type Verdict struct {
	// Record is true when events may be recorded.
	Record bool
	// AwaitingPrompt: the beta's default is on but the first-run prompt
	// has not been shown; an interactive run shows it, and nothing is
	// recorded before.
	AwaitingPrompt bool
	// MigrationDue: a GA build after a beta whose telemetry was on by
	// default; Gate prints MigrationNotice once.
	MigrationDue bool
}

// untouchable reports whether the run must not read or write any file for
// telemetry: --no-telemetry and DO_NOT_TRACK mean exactly that.
func untouchable(cfg sdk.Config) bool {
	return cfg.EnabledSource == sdk.SourceFlag || cfg.EnabledSource == sdk.SourceDoNotTrack
}

// NeedsState reports whether Decide depends on the state file for cfg, so
// that the common runs (an explicit choice, --no-telemetry, a beta run
// with telemetry off) read no file for consent.
func NeedsState(ch Channel, cfg sdk.Config) bool {
	if untouchable(cfg) || cfg.EnabledExplicit {
		return false
	}
	return ch == GA || cfg.Enabled // GA: for the migration notice
}

// Decide applies the consent rules to a loaded configuration and state.
// It is pure: it prompts for nothing and writes nothing.
func Decide(ch Channel, cfg sdk.Config, st State) Verdict {
	switch {
	case untouchable(cfg):
		return Verdict{}
	case cfg.EnabledExplicit:
		// An explicit choice in the file or the environment is consent (or
		// its refusal), in any mode, and survives the GA migration.
		return Verdict{Record: cfg.Enabled}
	}
	if ch == GA {
		// GA is opt-in: without an explicit choice telemetry is off. The
		// notice is due after a beta whose telemetry was on by default.
		due := st.LastChannel == Beta && st.PromptShown && st.PromptAnswer == AnswerAccepted
		return Verdict{MigrationDue: due}
	}
	if !cfg.Enabled {
		return Verdict{} // CI, an invalid setting, OTEL variables
	}
	// The beta's default: on, once the prompt was shown and accepted on a
	// beta build. A declined prompt whose `enabled = false` was later unset,
	// or a downgrade from GA, asks again rather than assume.
	shown := st.PromptShown && st.PromptAnswer == AnswerAccepted && st.LastChannel == Beta
	return Verdict{Record: shown, AwaitingPrompt: !shown}
}

// Options are the inputs of Gate.
type Options struct {
	Version string
	Config  sdk.Config
	// Interactive is true when stdin and stderr are terminals.
	Interactive bool
	// ReadLine reads one answer line (without its newline). It must not
	// read ahead: the rest of stdin belongs to the run.
	ReadLine func() (string, error)
	// Out receives the prompt and notices (Caro's stderr).
	Out io.Writer
	// DisableInConfig writes `telemetry.enabled = false` to config.toml;
	// it is called when the user answers n.
	DisableInConfig func() error
}

// Result is Gate's outcome for one run.
type Result struct {
	Record bool
	// Warning describes a telemetry problem (state not saved, config not
	// written), for the run's one warning line; "" when none.
	Warning string
}

// Gate applies the consent rules to one run: it prints the migration
// notice on the first GA run after a default-on beta, shows the first-run
// prompt when it is due and the run is interactive, and saves what was
// shown. It never fails the run: problems become Warning, and telemetry
// stays off when in doubt.
func Gate(o Options) Result {
	ch := ChannelOf(o.Version)
	cfg := o.Config
	if !NeedsState(ch, cfg) {
		return Result{Record: Decide(ch, cfg, State{}).Record}
	}
	path := StatePath(cfg.Dirs)
	st, _ := LoadState(path) // unreadable: as if new, which only asks again
	v := Decide(ch, cfg, st)
	switch {
	case v.MigrationDue:
		fmt.Fprintln(o.Out, MigrationNotice)
		st.LastChannel = GA
		if err := SaveState(path, st); err != nil {
			return Result{Warning: fmt.Sprintf("telemetry: %v", err)}
		}
		return Result{}
	case v.AwaitingPrompt && o.Interactive:
		return prompt(o, path, st)
	}
	return Result{Record: v.Record}
}

// StatePath is the state file's path in Caro's config folder.
func StatePath(d sdk.Dirs) string { return filepath.Join(d.Config, StateFile) }

// errNoAnswer: stdin closed or three unreadable answers.
var errNoAnswer = errors.New("no answer")

func prompt(o Options, path string, st State) Result {
	accepted, err := ask(o)
	if err != nil {
		// Not answered (Ctrl-D): record nothing and ask again next time.
		fmt.Fprintln(o.Out)
		return Result{}
	}
	st = State{PromptShown: true, PromptVersion: o.Version, PromptChannel: Beta, LastChannel: Beta,
		PromptAnswer: AnswerAccepted}
	var res Result
	if !accepted {
		st.PromptAnswer = AnswerDeclined
		fmt.Fprintln(o.Out, DeclinedNotice)
		if err := o.DisableInConfig(); err != nil {
			res.Warning = fmt.Sprintf("telemetry stays off for this run, but the choice was not saved: %v", err)
		}
	}
	if err := SaveState(path, st); err != nil && res.Warning == "" {
		res.Warning = fmt.Sprintf("telemetry: %v", err)
	}
	res.Record = accepted
	return res
}

func ask(o Options) (bool, error) {
	fmt.Fprint(o.Out, Prompt)
	for range 3 {
		line, err := o.ReadLine()
		if err != nil && line == "" {
			return false, errNoAnswer
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "", "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		fmt.Fprint(o.Out, "Please answer y or n. Continue? [Y/n] ")
	}
	return false, errNoAnswer
}

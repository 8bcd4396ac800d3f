package cli

import (
	"time"

	"github.com/spf13/cobra"
)

// run holds one invocation: its environment, its one-warning budget and
// the parsed flags.
type run struct {
	env  Env
	warn *warner

	noTelemetry bool
	flow        flowFlags
	lines       *lineReader
}

// flowFlags are the flags of `caro "prompt"`.
type flowFlags struct {
	backend string
	model   string
	yes     bool
	safety  string
	output  string
	timeout time.Duration
}

// DefaultTimeout bounds an executed command unless --timeout says otherwise.
const DefaultTimeout = 10 * time.Minute

const rootLong = `caro turns what you want to do, in plain words, into a shell command.

It shows the command and checks it for risk; on a terminal it asks before
running it (y: run, n: don't, e: edit it first, r: ask again). Not on a
terminal it only prints the command, unless --yes.

Telemetry: anonymous usage metrics, never your prompts, commands, paths or
output. See what is recorded with 'caro telemetry show', turn it off with
'caro config set telemetry.enabled false' or --no-telemetry for one run.`

func (r *run) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   `caro [flags] "what you want to do"`,
		Short: "Turn natural language into shell commands",
		Long:  rootLong,
		Example: `  caro "list files by size"
  caro --backend ollama --model llama3.2:3b "find big log files"
  caro -y "show disk usage"`,
		Version:           r.env.Version,
		Args:              cobra.ArbitraryArgs,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		RunE:              r.runPrompt,
	}
	root.SetVersionTemplate("caro {{.Version}}\n")
	root.SetIn(r.env.Stdin)
	root.SetOut(r.env.Stdout)
	root.SetErr(r.env.Stderr)
	root.PersistentFlags().BoolVar(&r.noTelemetry, "no-telemetry", false,
		"record no telemetry in this run (no telemetry file is read or written)")
	f := root.Flags()
	f.StringVar(&r.flow.backend, "backend", "", "backend: static, ollama or vllm (default: backend.primary)")
	f.StringVar(&r.flow.model, "model", "", "model for ollama or vllm (default: backend.model)")
	f.BoolVarP(&r.flow.yes, "yes", "y", false, "run the command without asking (critical risk is still blocked)")
	f.StringVar(&r.flow.safety, "safety", "", "safety level: strict, moderate or permissive (default: safety.level)")
	f.StringVar(&r.flow.output, "output", "", "output format: plain, json or yaml (default: output.format)")
	f.DurationVar(&r.flow.timeout, "timeout", DefaultTimeout, "stop the executed command after this long")
	f.SortFlags = false
	root.AddCommand(r.configCommand(), r.telemetryCommand())
	return root
}

package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"caro.sh/telemetry/internal/backend"
	"caro.sh/telemetry/internal/safety"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

// flow is one `caro "prompt"` session: generate a command, check it, show
// it, maybe run it, and record what happened through the sdk.Client.
type flow struct {
	r           *run
	client      *sdk.Client
	gen         backend.Backend
	primary     schema.Backend
	fallback    bool
	safety      schema.SafetyLevel
	output      schema.OutputFormat
	yes         bool
	timeout     time.Duration
	interactive bool
	req         backend.Request
	fellBack    bool // the remote backend failed and static was tried
	ended       bool // session.end is recorded
	in          *interrupts
}

// InferenceTimeout bounds one generation by a remote backend; past it the
// static table answers (with backend.fallback) or caro gives up.
const InferenceTimeout = 60 * time.Second

// outcome is how a generation ended.
type outcome int

const (
	outShown       outcome = iota // printed, not run (not a terminal, no --yes)
	outDeclined                   // the user answered n
	outBlocked                    // the safety check refused it
	outRegenerate                 // the user asked for another command
	outExecuted                   // it ran
	outInterrupted                // a signal ended the session (see catchInterrupts)
)

func (r *run) runPrompt(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return c.Help()
	}
	prompt := strings.TrimSpace(strings.Join(args, " "))
	if prompt == "" {
		return fail(ExitUsage, `the request is empty; say what you want to do, e.g. caro "list files by size"`)
	}
	ch := r.channel()
	dirs, dirsErr := sdk.ResolveDirs(r.env.Getenv)
	doc := &configDoc{data: map[string]any{}}
	if dirsErr == nil {
		d, err := readConfigDoc(dirs.ConfigFile())
		if err != nil {
			r.warn.warn(err.Error() + "; using the defaults, telemetry off")
		} else {
			doc = d
		}
	}
	vals := doc.values(ch)
	for _, s := range settings {
		if v := vals[s.Key]; v.Err != nil && s.table() != "telemetry" {
			r.warn.warn(fmt.Sprintf("%s in %s: %v; using the default %s", s.Key, doc.path, v.Err, display(v.Text)))
		}
	}
	f, err := r.newFlow(c, vals)
	if err != nil {
		return err
	}
	f.req = backend.Request{Prompt: prompt, Shell: string(sdk.ShellOf(r.env.Getenv("SHELL"))), OS: runtime.GOOS}

	// Telemetry starts only now: a usage error records nothing. From here
	// on a signal ends the session through the flow, which records why
	// (Ctrl-C at the first-run prompt is no consent: nothing is recorded).
	f.in = catchInterrupts(c.Context())
	defer f.in.stop()
	ctx := f.in.ctx
	f.interactive = r.env.interactive()
	client, firstRun, up := r.startTelemetry(f.in, dirs, dirsErr, f.interactive)
	f.client = client
	defer r.endTelemetry(ctx, client, up)

	source := schema.ConfigDefault
	switch {
	case c.Flags().Changed("backend") || c.Flags().Changed("model") || c.Flags().Changed("safety") || c.Flags().Changed("output"):
		source = schema.ConfigFlag
	case doc.exists:
		source = schema.ConfigFile
	}
	client.SessionStart(sdk.SessionStart{
		Backend:         f.primary,
		FallbackEnabled: f.fallback,
		SafetyLevel:     f.safety,
		OutputFormat:    f.output,
		IsFirstRun:      sdk.Ptr(firstRun),
		ConfigSource:    source,
	})
	return f.run(ctx)
}

// newFlow resolves the flags over config.toml and builds the backend.
func (r *run) newFlow(c *cobra.Command, vals map[string]value) (*flow, error) {
	pick := func(flag, key string) string {
		if c.Flags().Changed(flag) {
			return strings.TrimSpace(strings.ToLower(c.Flags().Lookup(flag).Value.String()))
		}
		return vals[key].Text
	}
	f := &flow{r: r, yes: r.flow.yes, timeout: r.flow.timeout, fallback: vals["backend.fallback"].Text == "true"}
	if f.timeout <= 0 {
		return nil, fail(ExitUsage, "--timeout must be positive, e.g. --timeout 30s")
	}
	for _, x := range []struct {
		flag, key string
		set       func(string)
	}{
		{"backend", "backend.primary", func(v string) { f.primary = schema.Backend(v) }},
		{"safety", "safety.level", func(v string) { f.safety = schema.SafetyLevel(v) }},
		{"output", "output.format", func(v string) { f.output = schema.OutputFormat(v) }},
	} {
		s, _ := lookupSetting(x.key)
		v, _, err := s.Parse(pick(x.flag, x.key))
		if err != nil {
			return nil, fail(ExitUsage, "invalid --%s: %v", x.flag, err)
		}
		x.set(v)
	}
	model := vals["backend.model"].Text
	if c.Flags().Changed("model") {
		if _, _, err := modelValue(r.flow.model); err != nil {
			return nil, fail(ExitUsage, "invalid --model: %v", err)
		}
		model = r.flow.model
	}
	// The server's API key comes from the environment only, so that it is
	// never written into a config file that may be shared or shown.
	var opts []backend.Option
	if key := r.env.Getenv(apiKeyEnv); key != "" {
		opts = append(opts, backend.WithAPIKey(key))
	}
	var remote backend.Backend
	switch f.primary {
	case schema.BackendOllama:
		remote = backend.NewOllama(vals["backend.ollama_url"].Text, cmp.Or(model, defaultOllamaModel), r.env.HTTPClient, opts...)
	case schema.BackendVLLM:
		remote = backend.NewVLLM(vals["backend.vllm_url"].Text, cmp.Or(model, defaultVLLMModel), r.env.HTTPClient, opts...)
	default:
		f.gen = backend.NewStatic()
		return f, nil
	}
	f.gen = remote
	if f.fallback {
		f.gen = backend.WithFallback(remote, backend.NewStatic(), f.onFallback)
	}
	return f, nil
}

// apiKeyEnv names the variable holding the inference server's API key
// (vLLM's --api-key, or a proxy in front of Ollama), sent as a bearer token.
const apiKeyEnv = "CARO_API_KEY"

// onFallback records and explains a remote failure that static covers.
func (f *flow) onFallback(err error) {
	f.fellBack = true
	f.client.ErrorOccurred(sdk.ErrorOccurred{
		Category:          backend.Classify(err),
		Component:         schema.ComponentInference,
		Backend:           f.primary,
		Recoverable:       sdk.Ptr(true),
		FallbackAttempted: sdk.Ptr(true),
	})
	fmt.Fprintf(f.r.env.Stderr, "caro: %v; using the built-in table instead\n", err)
}

func (f *flow) run(ctx context.Context) error {
	retries := 0
	var g *generation // the command on show
	for {
		next, err := f.generate(ctx, retries)
		if it := interruptedBy(ctx); it != nil {
			// Whatever the backend made of it, the user asked to stop.
			f.end(schema.ExitInterrupted)
			return it.exit()
		}
		switch {
		case err == nil:
			g = next
		case g != nil && errors.Is(err, backend.ErrNoAlternative):
			// Asked for another: the table has none. Nothing new was
			// generated, so nothing is recorded; the same one is asked
			// about again.
			fmt.Fprintln(f.r.env.Stderr, "caro: the built-in table has no other command for that request; here is the same one again")
		default:
			return f.generationFailed(err)
		}
		out, err := f.handle(ctx, g)
		switch out {
		case outRegenerate:
			if g.result.Command != "" && !slices.Contains(f.req.Exclude, g.result.Command) {
				f.req.Exclude = append(f.req.Exclude, g.result.Command)
			}
			if next != nil {
				retries++
			}
			continue
		case outShown:
			f.end(schema.ExitNonInteractive)
		case outDeclined:
			f.end(schema.ExitUserDeclined)
		case outBlocked:
			f.end(schema.ExitSafetyBlocked)
		case outExecuted:
			f.end(schema.ExitUserComplete)
		case outInterrupted:
			f.end(schema.ExitInterrupted)
		}
		return err
	}
}

// generate asks the backend for a command (another one than those in
// f.req.Exclude, when it can), checks it and records command.generated;
// retries is the number of regenerations before it.
func (f *flow) generate(ctx context.Context, retries int) (*generation, error) {
	if f.gen.Name() != schema.BackendStatic {
		f.in.await() // a server may take its time; the static table does not
	}
	start := f.r.env.Now()
	gctx, cancel := context.WithTimeout(ctx, InferenceTimeout)
	res, err := f.gen.Generate(gctx, f.req)
	cancel()
	elapsed := f.r.env.Now().Sub(start)
	if err != nil || interruptedBy(ctx) != nil {
		return nil, err
	}
	verdict := safety.Check(res.Command)
	g := &generation{command: res.Command, result: res, verdict: verdict}
	g.id = f.client.CommandGenerated(sdk.CommandGenerated{
		Backend:         res.Backend,
		InferenceTime:   elapsed,
		RiskLevel:       verdict.Risk,
		PatternsMatched: verdict.Matched,
		ModelName:       telemetryModel(res.Model),
		InputTokens:     positive(res.InputTokens),
		OutputTokens:    positive(res.OutputTokens),
		Confidence:      confidence(res.Confidence),
		RetryCount:      sdk.Ptr(retries),
	})
	return g, nil
}

// end records session.end, once per session.
func (f *flow) end(reason schema.ExitReason) {
	if f.ended {
		return
	}
	f.ended = true
	f.client.SessionEnd(sdk.SessionEnd{ExitReason: reason})
}

// generationFailed records and explains a backend error.
func (f *flow) generationFailed(err error) error {
	name := f.primary
	if f.fellBack {
		name = schema.BackendStatic
	}
	f.client.ErrorOccurred(sdk.ErrorOccurred{
		Category:          backend.Classify(err),
		Component:         schema.ComponentInference,
		Backend:           name,
		Recoverable:       sdk.Ptr(false),
		FallbackAttempted: sdk.Ptr(f.fellBack),
	})
	f.end(schema.ExitErrorReason)
	if errors.Is(err, backend.ErrNoMatch) {
		return fail(ExitNoResult, "the built-in table has no command for that request; rephrase it, or use a model: caro --backend ollama %q", f.req.Prompt)
	}
	return fail(ExitNoResult, "could not generate a command: %v; check the server (caro config get %s) or use --backend static",
		err, f.urlKey())
}

// urlKey is the setting that holds the remote backend's URL.
func (f *flow) urlKey() string {
	if f.primary == schema.BackendVLLM {
		return "backend.vllm_url"
	}
	return "backend.ollama_url"
}

// generation is one generated command on its way to the user.
type generation struct {
	id       string
	command  string
	result   backend.Result
	verdict  safety.Verdict
	modified bool
}

// policy is what the safety level makes of a risk.
type policy int

const (
	allow policy = iota
	warn
	block
)

func policyOf(level schema.SafetyLevel, risk schema.RiskLevel) policy {
	switch risk {
	case schema.RiskCritical:
		return block
	case schema.RiskHigh:
		if level == schema.SafetyStrict {
			return block
		}
		return warn
	case schema.RiskModerate:
		if level == schema.SafetyPermissive {
			return allow
		}
		return warn
	}
	return allow
}

// handle shows a generated command and carries out the user's decision.
func (f *flow) handle(ctx context.Context, g *generation) (outcome, error) {
	pol := policyOf(f.safety, g.verdict.Risk)
	f.display(g, pol)
	if pol == block {
		return f.blocked(ctx, g)
	}
	if f.yes || !f.interactive {
		if pol == warn {
			f.safetyEvent(g, schema.ActionWarned, f.yes)
		}
		if !f.yes {
			return outShown, nil
		}
		return f.execute(ctx, g, schema.ExecAutoYes)
	}
	for {
		fmt.Fprint(f.r.env.Stderr, "Execute? [y/N/e(dit)/r(egenerate)] ")
		line, err := f.r.lines.readLineInterruptible(f.in)
		if it := interruptedBy(ctx); it != nil {
			return f.interrupted(it)
		}
		if err != nil && line == "" {
			fmt.Fprintln(f.r.env.Stderr)
			line = "n" // end of input: no
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			if pol == warn {
				f.safetyEvent(g, schema.ActionWarned, true)
			}
			return f.execute(ctx, g, schema.ExecConfirmed)
		case "", "n", "no":
			if pol == warn {
				f.safetyEvent(g, schema.ActionWarned, false)
			}
			return outDeclined, nil
		case "r", "regenerate":
			if pol == warn {
				f.safetyEvent(g, schema.ActionWarned, false)
			}
			return outRegenerate, nil
		case "e", "edit":
			fmt.Fprint(f.r.env.Stderr, "Edit the command (empty keeps it): ")
			edited, _ := f.r.lines.readLineInterruptible(f.in)
			if it := interruptedBy(ctx); it != nil {
				return f.interrupted(it)
			}
			edited = strings.TrimSpace(edited)
			if edited == "" || edited == g.command {
				continue
			}
			g.command, g.modified = edited, true
			g.verdict = safety.Check(edited)
			pol = policyOf(f.safety, g.verdict.Risk)
			f.display(g, pol)
			if pol == block {
				return f.blocked(ctx, g)
			}
		default:
			fmt.Fprintln(f.r.env.Stderr, "Please answer y (run it), n (don't), e (edit it) or r (another command).")
		}
	}
}

// overridePhrase is what the user types to run a command that the safety
// check blocked at the strict level. It is a sentence rather than y, so
// that neither habit nor a stray key runs a blocked command.
const overridePhrase = "yes, run it"

// blocked ends a generation that the safety check blocked, or runs it
// when the user overrides the block. A critical risk command is never run
// and never offered. Any other block (high risk at the strict level) is
// offered on a terminal: typing overridePhrase runs it, and the block is
// recorded with user_override true, which is what the False Positive Rate
// counts; anything else leaves it blocked. --yes never overrides a block:
// it approves ahead of time, before the verdict is shown, so it tells
// nothing about whether this block was wrong (and a script that passes it
// keeps the protection it asked for with --safety strict).
func (f *flow) blocked(ctx context.Context, g *generation) (outcome, error) {
	risk, category := g.verdict.Risk, g.verdict.Category
	if risk == schema.RiskCritical {
		f.safetyEvent(g, schema.ActionBlocked, false)
		return outBlocked, fail(ExitBlocked, "blocked: %s risk (%s); caro does not run this command, not even with --yes",
			risk, category)
	}
	if f.yes || !f.interactive {
		f.safetyEvent(g, schema.ActionBlocked, false)
		return outBlocked, fail(ExitBlocked, "blocked: %s risk (%s) at the %s safety level; to run it anyway, "+
			"run caro on a terminal without --yes and type %q", risk, category, f.safety, overridePhrase)
	}
	fmt.Fprintf(f.r.env.Stderr, "caro: blocked at the %s safety level. To run it anyway, type %q (anything else cancels): ",
		f.safety, overridePhrase)
	line, err := f.r.lines.readLineInterruptible(f.in)
	if it := interruptedBy(ctx); it != nil {
		f.safetyEvent(g, schema.ActionBlocked, false)
		return f.interrupted(it)
	}
	if err != nil && line == "" {
		fmt.Fprintln(f.r.env.Stderr) // end of input: no
	}
	if !strings.EqualFold(strings.Join(strings.Fields(line), " "), overridePhrase) {
		f.safetyEvent(g, schema.ActionBlocked, false)
		return outBlocked, fail(ExitBlocked, "blocked: %s risk (%s); not run", risk, category)
	}
	f.safetyEvent(g, schema.ActionBlocked, true)
	return f.execute(ctx, g, schema.ExecConfirmed)
}

// interrupted ends a prompt that a signal cut short, on a line of its own.
func (f *flow) interrupted(it *interruption) (outcome, error) {
	fmt.Fprintln(f.r.env.Stderr)
	return outInterrupted, it.exit()
}

func (f *flow) safetyEvent(g *generation, action schema.ActionTaken, override bool) {
	f.client.SafetyTriggered(sdk.SafetyTriggered{
		GenerationID:      g.id,
		RiskLevel:         g.verdict.Risk,
		PatternCategory:   g.verdict.Category,
		Action:            action,
		UserOverride:      sdk.Ptr(override),
		SafetyLevelConfig: f.safety,
	})
}

// shownResult is the json and yaml form of a generated command. A blocked
// command is never printed to stdout.
type shownResult struct {
	Command         string `json:"command,omitempty"`
	Backend         string `json:"backend"`
	Model           string `json:"model,omitempty"`
	RiskLevel       string `json:"risk_level"`
	PatternCategory string `json:"pattern_category,omitempty"`
	Blocked         bool   `json:"blocked"`
}

// display prints the command on stdout in the chosen format, and its risk
// on stderr.
func (f *flow) display(g *generation, pol policy) {
	out, errw := f.r.env.Stdout, f.r.env.Stderr
	res := shownResult{Command: g.command, Backend: string(g.result.Backend), Model: g.result.Model,
		RiskLevel: string(g.verdict.Risk), PatternCategory: string(g.verdict.Category), Blocked: pol == block}
	if pol == block {
		res.Command = ""
	}
	switch f.output {
	case schema.OutputJSON:
		b, _ := json.Marshal(res)
		fmt.Fprintf(out, "%s\n", b)
	case schema.OutputYAML:
		writeYAML(out, res)
	default:
		if pol != block {
			fmt.Fprintln(out, g.command)
		}
	}
	switch pol {
	case block:
		fmt.Fprintf(errw, "caro: this command is %s risk (%s):\n    %s\n", g.verdict.Risk, g.verdict.Category, g.command)
	case warn:
		fmt.Fprintf(errw, "caro: %s risk (%s): read it carefully before running it\n", g.verdict.Risk, g.verdict.Category)
	}
}

// telemetryModel is the model name as telemetry records it: its name in
// the model catalog (qwen2.5-coder:7b-instruct-q4_K_M -> qwen2.5-coder:7b,
// Qwen/Qwen2.5-Coder-1.5B-Instruct -> Qwen2.5-Coder-1.5B-Instruct), or
// custom for any other model, so that a local model named after a client,
// a host or a secret is never recorded. "" (no model, as for the static
// table) records nothing.
func telemetryModel(name string) string {
	if name == "" {
		return ""
	}
	if m, ok := schema.CatalogModel(name); ok {
		return m
	}
	return schema.ModelCustom
}

func positive(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

func confidence(x float64) *float64 {
	if x <= 0 || x > 1 {
		return nil
	}
	return &x
}

package loadgen

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"
)

// DefaultURL is an otelcol-caro on this machine (local.yaml's endpoint).
const DefaultURL = "http://127.0.0.1:4318/v1/logs"

// Command is caro-loadgen: it parses args (without the program name),
// runs, and writes the summary to stdout, as text or with --json as JSON.
// It returns the exit code: 0 when the run happened, 1 when no request got
// any answer (nothing listens, every request failed), 2 for bad flags.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, asJSON, err := ParseFlags(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintf(stderr, "caro-loadgen: %v\n", err)
		return 2
	}
	s, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "caro-loadgen: %v\n", err)
		return 2
	}
	if asJSON {
		err = s.WriteJSON(stdout)
	} else {
		err = s.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "caro-loadgen: %v\n", err)
		return 1
	}
	if s.Attempts == 0 {
		fmt.Fprintln(stderr, "caro-loadgen: no request was answered")
		return 1
	}
	return 0
}

// ParseFlags reads caro-loadgen's flags into Options, and whether the
// summary is wanted as JSON. Usage goes to stderr.
func ParseFlags(args []string, stderr io.Writer) (Options, bool, error) {
	fs := flag.NewFlagSet("caro-loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: caro-loadgen [flags]

Sends Caro sessions (the six telemetry events, every schema field set) as
OTLP/HTTP logs, gzipped protobuf, to a collector, and prints events/s,
requests/s, latency percentiles and status counts.

`)
		fs.PrintDefaults()
	}
	var o Options
	var asJSON bool
	var epoch string
	fs.StringVar(&o.URL, "url", DefaultURL, "OTLP/HTTP logs `URL` (a URL without a path gets /v1/logs)")
	fs.IntVar(&o.Workers, "workers", 2, "concurrent senders")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "run time (0: none; the default applies only without --requests)")
	fs.Int64Var(&o.Requests, "requests", 0, "requests to send (0: no count bound)")
	fs.IntVar(&o.Sessions, "sessions", DefaultSessions, "sessions (six events each) per request")
	fs.Float64Var(&o.Hostile, "hostile", 0, "`fraction` of hostile records (paths, secrets, e-mails, IPs, URLs, commands, undeclared fields), 0 to 1")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of the generated data (0: random); with the same --epoch, a run is sent again byte for byte")
	fs.StringVar(&epoch, "epoch", "", "RFC 3339 `time` the events lead up to (default now)")
	fs.IntVar(&o.Retries, "retries", 0, "times to resend a request answered 429 or 503, after its Retry-After")
	fs.DurationVar(&o.MaxRetryWait, "max-retry-wait", 5*time.Second, "cap on a Retry-After wait")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "bound on one request")
	fs.BoolVar(&o.Prepare, "prepare", false, "build every request body before the clock starts (needs --requests; holds them in memory)")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	if err := fs.Parse(args); err != nil {
		return o, false, err
	}
	if fs.NArg() > 0 {
		return o, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	if o.Requests > 0 && !durationSet {
		o.Duration = 0
	}
	if o.Requests < 0 || o.Duration < 0 {
		return o, false, fmt.Errorf("--requests and --duration must not be negative")
	}
	if o.Duration == 0 && o.Requests == 0 {
		return o, false, fmt.Errorf("--duration 0 needs --requests: a run must be bounded")
	}
	if o.Prepare && o.Requests == 0 {
		return o, false, fmt.Errorf("--prepare needs --requests")
	}
	if o.Workers < 1 || o.Sessions < 1 || o.Retries < 0 {
		return o, false, fmt.Errorf("--workers and --sessions must be at least 1, --retries at least 0")
	}
	if o.Hostile < 0 || o.Hostile > 1 {
		return o, false, fmt.Errorf("--hostile %v: want a fraction from 0 to 1", o.Hostile)
	}
	if epoch != "" {
		t, err := time.Parse(time.RFC3339Nano, epoch)
		if err != nil {
			return o, false, fmt.Errorf("--epoch: %w", err)
		}
		o.Epoch = t
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, false, fmt.Errorf("--url %q: want http(s)://host:port[/path]", o.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/logs"
		o.URL = u.String()
	}
	return o, asJSON, nil
}

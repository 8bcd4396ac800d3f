package upload

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Options.
const (
	// DefaultEndpoint is the spec's self-hosted, EU-based ingest.
	DefaultEndpoint = "https://telemetry.caro.sh"
	// LogsPath is appended to Options.Endpoint: OTLP/HTTP's logs path.
	LogsPath = "/v1/logs"
	// DefaultBatchSize bounds the events of one request.
	DefaultBatchSize = 200
	// MaxBatchSize is the largest BatchSize accepted: a spooled event is at
	// most a few hundred bytes, so a request stays well below 1 MB.
	MaxBatchSize = 5000
	// DefaultAttemptTimeout is the deadline of one request, connection,
	// TLS handshake, upload and response included.
	DefaultAttemptTimeout = 10 * time.Second
	// DefaultBackoffBase is the delay after the first consecutive failure;
	// it doubles with each further one.
	DefaultBackoffBase = time.Hour
	// DefaultBackoffMax caps the backoff, and a server's Retry-After: well
	// within the client's 7-day retention, so an event still gets more than
	// one chance during a long outage.
	DefaultBackoffMax = 72 * time.Hour
	// DefaultVersion stands in for an unset Options.Version, as in the SDK.
	DefaultVersion = "0.0.0-dev"
)

// ErrAirGapped is returned by Flush, RequestDeletion and DeletionRequest.Send
// when Options.AirGapped is set. Nothing was sent; no connection was opened.
var ErrAirGapped = errors.New("telemetry is air-gapped: nothing is sent over the network")

// Options configure Flush and RequestDeletion. The zero value sends to
// DefaultEndpoint with the defaults above.
type Options struct {
	// Endpoint is the base URL of the ingest, e.g. https://telemetry.caro.sh
	// (DefaultEndpoint when empty). Logs are posted to Endpoint + LogsPath.
	// Only https, or http for a loopback test server, with a host and no
	// user info, query or fragment.
	Endpoint string
	// Version is Caro's version: the X-Caro-Version header and the
	// resource's service.version (DefaultVersion when empty).
	Version string
	// HTTPClient is copied, never modified: its Transport (nil:
	// http.DefaultTransport) is wrapped to observe each response's status
	// and Retry-After, and redirects are never followed (telemetry goes to
	// the configured host or nowhere). Nil: a private client whose
	// connections are closed when Flush returns.
	HTTPClient *http.Client
	// BatchSize is the number of events per request (DefaultBatchSize when
	// zero, at most MaxBatchSize).
	BatchSize int
	// AttemptTimeout is the deadline of every request
	// (DefaultAttemptTimeout when zero).
	AttemptTimeout time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff after
	// consecutive failures (DefaultBackoffBase, DefaultBackoffMax when
	// zero). BackoffMax also caps a server's Retry-After.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Now is the clock of the backoff state and of MarkTransmitted
	// (time.Now when nil). Network deadlines always use the real clock.
	Now func() time.Time
	// Rand draws the backoff's jitter (the global source when nil).
	Rand *rand.Rand
	// AirGapped makes every call return ErrAirGapped before anything else:
	// the CLI's guard should stop it earlier, this one cannot be forgotten.
	AirGapped bool
}

// settings are Options with defaults applied and the endpoint parsed.
type settings struct {
	Options
	logsURL *url.URL
	jitter  func() float64
}

func (o Options) settings() (settings, error) {
	s := settings{Options: o}
	if s.Endpoint == "" {
		s.Endpoint = DefaultEndpoint
	}
	u, err := parseEndpoint(s.Endpoint)
	if err != nil {
		return s, err
	}
	s.logsURL = u
	if s.Version == "" {
		s.Version = DefaultVersion
	}
	switch {
	case s.BatchSize == 0:
		s.BatchSize = DefaultBatchSize
	case s.BatchSize < 0 || s.BatchSize > MaxBatchSize:
		return s, fmt.Errorf("upload batch size %d is outside 1..%d", s.BatchSize, MaxBatchSize)
	}
	if s.AttemptTimeout == 0 {
		s.AttemptTimeout = DefaultAttemptTimeout
	}
	if s.BackoffBase == 0 {
		s.BackoffBase = DefaultBackoffBase
	}
	if s.BackoffMax == 0 {
		s.BackoffMax = DefaultBackoffMax
	}
	if s.AttemptTimeout < 0 || s.BackoffBase < 0 || s.BackoffMax < s.BackoffBase {
		return s, fmt.Errorf("upload timings are invalid: attempt timeout %v, backoff %v..%v",
			s.AttemptTimeout, s.BackoffBase, s.BackoffMax)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Rand != nil {
		s.jitter = s.Rand.Float64
	} else {
		s.jitter = rand.Float64
	}
	return s, nil
}

// parseEndpoint returns the logs URL of a base endpoint. It refuses what
// otlploghttp would silently drop (user info, query) or replace by its
// default (an unparsable URL).
func parseEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("upload endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("upload endpoint %q is not an http(s) base URL such as %s", endpoint, DefaultEndpoint)
	}
	logs := *u
	logs.Path = strings.TrimSuffix(u.Path, "/") + LogsPath
	logs.RawPath = ""
	return &logs, nil
}

package caroreceiver

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"

	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/receiver/caroreceiver/internal/ratelimit"
)

// Default listen address: the loopback interface, on the port after
// OTLP/HTTP's 4318. A gateway sets its public address explicitly.
const defaultEndpoint = "localhost:4320"

// Config configures the caro receiver.
type Config struct {
	// ServerConfig is confighttp's: endpoint, TLS, max_request_body_size
	// (applied to the received body and again to the decompressed one, so
	// a gzip bomb is refused), timeouts, CORS, auth.
	confighttp.ServerConfig `mapstructure:",squash"`
	// RateLimit limits each client (by its address) on every endpoint.
	RateLimit RateLimitConfig `mapstructure:"rate_limit"`
	// MaxEventsPerBatch bounds the events of one POST /v1/events batch.
	MaxEventsPerBatch int `mapstructure:"max_events_per_batch"`
	// Exports configures the air-gapped export files: uploads and the drop
	// folder.
	Exports ExportsConfig `mapstructure:"exports"`
}

// RateLimitConfig is a token bucket per client.
type RateLimitConfig struct {
	// RequestsPerMinute is the sustained rate per client; 0 disables the
	// limit.
	RequestsPerMinute float64 `mapstructure:"requests_per_minute"`
	// Burst is how many requests a client may make at once.
	Burst int `mapstructure:"burst"`
	// MaxClients bounds the clients tracked at once.
	MaxClients int `mapstructure:"max_clients"`
	// TrustedProxies are the load balancers and reverse proxies (CIDRs or
	// single addresses) whose ProxyHeader names the client. A request from
	// any other peer is keyed on its own address, whatever its headers
	// say. Empty: none is trusted.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// ProxyHeader is the header the trusted proxies write the client's
	// address into: x-forwarded-for (also when empty) or forwarded
	// (RFC 7239), in any case. The other one is ignored, because a proxy
	// passes through whichever it does not write, and there the client may
	// put any address.
	ProxyHeader string `mapstructure:"proxy_header"`
}

// The values of rate_limit.proxy_header.
const (
	proxyHeaderXFF       = "x-forwarded-for"
	proxyHeaderForwarded = "forwarded"
)

// keyer parses the trusted proxies and the header, naming each bad entry.
func (c RateLimitConfig) keyer() (*ratelimit.Keyer, error) {
	var errs []error
	header := ratelimit.XForwardedFor
	switch {
	case c.ProxyHeader == "", strings.EqualFold(c.ProxyHeader, proxyHeaderXFF):
	case strings.EqualFold(c.ProxyHeader, proxyHeaderForwarded):
		header = ratelimit.Forwarded
	default:
		errs = append(errs, fmt.Errorf("rate_limit.proxy_header: %q, want %q or %q",
			c.ProxyHeader, proxyHeaderXFF, proxyHeaderForwarded))
	}
	trusted := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for i, s := range c.TrustedProxies {
		p, err := ratelimit.ParseProxy(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("rate_limit.trusted_proxies[%d]: %q %w", i, s, err))
			continue
		}
		trusted = append(trusted, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ratelimit.NewKeyer(trusted, header), nil
}

// ExportsConfig configures export files.
type ExportsConfig struct {
	// MaxDecompressedBytes bounds what one export file may inflate to.
	MaxDecompressedBytes int64 `mapstructure:"max_decompressed_bytes"`
	// DropFolder, when set, is watched for *.json.gz export files; each is
	// ingested, then moved to processed/ or, with a .error.txt beside it,
	// to rejected/.
	DropFolder string `mapstructure:"drop_folder"`
	// PollInterval is how often the drop folder is scanned.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// SettleTime is how long a file must go unmodified before it is read,
	// so that a copy still in progress (over a share, from a slow stick)
	// is not taken for a damaged file. Copying under a name starting with
	// a dot and renaming at the end needs no wait.
	SettleTime time.Duration `mapstructure:"settle_time"`
}

func createDefaultConfig() *Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = defaultEndpoint
	srv.MaxRequestBodySize = 4 << 20 // an honest batch is a few KB; an export file a few MB
	return &Config{
		ServerConfig:      srv,
		RateLimit:         RateLimitConfig{RequestsPerMinute: 60, Burst: 20, MaxClients: 10000, ProxyHeader: proxyHeaderXFF},
		MaxEventsPerBatch: 1000,
		Exports: ExportsConfig{
			MaxDecompressedBytes: exportfile.DefaultMaxBytes,
			PollInterval:         10 * time.Second,
			SettleTime:           2 * time.Second,
		},
	}
}

// Validate checks the limits.
func (c *Config) Validate() error {
	var errs []error
	if c.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: a listen address is required"))
	}
	if c.RateLimit.RequestsPerMinute < 0 {
		errs = append(errs, fmt.Errorf("rate_limit.requests_per_minute: %v is negative", c.RateLimit.RequestsPerMinute))
	}
	if c.RateLimit.RequestsPerMinute > 0 && (c.RateLimit.Burst < 1 || c.RateLimit.MaxClients < 1) {
		errs = append(errs, errors.New("rate_limit: burst and max_clients must be at least 1"))
	}
	if _, err := c.RateLimit.keyer(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxEventsPerBatch < 1 {
		errs = append(errs, fmt.Errorf("max_events_per_batch: %d, want at least 1", c.MaxEventsPerBatch))
	}
	if c.Exports.MaxDecompressedBytes < 1 {
		errs = append(errs, fmt.Errorf("exports.max_decompressed_bytes: %d, want at least 1", c.Exports.MaxDecompressedBytes))
	}
	if c.Exports.DropFolder != "" && c.Exports.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("exports.poll_interval: %v, want more than zero", c.Exports.PollInterval))
	}
	if c.Exports.SettleTime < 0 {
		errs = append(errs, fmt.Errorf("exports.settle_time: %v is negative", c.Exports.SettleTime))
	}
	return errors.Join(errs...)
}

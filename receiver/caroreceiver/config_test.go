package caroreceiver

import (
	"fmt"
	"testing"
	"time"

	"caro.sh/telemetry/internal/collectortest"
)

func TestTheDefaultConfigListensOnLoopback(t *testing.T) {
	cfg := collectortest.ValidConfig[*Config](t, NewFactory(), "")
	if cfg.NetAddr.Endpoint != "localhost:4320" || cfg.RateLimit.RequestsPerMinute != 60 || cfg.Exports.DropFolder != "" {
		t.Errorf("defaults %+v", cfg)
	}
	if len(cfg.RateLimit.TrustedProxies) != 0 || cfg.RateLimit.ProxyHeader != "x-forwarded-for" {
		t.Errorf("trusted_proxies %q, proxy_header %q; want none trusted, x-forwarded-for",
			cfg.RateLimit.TrustedProxies, cfg.RateLimit.ProxyHeader)
	}
}

func TestAGatewayConfigLoads(t *testing.T) {
	cfg := collectortest.ValidConfig[*Config](t, NewFactory(), "gateway")
	if cfg.NetAddr.Endpoint != "0.0.0.0:4320" || cfg.MaxRequestBodySize != 1<<20 || cfg.RateLimit.Burst != 5 ||
		cfg.MaxEventsPerBatch != 500 || cfg.Exports.DropFolder != "/var/spool/caro-drop" ||
		cfg.Exports.PollInterval != 30*time.Second || cfg.Exports.SettleTime != 5*time.Second || cfg.Exports.MaxDecompressedBytes != 8<<20 {
		t.Errorf("loaded %+v", cfg)
	}
	if fmt.Sprint(cfg.RateLimit.TrustedProxies) != "[127.0.0.1/32 10.0.0.0/8 ::1]" || cfg.RateLimit.ProxyHeader != "Forwarded" {
		t.Errorf("trusted_proxies %q, proxy_header %q", cfg.RateLimit.TrustedProxies, cfg.RateLimit.ProxyHeader)
	}
}

func TestInvalidConfigsAreRefused(t *testing.T) {
	collectortest.CheckInvalidConfigs(t, NewFactory(), []collectortest.Invalid{
		{Name: "no_endpoint"},
		{Name: "zero_batch"},
		{Name: "bad_rate"},
		{Name: "bad_poll"},
		{Name: "bad_proxy", Says: []string{`rate_limit.trusted_proxies[1]: "10.0.0.0/33" is not a CIDR`,
			`rate_limit.trusted_proxies[3]: "lb.internal" is not an IP address or a CIDR`},
			NotSays: []string{"trusted_proxies[0]", "trusted_proxies[2]"}},
		{Name: "bad_proxy_header", Says: []string{`rate_limit.proxy_header: "x-real-ip", want "x-forwarded-for" or "forwarded"`}},
	})
}

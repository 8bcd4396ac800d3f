package caroreceiver

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"caro.sh/telemetry/receiver/caroreceiver/internal/metadata"
)

func loadConfig(t *testing.T, file, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig()
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.(*Config)
}

func TestTheDefaultConfigListensOnLoopback(t *testing.T) {
	cfg := loadConfig(t, "config.yaml", "")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.NetAddr.Endpoint != "localhost:4320" || cfg.RateLimit.RequestsPerMinute != 60 || cfg.Exports.DropFolder != "" {
		t.Errorf("defaults %+v", cfg)
	}
	if len(cfg.RateLimit.TrustedProxies) != 0 || cfg.RateLimit.ProxyHeader != "x-forwarded-for" {
		t.Errorf("trusted_proxies %q, proxy_header %q; want none trusted, x-forwarded-for",
			cfg.RateLimit.TrustedProxies, cfg.RateLimit.ProxyHeader)
	}
}

func TestAGatewayConfigLoads(t *testing.T) {
	cfg := loadConfig(t, "config.yaml", "gateway")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
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
	for _, tc := range []struct {
		name string
		want []string // in the error, when given
		not  []string // not in the error
	}{
		{name: "no_endpoint"},
		{name: "zero_batch"},
		{name: "bad_rate"},
		{name: "bad_poll"},
		{name: "bad_proxy", want: []string{`rate_limit.trusted_proxies[1]: "10.0.0.0/33" is not a CIDR`,
			`rate_limit.trusted_proxies[3]: "lb.internal" is not an IP address or a CIDR`},
			not: []string{"trusted_proxies[0]", "trusted_proxies[2]"}},
		{name: "bad_proxy_header", want: []string{`rate_limit.proxy_header: "x-real-ip", want "x-forwarded-for" or "forwarded"`}},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, "config_invalid.yaml", tc.name))
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q names the valid %s", err, w)
				}
			}
		})
	}
}

func TestConfigStructIsWellFormed(t *testing.T) {
	if err := componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()); err != nil {
		t.Fatal(err)
	}
}

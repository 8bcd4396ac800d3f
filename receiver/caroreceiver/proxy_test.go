package caroreceiver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"caro.sh/telemetry/internal/otlptest"
	"caro.sh/telemetry/otelcolcaro"
)

// postVia posts a one-event batch through client with the extra headers h,
// as a proxy forwarding a client's request would, and returns the status.
func postVia(t *testing.T, client *http.Client, r *caroReceiver, h http.Header) int {
	t.Helper()
	body := otlptest.Gzip(batchBody(t, payloads(t, sid, time.Now().UTC())[:1]))
	req, err := http.NewRequest(http.MethodPost, r.url(EventsPath), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// xff and fwd are the headers a proxy sends.
func xff(v string) http.Header { return http.Header{"X-Forwarded-For": {v}} }
func fwd(v string) http.Header { return http.Header{"Forwarded": {v}} }

// slowLimit allows two requests, then none for a minute: no bucket
// refills during a test.
func slowLimit(trusted []string, header string) func(*Config) {
	return func(c *Config) {
		c.RateLimit = RateLimitConfig{RequestsPerMinute: 1, Burst: 2, MaxClients: 100,
			TrustedProxies: trusted, ProxyHeader: header}
	}
}

// The test's own HTTP client, on 127.0.0.1, plays the load balancer: it
// sets the headers a balancer would for each client behind it. The first
// client spends its burst; whether the second is still served says
// whether they share a bucket.
func TestClientsBehindATrustedProxyGetTheirOwnBuckets(t *testing.T) {
	loopback := []string{"127.0.0.1/32"}
	for _, tc := range []struct {
		name          string
		trusted       []string
		header        string
		first, second http.Header
		want          int // the second client's status
	}{
		{"two clients behind a trusted proxy get separate buckets",
			loopback, "", xff("198.51.100.1"), xff("198.51.100.2"), 200},
		{"the same headers from an untrusted peer share the peer's bucket",
			[]string{"10.0.0.0/8", "::1"}, "", xff("198.51.100.1"), xff("198.51.100.2"), 429},
		{"with no trusted proxy, the default, the headers are ignored",
			nil, "", xff("198.51.100.1"), xff("198.51.100.2"), 429},
		{"a client prepending another's address to X-Forwarded-For cannot spend its bucket",
			loopback, "", xff("198.51.100.2, 198.51.100.1"), xff("198.51.100.2"), 200},
		{"a client prepending a fresh address does not get a fresh bucket",
			loopback, "", xff("198.51.100.1"), xff("203.0.113.77, 198.51.100.1"), 429},
		{"a client's own Forwarded is ignored when the proxy writes X-Forwarded-For",
			loopback, "x-forwarded-for", http.Header{"X-Forwarded-For": {"198.51.100.1"}, "Forwarded": {"for=198.51.100.2"}},
			xff("198.51.100.2"), 200},
		{"a malformed header falls back to the peer's bucket",
			loopback, "", xff("198.51.100.1, not-an-address"), nil, 429},
		{"an empty header falls back to the peer's bucket",
			loopback, "", xff(""), nil, 429},
		{"unknown falls back to the peer's bucket",
			loopback, "", xff("unknown"), xff(""), 429},
		{"two clients behind a proxy writing Forwarded get separate buckets",
			loopback, "forwarded", fwd(`for="[2001:db8::1]:4711"`), fwd("for=192.0.2.60;proto=http"), 200},
		{"an obfuscated Forwarded identifier falls back to the peer's bucket",
			loopback, "forwarded", fwd(`for="_hidden"`), nil, 429},
		{"a client's own X-Forwarded-For is ignored when the proxy writes Forwarded",
			loopback, "forwarded", xff("198.51.100.1"), xff("198.51.100.2"), 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := start(t, slowLimit(tc.trusted, tc.header), nil)
			var first []int
			for range 3 {
				first = append(first, postVia(t, http.DefaultClient, r, tc.first))
			}
			if fmt.Sprint(first) != "[200 200 429]" {
				t.Fatalf("the first client: %v, want its burst of 2 then 429", first)
			}
			if got := postVia(t, http.DefaultClient, r, tc.second); got != tc.want {
				t.Errorf("the second client: %d, want %d", got, tc.want)
			}
		})
	}
}

// A client that connects directly, from an address that is not a trusted
// proxy, is keyed on that address whatever it writes: it can neither
// spend a proxied client's bucket nor escape its own.
func TestADirectClientCannotSpoofIntoAProxiedClientsBucket(t *testing.T) {
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("127.0.0.2 is not a local address here: %v", err)
	} else {
		ln.Close()
	}
	direct := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	defer direct.CloseIdleConnections()
	r, _ := start(t, slowLimit([]string{"127.0.0.1"}, ""), nil)

	var spoofed []int
	for _, h := range []string{"198.51.100.2", "198.51.100.3", "198.51.100.4"} {
		spoofed = append(spoofed, postVia(t, direct, r, xff(h)))
	}
	if fmt.Sprint(spoofed) != "[200 200 429]" {
		t.Fatalf("the direct client, a new address in each X-Forwarded-For: %v, want one bucket: 200 200 429", spoofed)
	}
	if got := postVia(t, http.DefaultClient, r, xff("198.51.100.2")); got != 200 {
		t.Errorf("the proxied client whose address was spoofed: %d, want 200", got)
	}
}

// The client's address is a personal datum: it keys the buckets and goes
// nowhere else. Each outcome that logs or counts (400, 429, a pipeline
// failure) is provoked for a client behind a trusted proxy, and the logs
// and the collector's metrics are searched for its address. (Spans are
// not: confighttp's otelhttp spans carry client.address, read from
// X-Forwarded-For, when the collector's own tracing is turned on.)
func TestTheClientAddressIsNeitherLoggedNorInTheReceiversMetrics(t *testing.T) {
	const client = "198.51.100.77"
	core, logs := observer.New(zapcore.DebugLevel)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	set := receivertest.NewNopSettings(otelcolcaro.Receiver.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	r, _ := startWith(t, set, slowLimit([]string{"127.0.0.1"}, ""),
		consumertest.NewErr(errors.New("disk full")))

	h := xff("203.0.113.9, " + client)
	h.Set("Content-Type", "text/plain") // a 400
	statuses := []int{postVia(t, http.DefaultClient, r, h)}
	h = xff(client)
	for range 2 { // a 500 with a warning, then a 429
		statuses = append(statuses, postVia(t, http.DefaultClient, r, h))
	}
	if fmt.Sprint(statuses) != "[400 500 429]" {
		t.Fatalf("statuses %v, want 400 500 429", statuses)
	}

	if logs.FilterLevelExact(zapcore.WarnLevel).Len() == 0 {
		t.Fatal("no warning logged: the search below would prove nothing")
	}
	for _, e := range logs.All() {
		if line := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(line, client) {
			t.Errorf("logged: %s", line)
		}
	}
	m, err := tel.GetMetric(otelcolcaro.MetricReceiverRequests)
	if err != nil {
		t.Fatal(err)
	}
	if sum, ok := m.Data.(metricdata.Sum[int64]); !ok || len(sum.DataPoints) != 3 {
		t.Fatalf("%s: %+v, want a point per status", m.Name, m.Data)
	}
	var rm metricdata.ResourceMetrics
	if err := tel.Reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics { // ours, receiverhelper's and confighttp's
		if s := fmt.Sprintf("%+v", sm.Metrics); strings.Contains(s, client) {
			t.Errorf("in the metrics of %s: %s", sm.Scope.Name, s)
		}
	}
}

package collector

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"caro.sh/telemetry/internal/otelcoltest"
)

// stockBinary returns the stock collector (`make test` and `make bench`
// build it), skipping the test when OTELCOL_STOCK is unset.
func stockBinary(t testing.TB) string {
	t.Helper()
	path := os.Getenv(stockEnv)
	if path == "" {
		t.Skipf("%s is not set: run `make test`, or build _build/stock/otelcol-stock and set it", stockEnv)
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s but there is no executable there (%v)", stockEnv, path, err)
	}
	return path
}

// stack plays the existing observability stack that a gateway forwards
// to: the stock collector (bench/stack.yaml) receiving OTLP/HTTP into the
// debug exporter at detailed verbosity. The test reads that output for
// every record's log.record.uid, so that it can tell a record received
// twice from two records, across restarts of the stack.
type stack struct {
	proc          *otelcoltest.Process // the same ports at each start
	otlp, metrics string
	mu            sync.Mutex
	line          []byte         // the end of the output, not yet a whole line
	copies        map[string]int // uid -> times received
	records       int            // every record received, copies included
}

// startStack runs the stock collector on free loopback ports; it is
// stopped with the test.
func startStack(t testing.TB) *stack {
	t.Helper()
	config, err := filepath.Abs(filepath.Join("..", "..", "bench", "stack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{otlp: otelcoltest.FreePort(t), metrics: otelcoltest.FreePort(t), copies: map[string]int{}}
	s.proc = &otelcoltest.Process{Name: "the stock collector", Bin: stockBinary(t), Config: config,
		Health: otelcoltest.FreePort(t), Stdout: s, Out: &otelcoltest.Output{}}
	_, port, _ := net.SplitHostPort(s.metrics)
	s.proc.Env = append(os.Environ(), "STACK_OTLP_ENDPOINT="+s.otlp, "STACK_HEALTH_ENDPOINT="+s.proc.Health,
		"STACK_METRICS_PORT="+port)
	t.Cleanup(func() { s.stop(t) })
	s.start(t)
	return s
}

// url is the stack's OTLP/HTTP base URL, the gateway's forward endpoint.
func (s *stack) url() string { return "http://" + s.otlp }

// start runs the process (again: same ports) and waits for its health
// check.
func (s *stack) start(t testing.TB) { t.Helper(); s.endOutput(); s.proc.Start(t) }

// kill is an outage: SIGKILL, and wait for the process to be gone.
func (s *stack) kill(t testing.TB) { t.Helper(); s.proc.Kill(t); s.endOutput() }

// stop sends SIGTERM and waits (then kills).
func (s *stack) stop(t testing.TB) { t.Helper(); s.proc.Stop(t); s.endOutput() }

func (s *stack) running() bool { return s.proc.Running() }

// uidMarker starts the debug exporter's line for a record's uid:
// "     -> log.record.uid: Str(0190...)".
const uidMarker = "-> log.record.uid: Str("

// Write takes the process's stdout, the debug exporter's output, and
// counts the uid of each whole line.
func (s *stack) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.line = append(s.line, p...)
	for {
		i := bytes.IndexByte(s.line, '\n')
		if i < 0 {
			break
		}
		s.count(string(s.line[:i]))
		s.line = s.line[i+1:]
	}
	s.line = append([]byte(nil), s.line...)
	return len(p), nil
}

// endOutput counts what a process that has exited wrote after its last
// newline, as a line.
func (s *stack) endOutput() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.line) > 0 {
		s.count(string(s.line))
		s.line = nil
	}
}

// count counts the uid of one line of output, if it has one; s.mu is
// held.
func (s *stack) count(line string) {
	i := strings.Index(line, uidMarker)
	if i < 0 {
		return
	}
	uid := strings.TrimSuffix(line[i+len(uidMarker):], ")")
	s.copies[uid]++
	s.records++
}

// accepted is the stack's otelcol_receiver_accepted_log_records: the
// records its current process has acknowledged.
func (s *stack) accepted(t testing.TB) float64 {
	t.Helper()
	return scrape(t, s.metrics, "otelcol_receiver_accepted_log_records")
}

// received returns how many distinct uids and how many records the stack
// has received so far.
func (s *stack) received() (distinct, records int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.copies), s.records
}

// forwardCheck compares what the stack received with the uids the
// gateway acknowledged.
type forwardCheck struct {
	acked, forwarded, missing, unknown, copies, records int
}

// check counts the acknowledged uids the stack received (each at least
// once), those it did not, the uids it received that were never
// acknowledged (a retried request the gateway had refused is allowed
// there: its events were offered, only not acknowledged), and the records
// beyond the first copy of each uid.
func (s *stack) check(want []string) forwardCheck {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := forwardCheck{acked: len(want), records: s.records}
	wanted := make(map[string]bool, len(want))
	for _, uid := range want {
		wanted[uid] = true
		if s.copies[uid] > 0 {
			c.forwarded++
		} else {
			c.missing++
		}
	}
	for uid, n := range s.copies {
		if !wanted[uid] {
			c.unknown++
		}
		c.copies += n - 1
	}
	return c
}

// foreign counts the uids the stack received that are not in offered.
func (s *stack) foreign(offered []string) int {
	in := make(map[string]bool, len(offered))
	for _, uid := range offered {
		in[uid] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for uid := range s.copies {
		if !in[uid] {
			n++
		}
	}
	return n
}

// awaitForwarded waits until the stack has received every uid of want,
// or deadline, and returns the check then.
func (s *stack) awaitForwarded(want []string, deadline time.Time) forwardCheck {
	for {
		c := s.check(want)
		if c.missing == 0 || time.Now().After(deadline) {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gateway is otelcol-caro with collector-config/gateway.yaml: TLS on both
// receivers (a fresh self-signed certificate for 127.0.0.1), its store and
// forward queue in one data folder, forwarding to forward.
type gateway struct {
	*collector
	data   string
	client *http.Client // trusts the gateway's certificate
}

// startGateway runs the gateway with its data in a temp folder; env
// adds to or overrides its environment (CARO_FORWARD_RETRY_MAX, ...).
func startGateway(t testing.TB, forward string, env ...string) *gateway {
	t.Helper()
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	data := filepath.Join(dir, "data")
	env = append([]string{"CARO_DATA=" + data, "CARO_TLS_CERT=" + cert, "CARO_TLS_KEY=" + key,
		"CARO_FORWARD_ENDPOINT=" + forward}, env...)
	c := startCollector(t, "gateway.yaml", env...)
	c.store = filepath.Join(data, "caro.db")
	return &gateway{collector: c, data: data, client: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
}

func (g *gateway) logsURL() string   { return "https://" + g.otlp + "/v1/logs" }
func (g *gateway) eventsURL() string { return "https://" + g.events + "/v1/events" }

// selfSigned writes a certificate and key for 127.0.0.1 into dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "otelcol-caro test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

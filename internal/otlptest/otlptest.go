// Package otlptest is what the tests' OTLP/HTTP servers share: the checks
// a request from caro's uploader must pass and the decoding of its gzipped
// protobuf body, so that every test server speaks the protocol the same way.
package otlptest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"
)

// LogsPath is where OTLP/HTTP log exports are posted.
const LogsPath = "/v1/logs"

// Problems lists what is wrong with r as an OTLP/HTTP logs export from
// caro: the method, the path (when path is not empty: a test of a base
// path checks it on its own), the content type and encoding, and the
// X-Caro-Version header. None means it is right.
func Problems(r *http.Request, path string) []string {
	var out []string
	if r.Method != http.MethodPost || (path != "" && r.URL.Path != path) {
		out = append(out, fmt.Sprintf("%s %s, want POST %s", r.Method, r.URL.Path, path))
	}
	for k, want := range map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"} {
		if got := r.Header.Get(k); got != want {
			out = append(out, fmt.Sprintf("%s %q, want %q", k, got, want))
		}
	}
	if r.Header.Get("X-Caro-Version") == "" {
		out = append(out, "no X-Caro-Version header")
	}
	return out
}

// Decode gunzips and unmarshals an export request body.
func Decode(body io.Reader) (*collogspb.ExportLogsServiceRequest, error) {
	zr, err := gzip.NewReader(body)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	var req collogspb.ExportLogsServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("protobuf: %w", err)
	}
	return &req, nil
}

// Untouchable starts a listener on 127.0.0.1 that fails the test on any
// connection (an air-gapped or refusing caro must never reach it) and
// returns its URL. It closes with the test.
func Untouchable(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Errorf("connection from %s to a listener that must stay untouched", c.RemoteAddr())
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return "http://" + ln.Addr().String()
}

// Gzip compresses b, as a client compresses a request body.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

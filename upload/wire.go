package upload

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"sync"

	"go.opentelemetry.io/otel/sdk/resource"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// guard is the exporter's RoundTripper, the last step before the network.
// It does two things the exporter does not offer:
//
//   - It observes the status and Retry-After of each response. otlploghttp
//     reports a failed request as a formatted error, or as an unexported
//     retryable type for 429/502/503/504 only, so they are read here.
//
//   - It enforces the resource. sdk/log's WithResource merges
//     resource.Environment() under the given resource, so
//     OTEL_RESOURCE_ATTRIBUTES (host.name=..., user.name=...) would ride
//     along with Caro's records, and there is no option to prevent it.
//     When the records' resource is not exactly otelconv.Resource(version), the
//     request body is decoded and every resource replaced by it. In the
//     usual case (no such variable) the body passes untouched.
type guard struct {
	next     http.RoundTripper
	resource *resource.Resource

	mu         sync.Mutex
	scrub      bool
	status     int
	retryAfter string
}

// reset prepares for the next request; scrub says whether its body's
// resources must be replaced.
func (g *guard) reset(scrub bool) {
	g.mu.Lock()
	g.scrub, g.status, g.retryAfter = scrub, 0, ""
	g.mu.Unlock()
}

// last returns the status (0: no response) and Retry-After of the last
// response since reset.
func (g *guard) last() (status int, retryAfter string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.status, g.retryAfter
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	scrub := g.scrub
	g.mu.Unlock()
	if scrub {
		var err error
		if req, err = g.scrubbed(req); err != nil {
			return nil, err
		}
	}
	resp, err := g.next.RoundTrip(req)
	if resp != nil {
		g.mu.Lock()
		g.status = resp.StatusCode
		g.retryAfter = resp.Header.Get("Retry-After")
		g.mu.Unlock()
	}
	return resp, err
}

// scrubbed returns req with every ResourceLogs' resource replaced by
// g.resource. A body it cannot read fails the request: nothing leaves
// unchecked.
func (g *guard) scrubbed(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Header.Get("Content-Encoding") != "gzip" {
		return nil, fmt.Errorf("upload guard: unexpected request body (encoding %q)", req.Header.Get("Content-Encoding"))
	}
	zipped, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("upload guard: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, fmt.Errorf("upload guard: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("upload guard: %w", err)
	}
	var msg collogspb.ExportLogsServiceRequest
	if err := proto.Unmarshal(raw, &msg); err != nil {
		return nil, fmt.Errorf("upload guard: %w", err)
	}
	attrs := make([]*commonpb.KeyValue, 0, g.resource.Len())
	for _, kv := range g.resource.Attributes() {
		attrs = append(attrs, &commonpb.KeyValue{Key: string(kv.Key),
			Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: kv.Value.AsString()}}})
	}
	for _, rl := range msg.ResourceLogs {
		rl.Resource = &resourcepb.Resource{Attributes: attrs}
		rl.SchemaUrl = ""
	}
	if raw, err = proto.Marshal(&msg); err != nil {
		return nil, fmt.Errorf("upload guard: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("upload guard: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("upload guard: %w", err)
	}
	body := buf.Bytes()
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	return out, nil
}

package upload

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"caro.sh/telemetry/internal/otlptest"
)

// otlpServer is a real OTLP/HTTP logs receiver on 127.0.0.1: it gunzips
// and decodes every ExportLogsServiceRequest, records each request and its
// records (with their log.record.uid), and answers as scripted, one action
// per request, then with its fallback.
type otlpServer struct {
	t        testing.TB
	srv      *http.Server
	listener net.Listener
	URL      string // base URL for Options.Endpoint

	mu       sync.Mutex
	script   []action
	fallback action
	latency  func() time.Duration // before each 200, once the records are kept
	requests []*gotRequest
	problems []string
	done     sync.WaitGroup
}

type actionKind int

const (
	answerOK    actionKind = iota // decode, accept, 200
	answerCode                    // decode, then the status and headers
	answerSlow                    // decode, accept, then wait before the 200
	answerReset                   // read part of the body, then reset the connection
)

type action struct {
	kind   actionKind
	status int
	header map[string]string
	delay  time.Duration
}

func ok() action { return action{kind: answerOK} }
func code(status int, header ...string) action {
	h := map[string]string{}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	return action{kind: answerCode, status: status, header: h}
}
func slow(d time.Duration) action { return action{kind: answerSlow, delay: d} }
func reset() action               { return action{kind: answerReset} }

// gotRequest is one request as the server saw it.
type gotRequest struct {
	Path     string
	Header   http.Header
	Action   actionKind
	Status   int  // what the server answered (0: reset)
	Accepted bool // the server kept its records (a 2xx, or slow)
	Resource map[string]any
	Scope    string
	Records  []gotRecord
}

// gotRecord is one decoded log record.
type gotRecord struct {
	UID       string
	Name      string
	Time      time.Time
	Observed  time.Time
	Severity  int32
	Attrs     map[string]any // log.record.uid excluded
	TraceID   []byte
	AttrOrder []string
}

// sameContent reports whether two copies of a record are the same event.
func (r gotRecord) sameContent(o gotRecord) bool {
	return r.UID == o.UID && r.Name == o.Name && r.Time.Equal(o.Time) && r.Observed.Equal(o.Observed) &&
		fmt.Sprint(r.Attrs) == fmt.Sprint(o.Attrs)
}

func newOTLPServer(t testing.TB, script ...action) *otlpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &otlpServer{t: t, listener: ln, script: script, fallback: ok(), URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and fails the test on any protocol problem seen.
func (s *otlpServer) Close() {
	_ = s.srv.Close()
	s.done.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.problems {
		s.t.Errorf("otlp server: %s", p)
	}
	s.problems = nil
}

// Then appends actions to the script.
func (s *otlpServer) Then(as ...action) {
	s.mu.Lock()
	s.script = append(s.script, as...)
	s.mu.Unlock()
}

// Fallback sets the answer once the script is used up.
func (s *otlpServer) Fallback(a action) {
	s.mu.Lock()
	s.fallback = a
	s.mu.Unlock()
}

// SetLatency delays every 200 by f(), after the records are kept: the
// window in which a client that dies leaves a duplicate behind.
func (s *otlpServer) SetLatency(f func() time.Duration) {
	s.mu.Lock()
	s.latency = f
	s.mu.Unlock()
}

func (s *otlpServer) next() action {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) > 0 {
		a := s.script[0]
		s.script = s.script[1:]
		return a
	}
	return s.fallback
}

func (s *otlpServer) problem(format string, args ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// Requests returns a copy of the requests seen so far.
func (s *otlpServer) Requests() []*gotRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*gotRequest(nil), s.requests...)
}

// Delivered returns every record the server accepted, in arrival order,
// duplicates included.
func (s *otlpServer) Delivered() []gotRecord {
	var out []gotRecord
	for _, r := range s.Requests() {
		if r.Accepted {
			out = append(out, r.Records...)
		}
	}
	return out
}

func (s *otlpServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.done.Add(1)
	defer s.done.Done()
	a := s.next()
	got := &gotRequest{Path: r.URL.Path, Header: r.Header.Clone(), Action: a.kind}

	if a.kind == answerReset {
		s.resetMidBody(w, got)
		return
	}
	for _, p := range otlptest.Problems(r, "") {
		s.problem("%s", p)
	}
	req, err := otlptest.Decode(r.Body)
	if err != nil {
		// A client that went away mid-body is not a protocol problem.
		if r.Context().Err() == nil && !isConnErr(err) {
			s.problem("decode: %v", err)
		}
		got.Status = http.StatusBadRequest
		s.record(got)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fill(got, req, s)

	switch a.kind {
	case answerCode:
		got.Status = a.status
		s.record(got)
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, `{"error":"scripted"}`)
		return
	case answerSlow:
		// A slow server has the data already; only its answer is late.
		got.Status, got.Accepted = http.StatusOK, true
		s.record(got)
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		}
	default:
		got.Status, got.Accepted = http.StatusOK, true
		s.record(got)
		s.mu.Lock()
		latency := s.latency
		s.mu.Unlock()
		if latency != nil {
			time.Sleep(latency())
		}
	}
	body, _ := proto.Marshal(&collogspb.ExportLogsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// resetMidBody takes the connection over, reads a few bytes of the body and
// closes it with a TCP reset (SO_LINGER 0), before any answer.
func (s *otlpServer) resetMidBody(w http.ResponseWriter, got *gotRequest) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		s.problem("response writer cannot hijack")
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		s.problem("hijack: %v", err)
		return
	}
	var part [16]byte
	_, _ = io.ReadFull(rw.Reader, part[:])
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
	s.record(got)
}

func (s *otlpServer) record(got *gotRequest) {
	s.mu.Lock()
	s.requests = append(s.requests, got)
	s.mu.Unlock()
}

func isConnErr(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "closed")
}

func fill(got *gotRequest, req *collogspb.ExportLogsServiceRequest, s *otlpServer) {
	if n := len(req.ResourceLogs); n != 1 {
		s.problem("%d resource logs in one request, want 1", n)
	}
	for _, rl := range req.ResourceLogs {
		got.Resource = attrMap(rl.GetResource().GetAttributes())
		for _, sl := range rl.ScopeLogs {
			got.Scope = sl.GetScope().GetName()
			for _, lr := range sl.LogRecords {
				rec := gotRecord{
					Name:     lr.EventName,
					Time:     time.Unix(0, int64(lr.TimeUnixNano)).UTC(),
					Observed: time.Unix(0, int64(lr.ObservedTimeUnixNano)).UTC(),
					Severity: int32(lr.SeverityNumber),
					TraceID:  lr.TraceId,
					Attrs:    map[string]any{},
				}
				for _, kv := range lr.Attributes {
					rec.AttrOrder = append(rec.AttrOrder, kv.Key)
					if kv.Key == AttrRecordUID {
						rec.UID = kv.Value.GetStringValue()
						continue
					}
					rec.Attrs[kv.Key] = anyValue(kv.Value)
				}
				if rec.UID == "" {
					s.problem("record %s without %s", rec.Name, AttrRecordUID)
				}
				got.Records = append(got.Records, rec)
			}
		}
	}
}

func attrMap(kvs []*commonpb.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = anyValue(kv.Value)
	}
	return m
}

func anyValue(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_ArrayValue:
		out := make([]any, 0, len(x.ArrayValue.Values))
		for _, e := range x.ArrayValue.Values {
			out = append(out, anyValue(e))
		}
		return out
	}
	return fmt.Sprintf("unsupported %T", v.GetValue())
}

// closedPort returns a base URL on 127.0.0.1 where nothing listens.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

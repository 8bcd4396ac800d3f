package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"

	"caro.sh/telemetry/internal/otlptest"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/sdk"
)

// The telemetry endpoint of the scripts: a real OTLP/HTTP logs receiver on
// 127.0.0.1 that gunzips and decodes the protobuf (as upload's own tests
// do; test files cannot be imported), and a TCP listener that accepts and
// never answers (a black-holed endpoint) or must never be touched
// (air-gapped).

// otlpServer is the receiver of one script.
type otlpServer struct {
	srv *http.Server

	mu         sync.Mutex
	status     int // answer this (0: 200) ...
	retryAfter string
	times      int // ... this many times (0: always), then 200
	requests   []string
	problems   []string
}

// silentListener accepts connections and never answers.
type silentListener struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

var (
	scriptMu      sync.Mutex
	otlpServers   = map[*testscript.TestScript]*otlpServer{}
	silentServers = map[*testscript.TestScript]*silentListener{}
)

// cmdOTLPServer starts the receiver and sets $OTLP to its base URL:
// `otlp-server [-status N] [-retry-after SECONDS] [-times K]`.
func cmdOTLPServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! otlp-server")
	}
	fs := flag.NewFlagSet("otlp-server", flag.ContinueOnError)
	status := fs.Int("status", 0, "answer with this status")
	retryAfter := fs.String("retry-after", "", "Retry-After header of that answer")
	times := fs.Int("times", 0, "answer so this many times, then 200 (0: always)")
	ts.Check(fs.Parse(args))
	s, url, err := startOTLPServer(*status, *retryAfter, *times)
	ts.Check(err)
	scriptMu.Lock()
	otlpServers[ts] = s
	scriptMu.Unlock()
	ts.Defer(func() {
		s.srv.Close()
		scriptMu.Lock()
		delete(otlpServers, ts)
		scriptMu.Unlock()
	})
	ts.Setenv("OTLP", url)
}

// startOTLPServer starts a receiver that answers status (0: 200) with
// retryAfter, times times (0: always), then 200. It returns its base URL.
func startOTLPServer(status int, retryAfter string, times int) (*otlpServer, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	s := &otlpServer{status: status, retryAfter: retryAfter, times: times}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, "http://" + ln.Addr().String(), nil
}

// received returns the requests so far, one line each, and the protocol
// problems seen.
func (s *otlpServer) received() (requests, problems []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests), slices.Clone(s.problems)
}

func (s *otlpServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	problem := func(format string, args ...any) {
		s.mu.Lock()
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
		s.mu.Unlock()
	}
	for _, p := range otlptest.Problems(r, otlptest.LogsPath) {
		problem("%s", p)
	}
	req, err := otlptest.Decode(r.Body)
	if err != nil {
		problem("decode: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	status := http.StatusOK
	if s.status != 0 {
		status = s.status
		if s.times > 0 {
			if s.times--; s.times == 0 {
				s.status = 0
			}
		}
	}
	s.requests = append(s.requests, fmt.Sprintf("%d %s %s", status, r.Header.Get("X-Caro-Version"), describeRecords(req)))
	retryAfter := s.retryAfter
	s.mu.Unlock()

	if status != http.StatusOK {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, `{"error":"scripted"}`, status)
		return
	}
	body, _ := proto.Marshal(&collogspb.ExportLogsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(body)
}

// describeRecords is one line of a request's records: the event names
// and, for a deletion request, the number of its session ids, whether
// they are exactly the test machine's ids of the last 180 days, and every
// other attribute's key, so that a script sees that it carries nothing
// else.
func describeRecords(req *collogspb.ExportLogsServiceRequest) string {
	var parts []string
	for _, rl := range req.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			for _, lr := range sl.LogRecords {
				p := lr.EventName
				if lr.EventName == schema.EventDeletionRequest {
					var keys []string
					for _, kv := range lr.Attributes {
						if kv.Key != schema.KeySessionIDs {
							keys = append(keys, kv.Key)
							continue
						}
						var ids []string
						for _, v := range kv.Value.GetArrayValue().GetValues() {
							ids = append(ids, v.GetStringValue())
						}
						p += fmt.Sprintf(" %d ids", len(ids))
						if slices.Equal(ids, testDeletionIDs()) {
							p += " (this machine's, 180 days)"
						}
					}
					sort.Strings(keys)
					p += " also " + strings.Join(keys, ",")
				}
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, " ")
}

// testDeletionIDs are the ids delete-remote must send for the test
// machine at the test time, sorted as the request carries them.
func testDeletionIDs() []string {
	ids := sdk.SessionIDsSince(testMachineID, testNow.AddDate(0, 0, -schema.ErrorRetentionDays), testNow)
	slices.Sort(ids)
	return ids
}

// cmdOTLPReceived prints one line per request received (status, the
// X-Caro-Version header, the records) and fails on any protocol problem:
// `otlp-received`.
func cmdOTLPReceived(ts *testscript.TestScript, neg bool, args []string) {
	scriptMu.Lock()
	s := otlpServers[ts]
	scriptMu.Unlock()
	if s == nil || neg || len(args) != 0 {
		ts.Fatalf("usage: otlp-received, after otlp-server")
	}
	requests, problems := s.received()
	for _, p := range problems {
		ts.Fatalf("otlp server: %s", p)
	}
	for i, r := range requests {
		fmt.Fprintf(ts.Stdout(), "request %d: %s\n", i+1, r)
	}
}

// cmdSilentListener starts a TCP listener on 127.0.0.1 that accepts
// connections and never answers, and sets $SILENT to its URL:
// `silent-listener`. `silent-connections N` (or `silent-connections
// -wait N`, waiting up to 10 s for at least N) checks how many it got.
func cmdSilentListener(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: silent-listener")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	l := &silentListener{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			l.conns = append(l.conns, c)
			l.mu.Unlock()
		}
	}()
	scriptMu.Lock()
	silentServers[ts] = l
	scriptMu.Unlock()
	ts.Defer(func() {
		ln.Close()
		l.mu.Lock()
		for _, c := range l.conns {
			c.Close()
		}
		l.mu.Unlock()
		scriptMu.Lock()
		delete(silentServers, ts)
		scriptMu.Unlock()
	})
	ts.Setenv("SILENT", "http://"+ln.Addr().String())
}

func cmdSilentConnections(ts *testscript.TestScript, neg bool, args []string) {
	scriptMu.Lock()
	l := silentServers[ts]
	scriptMu.Unlock()
	wait := len(args) == 2 && args[0] == "-wait"
	if wait {
		args = args[1:]
	}
	if l == nil || neg || len(args) != 1 {
		ts.Fatalf("usage: silent-connections [-wait] N, after silent-listener")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	count := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.conns)
	}
	if wait {
		for deadline := time.Now().Add(10 * time.Second); count() < want && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got := count(); got != want {
		ts.Fatalf("the silent listener got %d connections, want %d", got, want)
	}
}

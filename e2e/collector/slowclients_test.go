package collector

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"caro.sh/telemetry/internal/plogtest"
)

// proc reads one figure of process pid with read (procRSS, procFiles),
// failing the test if it cannot.
func proc[N int | int64](t testing.TB, read func(pid int) (N, error), pid int) N {
	t.Helper()
	n, err := read(pid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// procRSS is a process's resident set in KiB, from /proc/PID/status.
func procRSS(pid int) (int64, error) { return procStatus(pid, "VmRSS") }

// procStatus reads a field in KiB of /proc/PID/status (VmRSS, RssAnon,
// RssFile, RssShmem).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// procFiles is the number of a process's file descriptors.
func procFiles(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(entries), err
}

// slowConn is one connection of a slow client, and when the server
// closed it.
type slowConn struct {
	kind   string
	opened time.Time
	closed chan time.Duration // after opened
}

// slowClient opens a connection to addr and behaves as kind says:
//
//	idle        connects and sends nothing
//	header      sends a request line, then a byte of header a second
//	body        sends complete headers announcing 100 kB, then a byte of body a second
//	keep-alive  sends one complete request, reads its answer, then idles
//
// until the server closes the connection or stop is closed.
func slowClient(t *testing.T, addr, kind, path, contentType string, body []byte, stop <-chan struct{}) *slowConn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("%s connection: %v", kind, err)
	}
	c := &slowConn{kind: kind, opened: time.Now(), closed: make(chan time.Duration, 1)}
	head := "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: " + contentType + "\r\n"
	r := bufio.NewReader(conn)
	switch kind {
	case "header":
		_, err = conn.Write([]byte("POST " + path + " HTTP/1.1\r\n"))
	case "body":
		_, err = conn.Write([]byte(head + "Content-Length: 100000\r\n\r\n"))
	case "keep-alive":
		if _, err = conn.Write([]byte(head + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))); err == nil {
			var resp *http.Response
			if resp, err = http.ReadResponse(r, nil); err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("answered %d", resp.StatusCode)
				}
			}
		}
	}
	if err != nil {
		t.Fatalf("%s connection: %v", kind, err)
	}
	// The reader notices the close (after an answer, if the server sends
	// one); the writer trickles.
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := r.Read(buf); err != nil {
				c.closed <- time.Since(c.opened)
				return
			}
		}
	}()
	if kind == "header" || kind == "body" {
		go everySecond(stop, func() bool {
			b := []byte("x")
			if kind == "header" {
				b = []byte("X")
			}
			_, err := conn.Write(b)
			return err == nil
		})
	}
	go func() { <-stop; conn.Close() }()
	return c
}

// TestSlowClientsAreTimedOutAndRealClientsStillServed: a thousand
// connections to the two receivers (local.yaml) that send nothing, trickle
// a header or a body a byte a second, or idle after a request. Real
// clients are served meanwhile; the collector's memory stays bounded; and
// every slow connection is closed by the configured timeouts
// (read_header_timeout 10 s, read_timeout and keepalive idle_timeout 30 s),
// not held for ever.
func TestSlowClientsAreTimedOutAndRealClientsStillServed(t *testing.T) {
	t.Parallel() // half a minute of waiting for timeouts, beside the other long waits
	col := startCollector(t, "local.yaml", "CARO_RATE_PER_MINUTE=60000", "CARO_RATE_BURST=10000")
	pid := col.cmd.Process.Pid
	rss0, files0 := proc(t, procRSS, pid), proc(t, procFiles, pid)
	validOTLP, _ := plogotlp.NewExportRequestFromLogs(plogtest.Logs(plogtest.Session("fedcba9876543210", time.Now().UTC(), 7)...)).MarshalProto()
	validEvents := eventsJSON(sessionStartJSON(""))

	stop := make(chan struct{})
	defer close(stop)
	var conns []*slowConn
	for _, rc := range []struct{ addr, path, ct string }{
		{col.otlp, "/v1/logs", "application/x-protobuf"},
		{col.events, "/v1/events", "application/json"},
	} {
		body := validOTLP
		if rc.path == "/v1/events" {
			body = validEvents
		}
		for _, k := range []struct {
			kind string
			n    int
		}{{"idle", 150}, {"header", 150}, {"body", 150}, {"keep-alive", 50}} {
			for range k.n {
				conns = append(conns, slowClient(t, rc.addr, k.kind, rc.path, rc.ct, body, stop))
			}
		}
	}
	time.Sleep(2 * time.Second)
	files1 := proc(t, procFiles, pid)

	// Real clients, meanwhile.
	var lat []time.Duration
	for i := range 20 {
		begin := time.Now()
		ld := plogtest.Logs(plogtest.Session("fedcba9876543210", time.Now().UTC(), 100+i)...)
		b, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		if status, answer := post(t, "http://"+col.otlp+"/v1/logs", map[string]string{"Content-Type": "application/x-protobuf"}, b); status != 200 {
			t.Errorf("a real OTLP client among the slow ones: %d %s", status, answer)
		}
		if status, answer := post(t, "http://"+col.events+"/v1/events", map[string]string{"Content-Type": "application/json"}, validEvents); status != 200 {
			t.Errorf("a real /v1/events client among the slow ones: %d %s", status, answer)
		}
		lat = append(lat, time.Since(begin))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })

	// Every slow connection closed by the server, the collector's memory
	// sampled meanwhile.
	peak := proc(t, procRSS, pid)
	closedAt := map[string]time.Duration{}
	open := map[string]int{}
	deadline := conns[0].opened.Add(45 * time.Second)
	for _, c := range conns {
		select {
		case d := <-c.closed:
			closedAt[c.kind] = max(closedAt[c.kind], d)
		case <-time.After(time.Until(deadline)):
			open[c.kind]++
		}
		peak = max(peak, proc(t, procRSS, pid))
	}
	col.alive(t)
	for kind, n := range open {
		t.Errorf("%d %s connections still open 45 s after the first was opened", n, kind)
	}
	time.Sleep(time.Second)
	files2 := proc(t, procFiles, pid)
	t.Logf("1000 slow connections (per receiver: 150 idle, 150 trickling a header, 150 a body, 50 kept alive): "+
		"files open %d -> %d -> %d; RSS %d MiB -> peak %d MiB; 40 real requests served, p50 %v, max %v; "+
		"last closed after: idle %v, header %v, body %v, keep-alive %v",
		files0, files1, files2, rss0>>10, peak>>10, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond),
		closedAt["idle"].Round(time.Second), closedAt["header"].Round(time.Second), closedAt["body"].Round(time.Second),
		closedAt["keep-alive"].Round(time.Second))
	if files1-files0 < 900 {
		t.Errorf("only %d more files open with 1000 slow connections: the test did not hold them", files1-files0)
	}
	if files2 > files0+20 {
		t.Errorf("%d files open after the slow connections were closed, %d before", files2, files0)
	}
	if grew := (peak - rss0) >> 10; grew > 128 {
		t.Errorf("RSS grew by %d MiB with 1000 slow connections, want at most 128", grew)
	}
}

package collector

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/internal/loadgen"
	"caro.sh/telemetry/internal/pgtest"
	"caro.sh/telemetry/schema"
)

// sender posts the load generator's batches to replicas, as clients
// behind a load balancer would: a batch that gets no 2xx is sent again,
// to the next replica, until one acknowledges it. It records which
// batches were acknowledged, and by whom.
type sender struct {
	gen    *loadgen.Generator
	client *http.Client // nil: a plain HTTP client

	mu    sync.Mutex
	acked map[uint64]string // batch index -> the replica that answered 2xx
	codes map[int]int       // non-2xx answers by status code; 0: no answer
	after int               // of those 503 and 429, how many said Retry-After
}

func newSender(t *testing.T) *sender {
	t.Helper()
	gen, err := loadgen.NewGenerator(7, time.Now().UTC().Truncate(time.Second), 11, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &sender{gen: gen, acked: map[uint64]string{}, codes: map[int]int{}}
}

// post sends batch n to the first replica of urls that acknowledges it,
// trying them in turn until deadline.
func (s *sender) post(t *testing.T, n uint64, urls []string, deadline time.Time) bool {
	body, err := s.gen.Batch(n).Body()
	if err != nil {
		t.Error(err)
		return false
	}
	client := s.client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	for i := 0; time.Now().Before(deadline); i++ {
		url := urls[(int(n)+i)%len(urls)]
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := client.Do(req)
		code := 0
		if err == nil {
			code = resp.StatusCode
			if (code == 503 || code == 429) && resp.Header.Get("Retry-After") != "" {
				s.mu.Lock()
				s.after++
				s.mu.Unlock()
			}
			resp.Body.Close()
		}
		if code/100 == 2 {
			s.mu.Lock()
			s.acked[n] = url
			s.mu.Unlock()
			return true
		}
		s.mu.Lock()
		s.codes[code]++
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// uids returns the log.record.uid of every event of batch n.
func (s *sender) uids(n uint64) []string {
	var out []string
	for _, r := range s.gen.Batch(n).Records {
		uid, _ := event.SplitRecordUID(append([]schema.Attr(nil), r.Attrs...))
		out = append(out, uid)
	}
	return out
}

// storedOnce checks that every event of the acknowledged batches is in
// the database exactly once, and returns how many rows it holds.
func storedOnce(t *testing.T, dsn string, s *sender) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, distinct int
	if err := conn.QueryRow(context.Background(), "SELECT count(*), count(DISTINCT uid) FROM events").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct {
		t.Errorf("%d rows but %d distinct uids: an event is stored twice", rows, distinct)
	}
	var want []string
	s.mu.Lock()
	for n := range s.acked {
		want = append(want, s.uids(n)...)
	}
	s.mu.Unlock()
	var found int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE uid = ANY($1)", want).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != len(want) {
		t.Errorf("%d of %d acknowledged events are stored", found, len(want))
	}
	return rows
}

// startReplicas runs PostgreSQL and two otelcol-caro replicas
// (postgres.yaml) on one of its databases, and returns the server, the
// database's DSN, the replicas and their OTLP/HTTP logs URLs. Without the
// collector binary the test skips before PostgreSQL starts.
func startReplicas(t *testing.T) (pg *pgtest.Server, dsn string, a, b *collector, urls []string) {
	t.Helper()
	binary(t)
	pg = pgtest.Start(t)
	dsn = pg.CreateDatabase("caro")
	a = startCollector(t, "postgres.yaml", "CARO_POSTGRES_DSN="+dsn)
	b = startCollector(t, "postgres.yaml", "CARO_POSTGRES_DSN="+dsn)
	return pg, dsn, a, b, []string{"http://" + a.otlp + "/v1/logs", "http://" + b.otlp + "/v1/logs"}
}

// TestReplicasShareOneStoreThroughAKill: two otelcol-caro replicas on one
// PostgreSQL, under load from clients that move to the other replica when
// one does not answer. One replica is SIGKILLed mid-load: every event
// either replica acknowledged is in the store exactly once; the batches
// the killed one acknowledged, resent through the other, are stored once;
// a deletion request sent to the survivor removes a session that came
// through the killed one.
func TestReplicasShareOneStoreThroughAKill(t *testing.T) {
	_, dsn, a, b, urls := startReplicas(t)
	s := newSender(t)

	const batches = 120
	loaded := make(chan struct{})
	go func() { defer close(loaded); loadN(t, s, urls, 0, batches, 4) }()
	// Kill a once it has acknowledged a share of the load.
	for deadline := time.Now().Add(90 * time.Second); countBy(s, urls[0]) < 20 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-loaded
	if len(s.acked) != batches {
		t.Fatalf("%d of %d batches acknowledged", len(s.acked), batches)
	}
	rows := storedOnce(t, dsn, s)
	t.Logf("%d batches (%d events) acknowledged, %d by the killed replica; %d rows; failed attempts %v",
		batches, batches*66, countBy(s, urls[0]), rows, s.codes)

	// The killed replica's batches again, through the survivor: stored once.
	for n, u := range s.acked {
		if u == urls[0] {
			if !s.post(t, n, urls[1:], time.Now().Add(30*time.Second)) {
				t.Fatalf("resend of batch %d failed", n)
			}
		}
	}
	if again := storedOnce(t, dsn, s); again != rows {
		t.Errorf("%d rows after resending, want %d", again, rows)
	}

	// A deletion request through the survivor, for a session that came
	// through the killed replica.
	var victim uint64
	for n, u := range s.acked {
		if u == urls[0] {
			victim = n
			break
		}
	}
	sid := ""
	for _, a := range s.gen.Batch(victim).Records[0].Attrs {
		if a.Key == schema.KeySessionID {
			sid = a.Value.Str
		}
	}
	status, body := post(t, "http://"+b.events+"/v1/events", map[string]string{"Content-Type": "application/json"},
		[]byte(fmt.Sprintf(`{"batch_id":"5f3c9a2e-8b1d-4e7f-9a6b-2c4d8e0f1a3b","client_timestamp":%q,"events":[`+
			`{"event":"deletion.request","timestamp":%q,"session_ids":[%q]}]}`,
			time.Now().UTC().Format(time.RFC3339), time.Now().UTC().Format(event.TimestampLayout), sid)))
	if status != 200 {
		t.Fatalf("deletion request: %d %s", status, body)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var left int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM events WHERE session_id = $1", sid).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d events of the deleted session left", left)
	}
}

func countBy(s *sender, url string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, u := range s.acked {
		if u == url {
			n++
		}
	}
	return n
}

// TestAPostgreSQLRestartUnderLoadLosesNothingAcknowledged: the database
// goes away and comes back while two replicas take load. Clients get
// retryable answers meanwhile (503 or 429, never a 4xx that would make
// them drop their events), every acknowledged event is stored once, and
// the replicas serve again without being restarted.
func TestAPostgreSQLRestartUnderLoadLosesNothingAcknowledged(t *testing.T) {
	pg, dsn, a, b, urls := startReplicas(t)
	s := newSender(t)

	stop, loaded := make(chan struct{}), make(chan struct{})
	go func() { defer close(loaded); loadUntil(t, s, urls, 0, 3, 0, stop) }()
	time.Sleep(time.Second)
	pg.Stop()
	time.Sleep(2 * time.Second)
	pg.Resume()
	time.Sleep(2 * time.Second)
	close(stop)
	<-loaded
	a.alive(t)
	b.alive(t)

	s.mu.Lock()
	codes := fmt.Sprint(s.codes)
	for code := range s.codes {
		if code != 503 && code != 429 {
			t.Errorf("answered %d while the database was away: want 503 or 429 only (all: %s)", code, codes)
		}
	}
	if len(s.codes) == 0 {
		t.Errorf("no request failed while the database was away: the test did not test the outage")
	}
	after := s.after
	if after != s.codes[503]+s.codes[429] {
		t.Errorf("%d of %d retryable answers said Retry-After", after, s.codes[503]+s.codes[429])
	}
	s.mu.Unlock()
	rows := storedOnce(t, dsn, s)
	t.Logf("%d batches acknowledged, %d rows; failed attempts by status %s, %d with Retry-After", len(s.acked), rows, codes, after)
	// Serving again: a new batch is acknowledged at once.
	if !s.post(t, 1<<20, urls, time.Now().Add(10*time.Second)) {
		t.Error("the replicas did not recover")
	}
}

package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Summary is what a run sent and how it was answered. Its JSON form is the
// --json output of caro-loadgen.
type Summary struct {
	URL      string    `json:"url"`
	Seed     uint64    `json:"seed"`
	Epoch    time.Time `json:"epoch"`
	Workers  int       `json:"workers"`
	Sessions int       `json:"sessions_per_request"`
	Hostile  float64   `json:"hostile_fraction"`
	// Prepared says the bodies were built before the clock started.
	Prepared bool `json:"prepared"`
	// Elapsed is the run's wall time, in seconds.
	Elapsed float64 `json:"elapsed_s"`

	// Requests were sent (each once, retries aside); Delivered of them
	// were finally answered 2xx. Attempts counts every HTTP request that
	// got an answer, retries included.
	Requests  int64 `json:"requests"`
	Delivered int64 `json:"delivered"`
	Attempts  int64 `json:"attempts"`
	Retries   int64 `json:"retries"`
	// Events are the records of the requests sent, of which
	// EventsDelivered in delivered requests and HostileSent hostile.
	Events          int64 `json:"events"`
	EventsDelivered int64 `json:"events_delivered"`
	HostileSent     int64 `json:"hostile_sent"`
	// Rejected sums the rejected_log_records of the OTLP partial
	// success answers (a collector's processors drop records silently).
	Rejected int64 `json:"partial_success_rejected"`
	// BytesSent is the gzipped bodies' size, retries included.
	BytesSent int64 `json:"bytes_sent"`

	// EventsPerSec is EventsDelivered per second, RequestsPerSec Attempts
	// per second.
	EventsPerSec   float64 `json:"events_per_s"`
	RequestsPerSec float64 `json:"requests_per_s"`
	// Latencies of the answered attempts, in milliseconds.
	LatencyP50 float64 `json:"latency_p50_ms"`
	LatencyP99 float64 `json:"latency_p99_ms"`
	LatencyMax float64 `json:"latency_max_ms"`

	// Status counts the answers by HTTP status code, and "error" (no
	// answer: refused, reset, timed out) and "cancelled" (the run was
	// interrupted) attempts.
	Status map[string]int64 `json:"status"`
	// Errors holds a few of the transport errors.
	Errors []string `json:"errors,omitempty"`
}

func summarize(o Options, elapsed time.Duration, stats []workerStats) *Summary {
	s := &Summary{URL: o.URL, Seed: o.Seed, Epoch: o.Epoch, Workers: o.Workers, Sessions: o.Sessions,
		Hostile: o.Hostile, Prepared: o.Prepare, Elapsed: elapsed.Seconds(), Status: map[string]int64{}}
	var lat []time.Duration
	for i := range stats {
		w := &stats[i]
		s.Requests += w.requests
		s.Delivered += w.delivered
		s.Retries += w.retries
		s.Events += w.events
		s.EventsDelivered += w.eventsDelivered
		s.HostileSent += w.hostile
		s.Rejected += w.rejected
		s.BytesSent += w.bytes
		for k, n := range w.status {
			s.Status[k] += n
		}
		for _, e := range w.errors {
			if len(s.Errors) < 5 && !slices.Contains(s.Errors, e) {
				s.Errors = append(s.Errors, e)
			}
		}
		lat = append(lat, w.latencies...)
	}
	s.Attempts = int64(len(lat))
	if elapsed > 0 {
		s.EventsPerSec = float64(s.EventsDelivered) / elapsed.Seconds()
		s.RequestsPerSec = float64(s.Attempts) / elapsed.Seconds()
	}
	slices.Sort(lat)
	s.LatencyP50 = ms(percentile(lat, 0.50))
	s.LatencyP99 = ms(percentile(lat, 0.99))
	if len(lat) > 0 {
		s.LatencyMax = ms(lat[len(lat)-1])
	}
	return s
}

// percentile returns the nearest-rank p-quantile of sorted (0 when empty).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WriteJSON writes the summary as one indented JSON object.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText writes the summary for a person, with the flags that send the
// same run again.
func (s *Summary) WriteText(w io.Writer) error {
	codes := make([]string, 0, len(s.Status))
	for k := range s.Status {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	status := make([]string, len(codes))
	for i, k := range codes {
		status[i] = fmt.Sprintf("%s: %d", k, s.Status[k])
	}
	_, err := fmt.Fprintf(w, `caro-loadgen -> %s
  run       %d workers, %d sessions per request, hostile %.3g%s; again: --seed %d --epoch %s
  requests  %d sent, %d delivered, %d attempts (%d retries) in %.2fs: %.1f requests/s
  events    %d sent (%d hostile), %d delivered: %.0f events/s
  latency   p50 %.2f ms, p99 %.2f ms, max %.2f ms
  status    %s
`, s.URL, s.Workers, s.Sessions, s.Hostile, preparedNote(s.Prepared), s.Seed, s.Epoch.Format(time.RFC3339Nano),
		s.Requests, s.Delivered, s.Attempts, s.Retries, s.Elapsed, s.RequestsPerSec,
		s.Events, s.HostileSent, s.EventsDelivered, s.EventsPerSec,
		s.LatencyP50, s.LatencyP99, s.LatencyMax, strings.Join(status, ", "))
	if err == nil && s.Rejected > 0 {
		_, err = fmt.Fprintf(w, "  rejected  %d records (OTLP partial success)\n", s.Rejected)
	}
	for _, e := range s.Errors {
		if err == nil {
			_, err = fmt.Fprintf(w, "  error     %s\n", e)
		}
	}
	return err
}

func preparedNote(p bool) string {
	if p {
		return ", bodies prepared"
	}
	return ""
}

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"caro.sh/telemetry/upload"
)

func TestDescribeSendSaysWhyInWords(t *testing.T) {
	for _, c := range []struct {
		name string
		err  *upload.SendError
		want string
	}{
		{"a status is named", &upload.SendError{Outcome: upload.Rejected, StatusCode: 400},
			"the server answered 400 Bad Request"},
		{"a Retry-After is repeated", &upload.SendError{Outcome: upload.Throttled, StatusCode: 429, HasRetryAfter: true, RetryAfter: time.Minute},
			"the server answered 429 Too Many Requests and asked to retry after 1m0s"},
		{"a refused connection is short", &upload.SendError{Outcome: upload.Retry, Err: fmt.Errorf("post: %w", syscall.ECONNREFUSED)},
			"no answer: connection refused"},
		{"a reset is short", &upload.SendError{Outcome: upload.Retry, Err: fmt.Errorf("post: %w", syscall.ECONNRESET)},
			"no answer: the connection was reset"},
		{"a deadline gives the timeout", &upload.SendError{Outcome: upload.Retry, Err: fmt.Errorf("post: %w", os.ErrDeadlineExceeded)},
			"no answer within 10s"},
		{"anything else is one line", &upload.SendError{Outcome: upload.Retry, Err: errors.New("tls:\n  bad certificate")},
			"no answer: tls: bad certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := describeSend(c.err, upload.Options{}); got != c.want {
				t.Errorf("describeSend = %q, want %q", got, c.want)
			}
		})
	}
}

func TestNextUploadIsTheLaterOfIntervalAndBackoff(t *testing.T) {
	last := time.Date(2025, 12, 30, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		next time.Time
		want time.Time
	}{
		{"no backoff: the interval", time.Time{}, last.Add(24 * time.Hour)},
		{"a short backoff: the interval", last.Add(time.Hour), last.Add(24 * time.Hour)},
		{"a long backoff: the backoff", last.Add(48 * time.Hour), last.Add(48 * time.Hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := nextUpload(last, 24*time.Hour, c.next); !got.Equal(c.want) {
				t.Errorf("nextUpload = %v, want %v", got, c.want)
			}
		})
	}
}

func TestWithoutOTelDropsOnlyOTelVariables(t *testing.T) {
	got := withoutOTel([]string{"HOME=/h", "OTEL_RESOURCE_ATTRIBUTES=host.name=x", "OTEL_EXPORTER_OTLP_ENDPOINT=http://x",
		"CARO_TELEMETRY_ENDPOINT=http://y", "MY_OTEL_THING=1"})
	want := []string{"HOME=/h", "CARO_TELEMETRY_ENDPOINT=http://y", "MY_OTEL_THING=1"}
	if !slices.Equal(got, want) {
		t.Errorf("withoutOTel = %q, want %q", got, want)
	}
}

func TestDeletionRequestsFileHandsRequestsToOneExport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache", DeletionRequestsFile)
	if raw, evs, bad, err := readDeletionRequests(path); raw != nil || evs != nil || bad != 0 || err != nil {
		t.Fatalf("a missing file = %q, %q, %d, %v; want nothing", raw, evs, bad, err)
	}
	first, second := []byte(`{"event":"deletion.request","request_id":"1"}`), []byte(`{"event":"deletion.request","request_id":"2"}`)
	if err := appendDeletionRequest(path, first); err != nil {
		t.Fatal(err)
	}
	if err := appendDeletionRequest(path, []byte("{\n}")); err == nil {
		t.Error("a request of two lines was accepted")
	}
	raw, evs, _, err := readDeletionRequests(path)
	if err != nil || len(evs) != 1 || !bytes.Equal(evs[0], first) {
		t.Fatalf("read = %q, %v", evs, err)
	}
	// A request added between the export's read and its write stays.
	if err := appendDeletionRequest(path, second); err != nil {
		t.Fatal(err)
	}
	if err := dropDeletionRequests(path, raw); err != nil {
		t.Fatal(err)
	}
	if _, evs, _, _ := readDeletionRequests(path); len(evs) != 1 || !bytes.Equal(evs[0], second) {
		t.Fatalf("after the export the file holds %q, want the later request only", evs)
	}
	raw, _, _, _ = readDeletionRequests(path)
	if err := dropDeletionRequests(path, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an emptied file stays: %v", err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache folder: %v, %v", fi, err)
	}
}

func TestDamagedDeletionRequestLinesAreSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), DeletionRequestsFile)
	content := "{\"event\":\"deletion.request\"}\n{\"event\":\"delet\n[1,2]\n\n{\"event\":\"deletion.request\",\"n\":2}\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	_, evs, bad, err := readDeletionRequests(path)
	if err != nil || len(evs) != 2 || bad != 2 {
		t.Errorf("read = %q, %d bad, %v; want 2 requests and 2 damaged lines", evs, bad, err)
	}
}

func FuzzReadDeletionRequests(f *testing.F) {
	f.Add([]byte("{\"event\":\"deletion.request\"}\n"))
	f.Add([]byte("{\n}\n[]\n\"x\"\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(dir, DeletionRequestsFile)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, evs, _, err := readDeletionRequests(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			var m map[string]any
			if err := json.Unmarshal(e, &m); err != nil {
				t.Errorf("request %q is not a JSON object: %v", e, err)
			}
		}
	})
}

package loadgen

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTheCommandPrintsAJSONSummaryOfItsRun(t *testing.T) {
	c := newCollector(t)
	var out, errOut strings.Builder
	code := Command(context.Background(), []string{"--url", strings.TrimSuffix(c.URL, "/v1/logs"),
		"--requests", "3", "--sessions", "2", "--workers", "2", "--hostile", "0.25", "--seed", "5",
		"--epoch", "2026-11-26T09:00:00Z", "--json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var s Summary
	if err := json.Unmarshal([]byte(out.String()), &s); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if s.Requests != 3 || s.Events != 36 || s.HostileSent != 9 || s.Status["200"] != 3 || s.Seed != 5 ||
		!s.Epoch.Equal(epoch) || s.Sessions != 2 || s.Workers != 2 || !strings.HasSuffix(s.URL, "/v1/logs") {
		t.Fatalf("summary %+v", s)
	}
	if len(c.received()) != 3 {
		t.Fatalf("the collector got %d requests, want 3", len(c.received()))
	}
}

func TestTheCommandRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"an unbounded run", []string{"--duration", "0"}, "bounded"},
		{"a fraction above one", []string{"--hostile", "2"}, "fraction"},
		{"no worker", []string{"--workers", "0"}, "at least 1"},
		{"a URL without a scheme", []string{"--url", "127.0.0.1:4318"}, "http"},
		{"an epoch that is no time", []string{"--epoch", "yesterday"}, "epoch"},
		{"an argument", []string{"extra"}, "unexpected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := Command(context.Background(), tc.args, &out, &errOut); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut.String(), tc.says) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tc.says)
			}
		})
	}
}

func TestARequestCountAloneLiftsTheDefaultDuration(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want time.Duration
	}{
		{"no bound given: ten seconds", nil, 10 * time.Second},
		{"a count alone: no time bound", []string{"--requests", "5"}, 0},
		{"a count and a duration: both", []string{"--requests", "5", "--duration", "3s"}, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, _, err := ParseFlags(tc.args, &strings.Builder{})
			if err != nil {
				t.Fatal(err)
			}
			if o.Duration != tc.want || o.URL != DefaultURL {
				t.Fatalf("duration %v url %s, want %v %s", o.Duration, o.URL, tc.want, DefaultURL)
			}
		})
	}
}

func TestTheCommandFailsWhenNothingAnswers(t *testing.T) {
	var out, errOut strings.Builder
	code := Command(context.Background(), []string{"--url", "http://127.0.0.1:1/v1/logs", "--requests", "2"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no request was answered") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// run runs caro-insights in this process and returns what it printed.
func run(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	c := newRootCmd()
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&out)
	err := c.ExecuteContext(ctx)
	return out.String(), err
}

// TestServeAnswersWhatMetricsPrints serves a simulated store with
// caro-insights serve and checks that /api/metrics answers, byte for
// byte, what caro-insights metrics --format json prints for three weeks,
// for the whole population and by backend.
func TestServeAnswersWhatMetricsPrints(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "store.db")
	if out, err := run(t, ctx, "simulate", "--store", db, "--users", "12", "--days", "21", "--end", "2026-11-23",
		"--seed", "7", "--workers", "2"); err != nil {
		t.Fatalf("simulate: %v\n%s", err, out)
	}

	sctx, stop := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		c := newRootCmd()
		c.SetArgs([]string{"serve", "--store", db, "--addr", "127.0.0.1:0"})
		c.SetOut(pw)
		c.SetErr(pw)
		done <- c.ExecuteContext(sctx)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no URL: %v", err)
	}
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`).FindString(line)
	if url == "" {
		t.Fatalf("serve printed %q, want its URL on 127.0.0.1", line)
	}

	for _, week := range []struct{ name, from, to string }{
		{"2026-W45", "2026-11-02", "2026-11-08"},
		{"2026-W46", "2026-11-09", "2026-11-15"},
		{"2026-W47", "2026-11-16", "2026-11-22"},
	} {
		for _, seg := range []string{"", "backend"} {
			t.Run(week.name+" by "+seg, func(t *testing.T) {
				args := []string{"metrics", "--store", db, "--from", week.from, "--to", week.to, "--format", "json"}
				if seg != "" {
					args = append(args, "--by", seg)
				}
				want, err := run(t, ctx, args...)
				if err != nil {
					t.Fatalf("metrics: %v\n%s", err, want)
				}
				resp, err := http.Get(url + "api/metrics?week=" + week.name + "&segment=" + seg)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(got) != want {
					t.Errorf("/api/metrics: %d\n%s\nmetrics --format json:\n%s", resp.StatusCode, got, want)
				}
				if !strings.Contains(want, `"metric": "csr"`) {
					t.Errorf("metrics printed no CSR:\n%s", want)
				}
			})
		}
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve ended with %v after the interrupt", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve still runs 30 s after its context ended")
	}
}

func TestServeRefusesAStoreItCannotRead(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, store, says string
	}{
		{"a missing store", filepath.Join(dir, "missing.db"), "no store at"},
		{"a file that is not a store", corrupt, "open store"},
		{"no store at all", "", "--store is required"},
	} {
		t.Run(c.name+" is refused at start", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := run(t, ctx, "serve", "--store", c.store, "--addr", "127.0.0.1:0")
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("serve --store %q: %v (printed %q), want an error saying %q", c.store, err, out, c.says)
			}
			if strings.Contains(out, "http://") {
				t.Errorf("serve --store %q served: %s", c.store, out)
			}
		})
	}
}

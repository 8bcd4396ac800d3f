package collector

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/exportfile"
)

// TestASiteCollectorCarriesEventsOutByExportFiles runs airgap.yaml as a
// closed network's collector: a Caro client flushes to it over OTLP and
// another drops an export file into its folder; the site writes its own
// export files on schedule; carried to the central collector (local.yaml)
// and uploaded, they become the same events there.
func TestASiteCollectorCarriesEventsOutByExportFiles(t *testing.T) {
	data, exports, drop := t.TempDir(), t.TempDir(), t.TempDir()
	site := startCollector(t, "airgap.yaml", "CARO_DATA="+data, "CARO_EXPORTS="+exports, "CARO_DROP="+drop,
		"CARO_EXPORT_INTERVAL=300ms", "CARO_DROP_POLL=200ms", "CARO_DROP_SETTLE=0s")
	site.store = filepath.Join(data, "site.db")

	// One client flushes over OTLP, another is air-gapped itself and
	// brings an export file.
	online, onlineSpool := recorded(t, 2)
	flush(t, onlineSpool, site, 100)
	offline, offlineSpool := recorded(t, 1)
	env, err := exportfile.Build(offline.payloads(t, offlineSpool), "1.1.0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := exportfile.Write(&file, env); err != nil {
		t.Fatal(err)
	}
	// Copied in under a dot name, then renamed, as a careful operator does.
	tmp := filepath.Join(drop, ".incoming.json.gz")
	if err := os.WriteFile(tmp, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(drop, "offline.json.gz")); err != nil {
		t.Fatal(err)
	}

	// Wait until the site's exports hold all 18 events.
	var files []string
	exported := 0
	deadline := time.Now().Add(30 * time.Second)
	for exported < 18 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		files, exported = readExports(t, exports)
	}
	if exported != 18 {
		t.Fatalf("the site exported %d events in %v, want 18\n%s", exported, files, site.out.String())
	}
	if _, err := os.Stat(filepath.Join(drop, "processed", "offline.json.gz")); err != nil {
		t.Errorf("the dropped file was not moved to processed/: %v", err)
	}
	site.alive(t)

	// Carried out and uploaded to the central collector.
	central := startCollector(t, "local.yaml")
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(exports, name))
		if err != nil {
			t.Fatal(err)
		}
		status, answer := post(t, "http://"+central.events+"/telemetry/upload",
			map[string]string{"Content-Type": "application/gzip"}, b)
		if status != 200 {
			t.Fatalf("upload of %s: %d %s", name, status, answer)
		}
	}
	got := map[string]bool{}
	for _, r := range central.rows(t) {
		got[r.payload] = true
	}
	want := append(online.payloads(t, onlineSpool), offline.payloads(t, offlineSpool)...)
	if len(got) != len(want) {
		t.Errorf("the central store holds %d events, want %d", len(got), len(want))
	}
	for _, p := range want {
		if !got[string(p)] {
			t.Errorf("missing at the center: %s", p)
		}
	}
}

// readExports reads every complete export file of dir.
func readExports(t *testing.T, dir string) ([]string, int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json.gz") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		env, err := exportfile.Read(f, 0)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		names = append(names, e.Name())
		n += env.EventCount
	}
	return names, n
}

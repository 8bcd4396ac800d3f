package sqlitespoolexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"caro.sh/telemetry/event"
	"caro.sh/telemetry/exportfile"
	"caro.sh/telemetry/schema"
	"caro.sh/telemetry/store"
)

// writeExports writes every stored event not yet exported into air-gapped
// export files (the spec's envelope, package exportfile), at most
// Export.MaxEvents per file, and marks them exported (transmitted, with
// the file's name as export id). It returns the files written.
//
// A file is written under a temporary name and renamed when complete, so
// the folder never holds a partial export. If the process dies after the
// rename and before the events are marked, the next export repeats them;
// the central receiver stores each event once (its id is the name-based id
// of its payload).
func (e *spoolExporter) writeExports(ctx context.Context, now time.Time) ([]string, error) {
	e.mu.Lock()
	sp := e.spool
	e.mu.Unlock()
	if sp == nil {
		return nil, errNotStarted
	}
	if err := os.MkdirAll(e.cfg.Export.Directory, 0o700); err != nil {
		return nil, fmt.Errorf("export folder: %w", err)
	}
	var files []string
	for seq := 1; ; seq++ {
		evs, err := sp.Pending(ctx, e.cfg.Export.MaxEvents)
		if err != nil {
			return files, err
		}
		if len(evs) == 0 {
			return files, nil
		}
		name, err := e.writeFile(evs, now, seq)
		if err != nil {
			return files, err
		}
		if err := sp.MarkExported(ctx, evs, name, now); err != nil {
			return files, err
		}
		files = append(files, name)
		e.files.Add(ctx, 1, metric.WithAttributes())
		e.logger.Info("wrote air-gapped export", zap.String("file", name), zap.Int("events", len(evs)))
		if len(evs) < e.cfg.Export.MaxEvents {
			return files, nil
		}
	}
}

// writeFile writes one export file of evs and returns its name:
// telemetry-export-<UTC time to the millisecond>-<seq>.json.gz, with seq
// raised past any file already there (this goroutine is the folder's only
// writer).
func (e *spoolExporter) writeFile(evs []store.Event, now time.Time, seq int) (string, error) {
	payloads := make([]json.RawMessage, len(evs))
	for i := range evs {
		p, err := event.Encode(evs[i].Name, evs[i].Time, evs[i].Attrs)
		if err != nil {
			return "", fmt.Errorf("export event %s: %w", evs[i].UID, err)
		}
		payloads[i] = p
	}
	env, err := exportfile.Build(payloads, caroVersionOf(evs), now)
	if err != nil {
		return "", err
	}
	dir := e.cfg.Export.Directory
	tmp, err := os.CreateTemp(dir, ".export-*.tmp")
	if err != nil {
		return "", fmt.Errorf("export file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("export file: %w", err)
	}
	if err := exportfile.Write(tmp, env); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("export file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("export file: %w", err)
	}
	stamp := now.UTC().Format("20060102T150405.000Z")
	for ; ; seq++ {
		name := fmt.Sprintf("telemetry-export-%s-%03d.json.gz", stamp, seq)
		path := filepath.Join(dir, name)
		if _, err := os.Lstat(path); err == nil {
			continue
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return "", fmt.Errorf("export file: %w", err)
		}
		return name, nil
	}
}

// unknownCaroVersion is the caro_version of an export whose events cannot
// be tied to one caro release.
const unknownCaroVersion = "unknown"

// caroVersionOf is the caro_version of an export of evs. The envelope's
// caro_version names the caro that recorded the events (a central
// receiver makes it their service.version), and a collector is not caro:
// its own version would claim every event for a release that never
// existed. Only session.start carries caro_version, so an export names a
// version only when every event of it belongs to a session whose
// session.start is in the same file, all of one version; else
// unknownCaroVersion (each session.start still carries its own).
func caroVersionOf(evs []store.Event) string {
	started := make(map[string]string) // session id -> caro_version of its session.start
	for i := range evs {
		if evs[i].Name != schema.EventSessionStart {
			continue
		}
		sid, v := attrString(&evs[i], schema.KeySessionID), attrString(&evs[i], schema.KeyCaroVersion)
		if prev, ok := started[sid]; ok && prev != v {
			return unknownCaroVersion // a day's session id, sessions of two releases
		}
		started[sid] = v
	}
	version := ""
	for i := range evs {
		v, ok := started[attrString(&evs[i], schema.KeySessionID)]
		if !ok || v == "" || version != "" && v != version {
			return unknownCaroVersion
		}
		version = v
	}
	if version == "" {
		return unknownCaroVersion
	}
	return version
}

func attrString(ev *store.Event, key string) string {
	for _, a := range ev.Attrs {
		if a.Key == key && a.Value.Type == schema.TypeString {
			return a.Value.Str
		}
	}
	return ""
}

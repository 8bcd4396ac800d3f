package caroreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"caro.sh/telemetry/exportfile"
)

// Subfolders of the drop folder where files go once handled.
const (
	processedDir = "processed"
	rejectedDir  = "rejected"
)

// watchDropFolder scans the drop folder every poll interval until stop is
// closed. Polling rather than inotify: the folder is often a mounted share
// or a USB stick, where change notifications are unreliable, and an
// export arrives at most a few times a day.
func (r *caroReceiver) watchDropFolder(stop <-chan struct{}) {
	t := time.NewTicker(r.cfg.Exports.PollInterval)
	defer t.Stop()
	for {
		r.scanDropFolder(context.Background())
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// scanDropFolder ingests every *.json.gz file of the drop folder, oldest
// name first. A valid file goes to processed/; a file that is not a valid
// export (malformed, tampered, too large) goes to rejected/ with
// NAME.error.txt saying why; a file the pipeline could not take stays for
// the next scan. Files whose name starts with a dot, or modified within
// the settle time, are in the middle of being copied and are skipped.
func (r *caroReceiver) scanDropFolder(ctx context.Context) {
	dir := r.cfg.Exports.DropFolder
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.set.Logger.Warn("caro receiver: cannot read the drop folder", zap.String("folder", dir), zap.Error(err))
		return
	}
	var names []string
	settled := r.now().Add(-r.cfg.Exports.SettleTime)
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(n, ".json.gz") || strings.HasPrefix(n, ".") {
			continue
		}
		if fi, err := e.Info(); err != nil || fi.ModTime().After(settled) {
			continue // gone, or still being written: the next scan
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r.ingestFile(ctx, filepath.Join(dir, n))
	}
}

func (r *caroReceiver) ingestFile(ctx context.Context, path string) {
	log := r.set.Logger.With(zap.String("file", path))
	f, err := os.Open(path)
	if err != nil {
		log.Warn("caro receiver: cannot open an export file", zap.Error(err))
		return
	}
	env, err := exportfile.Read(f, r.cfg.Exports.MaxDecompressedBytes)
	f.Close()
	if err != nil {
		if !isExportContentError(err) {
			log.Warn("caro receiver: cannot read an export file; trying again later", zap.Error(err))
			return
		}
		log.Warn("caro receiver: rejected an export file", zap.Error(err))
		r.countFile(ctx, http.StatusBadRequest)
		r.move(path, rejectedDir, err.Error())
		return
	}
	b := ingest(r.v, env.Events, env.CaroVersion, r.now())
	if err := r.consume(ctx, b); err != nil {
		log.Warn("caro receiver: the pipeline refused an export file's events; trying again later", zap.Error(err))
		return
	}
	r.countEvents(ctx, sourceDrop, b)
	r.countFile(ctx, http.StatusOK)
	log.Info("caro receiver: ingested an export file",
		zap.Int("accepted", b.accepted), zap.Int("rejected", b.rejected))
	r.move(path, processedDir, "")
}

func (r *caroReceiver) countFile(ctx context.Context, status int) {
	r.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("source", sourceDrop), attribute.Int("status", status)))
}

// move puts path in the subfolder sub of its folder, with a note beside it
// when note is not empty.
func (r *caroReceiver) move(path, sub, note string) {
	dst := filepath.Join(filepath.Dir(path), sub)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		r.set.Logger.Error("caro receiver: cannot create "+sub+"/", zap.Error(err))
		return
	}
	target := filepath.Join(dst, filepath.Base(path))
	if _, err := os.Stat(target); err == nil {
		target = filepath.Join(dst, fmt.Sprintf("%d-%s", time.Now().UnixNano(), filepath.Base(path)))
	}
	if err := os.Rename(path, target); err != nil && !errors.Is(err, os.ErrNotExist) {
		r.set.Logger.Error("caro receiver: cannot move an export file", zap.String("file", path), zap.Error(err))
		return
	}
	if note != "" {
		_ = os.WriteFile(target+".error.txt", []byte(note+"\n"), 0o600)
	}
}

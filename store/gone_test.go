package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"caro.sh/telemetry/schema"
)

// TestAStoreWhoseFolderIsRemovedAcknowledgesNothingMore: the folder of an
// open SQLite store is deleted. SQLite would go on committing into the
// removed file; Append says ErrGone instead, and opening the store again
// creates a new file at the path.
func TestAStoreWhoseFolderIsRemovedAcknowledgesNothingMore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	path := filepath.Join(dir, "caro.db")
	s := mustOpen(t, Options{Path: path})
	if _, err := s.Append(ctx, []Event{sample(schema.EventSessionStart, "0123456789abcdef", now.Add(-1), 1)}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(ctx, []Event{sample(schema.EventSessionStart, "0123456789abcdef", now.Add(-1), 2)})
	if !errors.Is(err, ErrGone) {
		t.Fatalf("Append after the folder was removed: %v, want ErrGone", err)
	}
	again := mustOpen(t, Options{Path: path})
	res, err := again.Append(ctx, []Event{sample(schema.EventSessionStart, "0123456789abcdef", now.Add(-1), 2)})
	if err != nil || res.Stored != 1 {
		t.Fatalf("Append to the store opened again: %+v %v", res, err)
	}
}

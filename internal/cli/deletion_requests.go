package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"caro.sh/telemetry/internal/consent"
	"caro.sh/telemetry/sdk"
)

// In air-gapped mode `caro telemetry delete-remote` cannot send its
// request: it appends it, as the export event upload.DeletionRequest
// writes, to a small file in the cache folder, and the next `caro
// telemetry export` puts every request of that file after the events, in
// the envelope's events (so the checksum covers them), then removes them
// from the file. The file is the only hand-over between the two commands.

// DeletionRequestsFile is the name of that file in the cache folder: one
// JSON object a line.
const DeletionRequestsFile = "deletion-requests.jsonl"

func deletionRequestsPath(d sdk.Dirs) string { return filepath.Join(d.Cache, DeletionRequestsFile) }

// appendDeletionRequest adds one request event to the file, creating the
// cache folder (0700) and the file (0600) if needed.
func appendDeletionRequest(path string, event []byte) error {
	if bytes.ContainsAny(event, "\n\r") || !json.Valid(event) {
		return fmt.Errorf("the deletion request is not one line of JSON")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(event, '\n')); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// readDeletionRequests returns the file's content and its requests. A
// missing file has none; a line that is not a JSON object (a write cut
// short by a crash) is skipped and counted in bad.
func readDeletionRequests(path string) (raw []byte, events []json.RawMessage, bad int, err error) {
	raw, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, err
	}
	for _, line := range bytes.Split(raw, []byte{'\n'}) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' || !json.Valid(line) {
			bad++
			continue
		}
		events = append(events, json.RawMessage(line))
	}
	return raw, events, bad, nil
}

// dropDeletionRequests removes the exported requests (the content read
// before the export) from the file, keeping any request added since.
func dropDeletionRequests(path string, exported []byte) error {
	now, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	rest := now
	if bytes.HasPrefix(now, exported) {
		rest = now[len(exported):]
	}
	if len(bytes.TrimSpace(rest)) == 0 {
		return os.Remove(path)
	}
	return consent.WriteFileAtomic(path, rest)
}

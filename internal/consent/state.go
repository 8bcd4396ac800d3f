package consent

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// StateFile is the name of the consent state file in Caro's config folder.
const StateFile = "state.toml"

// Answers to the first-run prompt.
const (
	AnswerAccepted = "accepted"
	AnswerDeclined = "declined"
)

// State is what the user has been shown about telemetry. The zero value
// means "nothing yet": a missing file.
type State struct {
	// PromptShown is true once the first-run prompt was shown and answered.
	PromptShown bool `toml:"prompt_shown"`
	// PromptVersion and PromptChannel are the build that showed it.
	PromptVersion string  `toml:"prompt_version,omitempty"`
	PromptChannel Channel `toml:"prompt_channel,omitempty"`
	// PromptAnswer is AnswerAccepted or AnswerDeclined.
	PromptAnswer string `toml:"prompt_answer,omitempty"`
	// LastChannel is the channel of the last build that changed this file:
	// a GA build that finds "beta" here runs the migration.
	LastChannel Channel `toml:"last_channel,omitempty"`
}

// LoadState reads the state file. A missing file is the zero State. A file
// that does not parse is treated as missing too (and reported): the worst
// it can cause is the notice being shown once more, which records nothing
// without the user seeing it.
func LoadState(path string) (State, error) {
	var st State
	_, err := toml.DecodeFile(path, &st)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("read %s: %w", path, err)
	}
	return st, nil
}

const stateHeader = "# Written by caro: what its telemetry notice has shown you.\n" +
	"# Deleting this file only makes caro show the notice again.\n"

// SaveState writes the state file atomically (a temporary file renamed
// over it), file 0600 in a folder 0700, so that a crash or a concurrent
// caro never leaves half a file.
func SaveState(path string, st State) error {
	var buf bytes.Buffer
	buf.WriteString(stateHeader)
	if err := toml.NewEncoder(&buf).Encode(st); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder and a rename: readers see the old file or the new one, never a
// mix. The folder is created 0700 and the file is 0600.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return nil
}

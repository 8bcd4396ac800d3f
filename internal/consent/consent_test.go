package consent

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caro.sh/telemetry/sdk"
)

func TestChannelOf(t *testing.T) {
	tests := []struct {
		version string
		want    Channel
	}{
		{"1.1.0", Beta},
		{"1.0.9", Beta},
		{"1.1.99", Beta},
		{"1.2.0-rc.1", Beta},
		{"1.2.0", GA},
		{"v1.2.0", GA},
		{"1.2.0+build.5", GA},
		{"1.2.1", GA},
		{"1.10.0", GA},
		{"2.0.0", GA},
		{"0.9.0", Beta},
		{"0.0.0-dev", Beta},
		{"not a version", Beta},
		{"", Beta},
	}
	for _, tt := range tests {
		t.Run("version "+tt.version+" is "+string(tt.want), func(t *testing.T) {
			if got := ChannelOf(tt.version); got != tt.want {
				t.Errorf("ChannelOf(%q) = %s, want %s", tt.version, got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	defaultOn := sdk.Config{Enabled: true, EnabledSource: sdk.SourceDefault}
	defaultOff := sdk.Config{Enabled: false, EnabledSource: sdk.SourceDefault}
	accepted := State{PromptShown: true, PromptAnswer: AnswerAccepted, PromptChannel: Beta, LastChannel: Beta}
	tests := []struct {
		name string
		ch   Channel
		cfg  sdk.Config
		st   State
		want Verdict
	}{
		{"the beta waits for the prompt before recording", Beta, defaultOn, State{}, Verdict{AwaitingPrompt: true}},
		{"the beta records once the prompt was accepted", Beta, defaultOn, accepted, Verdict{Record: true}},
		{"a declined prompt whose setting was removed asks again", Beta, defaultOn,
			State{PromptShown: true, PromptAnswer: AnswerDeclined, LastChannel: Beta}, Verdict{AwaitingPrompt: true}},
		{"a downgrade from GA asks again", Beta, defaultOn,
			State{PromptShown: true, PromptAnswer: AnswerAccepted, LastChannel: GA}, Verdict{AwaitingPrompt: true}},
		{"an explicit opt-in is consent without a prompt", Beta,
			sdk.Config{Enabled: true, EnabledSource: sdk.SourceEnv, EnabledExplicit: true}, State{}, Verdict{Record: true}},
		{"an explicit opt-out is kept", Beta,
			sdk.Config{Enabled: false, EnabledSource: sdk.SourceFile, EnabledExplicit: true}, accepted, Verdict{}},
		{"CI turns the beta default off", Beta, sdk.Config{EnabledSource: sdk.SourceCI}, accepted, Verdict{}},
		{"--no-telemetry wins over consent", Beta, sdk.Config{EnabledSource: sdk.SourceFlag}, accepted, Verdict{}},
		{"DO_NOT_TRACK wins over consent", Beta, sdk.Config{EnabledSource: sdk.SourceDoNotTrack}, accepted, Verdict{}},
		{"GA is off without an explicit choice", GA, defaultOff, State{}, Verdict{}},
		{"GA after a default-on beta is due the notice", GA, defaultOff, accepted, Verdict{MigrationDue: true}},
		{"GA after the notice stays quiet", GA, defaultOff,
			State{PromptShown: true, PromptAnswer: AnswerAccepted, LastChannel: GA}, Verdict{}},
		{"GA keeps an explicit opt-in of the beta", GA,
			sdk.Config{Enabled: true, EnabledSource: sdk.SourceFile, EnabledExplicit: true}, accepted, Verdict{Record: true}},
		{"GA records with an explicit opt-in", GA,
			sdk.Config{Enabled: true, EnabledSource: sdk.SourceEnv, EnabledExplicit: true}, State{}, Verdict{Record: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.ch, tt.cfg, tt.st); got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// answers feeds ReadLine from a list; io.EOF after the last.
func answers(lines ...string) func() (string, error) {
	return func() (string, error) {
		if len(lines) == 0 {
			return "", io.EOF
		}
		l := lines[0]
		lines = lines[1:]
		return l, nil
	}
}

func gateDirs(t *testing.T) sdk.Dirs {
	dir := t.TempDir()
	return sdk.Dirs{Config: filepath.Join(dir, "config", "caro"), Cache: filepath.Join(dir, "cache", "caro")}
}

func TestGateFirstRun(t *testing.T) {
	tests := []struct {
		name         string
		interactive  bool
		lines        []string
		wantRecord   bool
		wantPrompt   bool
		wantDisabled bool
		wantState    State
	}{
		{name: "a script is not asked and records nothing", interactive: false},
		{name: "Enter accepts", interactive: true, lines: []string{""}, wantRecord: true, wantPrompt: true,
			wantState: State{PromptShown: true, PromptVersion: "1.1.0", PromptChannel: Beta, PromptAnswer: AnswerAccepted, LastChannel: Beta}},
		{name: "y accepts", interactive: true, lines: []string{"Y"}, wantRecord: true, wantPrompt: true,
			wantState: State{PromptShown: true, PromptVersion: "1.1.0", PromptChannel: Beta, PromptAnswer: AnswerAccepted, LastChannel: Beta}},
		{name: "n declines and turns telemetry off in the config", interactive: true, lines: []string{"n"}, wantPrompt: true, wantDisabled: true,
			wantState: State{PromptShown: true, PromptVersion: "1.1.0", PromptChannel: Beta, PromptAnswer: AnswerDeclined, LastChannel: Beta}},
		{name: "an unclear answer is asked again", interactive: true, lines: []string{"maybe", "no"}, wantPrompt: true, wantDisabled: true,
			wantState: State{PromptShown: true, PromptVersion: "1.1.0", PromptChannel: Beta, PromptAnswer: AnswerDeclined, LastChannel: Beta}},
		{name: "Ctrl-D records nothing and asks next time", interactive: true, lines: nil, wantPrompt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dirs := gateDirs(t)
			var out bytes.Buffer
			disabled := false
			res := Gate(Options{
				Version:         "1.1.0",
				Config:          sdk.Config{Enabled: true, EnabledSource: sdk.SourceDefault, Dirs: dirs},
				Interactive:     tt.interactive,
				ReadLine:        answers(tt.lines...),
				Out:             &out,
				DisableInConfig: func() error { disabled = true; return nil },
			})
			if res.Record != tt.wantRecord || res.Warning != "" {
				t.Errorf("Gate = %+v, want record %v, no warning", res, tt.wantRecord)
			}
			if got := strings.Contains(out.String(), "Continue? [Y/n]"); got != tt.wantPrompt {
				t.Errorf("prompt shown = %v, want %v; output:\n%s", got, tt.wantPrompt, out.String())
			}
			if disabled != tt.wantDisabled {
				t.Errorf("DisableInConfig called = %v, want %v", disabled, tt.wantDisabled)
			}
			st, err := LoadState(StatePath(dirs))
			if err != nil {
				t.Fatal(err)
			}
			if st != tt.wantState {
				t.Errorf("state = %+v, want %+v", st, tt.wantState)
			}
			if tt.wantState == (State{}) {
				if _, err := os.Stat(dirs.Config); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("config folder exists after a run that saved nothing: %v", err)
				}
			}
		})
	}
}

func TestGateSecondRunNeedsNoPrompt(t *testing.T) {
	dirs := gateDirs(t)
	cfg := sdk.Config{Enabled: true, EnabledSource: sdk.SourceDefault, Dirs: dirs}
	if err := SaveState(StatePath(dirs), State{PromptShown: true, PromptAnswer: AnswerAccepted, LastChannel: Beta}); err != nil {
		t.Fatal(err)
	}
	for _, interactive := range []bool{true, false} {
		var out bytes.Buffer
		res := Gate(Options{Version: "1.1.0", Config: cfg, Interactive: interactive, ReadLine: answers(), Out: &out})
		if !res.Record || out.Len() > 0 {
			t.Errorf("interactive=%v: Gate = %+v, output %q; want recording, silently", interactive, res, out.String())
		}
	}
}

func TestGateMigration(t *testing.T) {
	dirs := gateDirs(t)
	path := StatePath(dirs)
	if err := SaveState(path, State{PromptShown: true, PromptVersion: "1.1.0", PromptChannel: Beta,
		PromptAnswer: AnswerAccepted, LastChannel: Beta}); err != nil {
		t.Fatal(err)
	}
	cfg := sdk.Config{Enabled: false, EnabledSource: sdk.SourceDefault, Dirs: dirs}
	var out bytes.Buffer
	res := Gate(Options{Version: "1.2.0", Config: cfg, Out: &out})
	if res.Record || out.String() != MigrationNotice+"\n" {
		t.Fatalf("first GA run: Gate = %+v, output %q; want off with the notice", res, out.String())
	}
	st, _ := LoadState(path)
	if st.LastChannel != GA {
		t.Errorf("last channel = %q, want ga", st.LastChannel)
	}
	out.Reset()
	if res := Gate(Options{Version: "1.2.0", Config: cfg, Out: &out}); res.Record || out.Len() > 0 {
		t.Errorf("second GA run: Gate = %+v, output %q; want off and quiet", res, out.String())
	}
}

func TestGateTouchesNoFileWhenTold(t *testing.T) {
	for _, src := range []sdk.Source{sdk.SourceFlag, sdk.SourceDoNotTrack} {
		dirs := gateDirs(t)
		var out bytes.Buffer
		res := Gate(Options{Version: "1.1.0", Config: sdk.Config{EnabledSource: src, Dirs: dirs}, Interactive: true,
			ReadLine: answers("y"), Out: &out})
		if res.Record || out.Len() > 0 {
			t.Errorf("%s: Gate = %+v, output %q", src, res, out.String())
		}
		if _, err := os.Stat(filepath.Dir(dirs.Config)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a folder was created", src)
		}
	}
}

func TestSaveStateIsPrivateAndAtomic(t *testing.T) {
	dirs := gateDirs(t)
	path := StatePath(dirs)
	for i := 0; i < 3; i++ {
		if err := SaveState(path, State{PromptShown: true, PromptVersion: "1.1.0"}); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(dirs.Config)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("config folder mode %v, want 0700", di.Mode().Perm())
	}
	entries, _ := os.ReadDir(dirs.Config)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the state file (no temporary left over)", len(entries))
	}
}

func TestLoadStateOfGarbageIsANewState(t *testing.T) {
	dirs := gateDirs(t)
	if err := WriteFileAtomic(StatePath(dirs), []byte("prompt_shown = [[[")); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(StatePath(dirs))
	if err == nil || st != (State{}) {
		t.Errorf("LoadState = %+v, %v; want the zero state and an error", st, err)
	}
}

package safety

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"caro.sh/telemetry/schema"
)

// The corpora in testdata hold commands from everyday admin practice,
// each labelled with the risk level the check should give it and why
// (doc.go, "What counts as dangerous", gives the policy). dangerous.tsv and
// safe.tsv were written first and the rules were then fixed against them;
// the heldout_ files were written afterwards and measured once before any
// rule was adjusted to them, to show how the rules fare on commands they
// were not fitted to. The thresholds are the acceptance bar of the check
// on all of them together, at the default safety level.
const (
	minRecall       = 0.95 // dangerous commands that caro stops at (asks or blocks)
	maxFalsePos     = 0.10 // safe commands that caro stops at
	minOutcomeMatch = 0.90 // commands whose outcome (run, ask, block) is the labelled one
	minCorpus       = 150  // commands in each corpus
)

// corpusLine is one labelled command.
type corpusLine struct {
	file    string
	line    int
	command string
	level   schema.RiskLevel
	reason  string
}

func (c corpusLine) String() string { return fmt.Sprintf("%s:%d %q", c.file, c.line, c.command) }

// readCorpus reads a tab-separated corpus: command, level, reason; lines
// starting with # are comments.
func readCorpus(t *testing.T, name string) []corpusLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 3 || cols[0] == "" || cols[2] == "" {
			t.Fatalf("%s:%d: want command, level and reason separated by tabs, got %q", name, n, text)
		}
		level := schema.RiskLevel(cols[1])
		if !slices.Contains(schema.RiskLevels(), level) {
			t.Fatalf("%s:%d: unknown level %q", name, n, cols[1])
		}
		out = append(out, corpusLine{file: name, line: n, command: cols[0], level: level, reason: cols[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	return out
}

// outcome is what caro does with a command at the default safety level
// (moderate; docs/cli.md, "Safety levels"): critical is blocked, high and
// moderate ask, safe runs.
type outcome string

const (
	run   outcome = "run"
	ask   outcome = "ask"
	block outcome = "block"
)

func outcomeAtDefault(r schema.RiskLevel) outcome {
	switch r {
	case schema.RiskCritical:
		return block
	case schema.RiskHigh, schema.RiskModerate:
		return ask
	}
	return run
}

func TestCorpus(t *testing.T) {
	fitted := [2][]corpusLine{readCorpus(t, "dangerous.tsv"), readCorpus(t, "safe.tsv")}
	heldout := [2][]corpusLine{readCorpus(t, "heldout_dangerous.tsv"), readCorpus(t, "heldout_safe.tsv")}
	dangerous := slices.Concat(fitted[0], heldout[0])
	safeCmds := slices.Concat(fitted[1], heldout[1])

	t.Run("each corpus holds enough commands, each once, under the right file", func(t *testing.T) {
		if len(fitted[0]) < minCorpus || len(fitted[1]) < minCorpus {
			t.Errorf("%d dangerous and %d safe commands, want at least %d of each", len(dangerous), len(safeCmds), minCorpus)
		}
		seen := map[string]corpusLine{}
		for _, c := range slices.Concat(dangerous, safeCmds) {
			if prev, ok := seen[c.command]; ok {
				t.Errorf("%v repeats %v", c, prev)
			}
			seen[c.command] = c
			if strings.HasSuffix(c.file, "safe.tsv") != (c.level == schema.RiskSafe) {
				t.Errorf("%v is labelled %s", c, c.level)
			}
		}
	})

	t.Run("the check meets the bar at the default safety level", func(t *testing.T) {
		for _, c := range slices.Concat(dangerous, safeCmds) {
			v := Check(c.command)
			if v.Risk == c.level {
				continue
			}
			mark := "  level"
			if outcomeAtDefault(v.Risk) != outcomeAtDefault(c.level) {
				mark = "OUTCOME"
			}
			t.Logf("%s %v: got %s (%s), labelled %s: %s; matched %v", mark, c, v.Risk, v.Category, c.level, c.reason, matchedIDs(c.command))
		}
		t.Logf("fitted:   %v", score(fitted[0], fitted[1]))
		t.Logf("held out: %v", score(heldout[0], heldout[1]))
		all := score(dangerous, safeCmds)
		t.Logf("all:      %v", all)
		if all.recall < minRecall {
			t.Errorf("recall %.1f%%, want at least %.0f%%", 100*all.recall, 100*minRecall)
		}
		if all.falsePos > maxFalsePos {
			t.Errorf("false positives %.1f%%, want at most %.0f%%", 100*all.falsePos, 100*maxFalsePos)
		}
		if all.outcomes < minOutcomeMatch {
			t.Errorf("outcome as labelled for %.1f%% of the commands, want at least %.0f%%", 100*all.outcomes, 100*minOutcomeMatch)
		}
	})
}

// scores are the figures of the check on labelled commands.
type scores struct {
	dangerous, safe, caught, falsePosN, sameOutcome, sameLevel, wrongBlock, missedBlock int
	recall, falsePos, outcomes                                                          float64
}

func score(dangerous, safeCmds []corpusLine) scores {
	s := scores{dangerous: len(dangerous), safe: len(safeCmds)}
	for _, c := range slices.Concat(dangerous, safeCmds) {
		v := Check(c.command)
		got, want := outcomeAtDefault(v.Risk), outcomeAtDefault(c.level)
		switch {
		case c.level != schema.RiskSafe && got != run:
			s.caught++
		case c.level == schema.RiskSafe && got != run:
			s.falsePosN++
		}
		if got == want {
			s.sameOutcome++
		}
		if v.Risk == c.level {
			s.sameLevel++
		}
		if got == block && want != block {
			s.wrongBlock++
		}
		if want == block && got != block {
			s.missedBlock++
		}
	}
	s.recall = float64(s.caught) / float64(s.dangerous)
	s.falsePos = float64(s.falsePosN) / float64(s.safe)
	s.outcomes = float64(s.sameOutcome) / float64(s.dangerous+s.safe)
	return s
}

func (s scores) String() string {
	return fmt.Sprintf("recall %.1f%% (%d of %d dangerous stopped), false positives %.1f%% (%d of %d safe stopped), "+
		"outcome as labelled %.1f%%, level as labelled %.1f%%, blocked though not critical %d, critical not blocked %d",
		100*s.recall, s.caught, s.dangerous, 100*s.falsePos, s.falsePosN, s.safe,
		100*s.outcomes, 100*float64(s.sameLevel)/float64(s.dangerous+s.safe), s.wrongBlock, s.missedBlock)
}

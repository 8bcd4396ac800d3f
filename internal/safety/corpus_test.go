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
// (doc.go, "What counts as dangerous", gives the policy). The thresholds are
// the acceptance bar of the check on real practice at the default safety
// level.
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
	dangerous := readCorpus(t, "dangerous.tsv")
	safeCmds := readCorpus(t, "safe.tsv")

	t.Run("each corpus holds enough commands, each once, under the right file", func(t *testing.T) {
		if len(dangerous) < minCorpus || len(safeCmds) < minCorpus {
			t.Errorf("%d dangerous and %d safe commands, want at least %d of each", len(dangerous), len(safeCmds), minCorpus)
		}
		seen := map[string]corpusLine{}
		for _, c := range slices.Concat(dangerous, safeCmds) {
			if prev, ok := seen[c.command]; ok {
				t.Errorf("%v repeats %v", c, prev)
			}
			seen[c.command] = c
			if (c.file == "safe.tsv") != (c.level == schema.RiskSafe) {
				t.Errorf("%v is labelled %s", c, c.level)
			}
		}
	})

	t.Run("the check meets the bar at the default safety level", func(t *testing.T) {
		var caught, falsePos, sameOutcome, sameLevel, wrongBlock, missedBlock int
		for _, c := range slices.Concat(dangerous, safeCmds) {
			v := Check(c.command)
			got, want := outcomeAtDefault(v.Risk), outcomeAtDefault(c.level)
			switch {
			case c.level != schema.RiskSafe && got != run:
				caught++
			case c.level == schema.RiskSafe && got != run:
				falsePos++
			}
			if got == want {
				sameOutcome++
			}
			if v.Risk == c.level {
				sameLevel++
			}
			if got == block && want != block {
				wrongBlock++
			}
			if want == block && got != block {
				missedBlock++
			}
			if v.Risk != c.level {
				mark := "  level"
				if got != want {
					mark = "OUTCOME"
				}
				t.Logf("%s %v: got %s (%s), labelled %s: %s; matched %v", mark, c, v.Risk, v.Category, c.level, c.reason, matchedIDs(c.command))
			}
		}
		all := len(dangerous) + len(safeCmds)
		recall := float64(caught) / float64(len(dangerous))
		fpRate := float64(falsePos) / float64(len(safeCmds))
		outcomes := float64(sameOutcome) / float64(all)
		t.Logf("recall %.1f%% (%d of %d dangerous commands stopped); false positives %.1f%% (%d of %d safe commands stopped)",
			100*recall, caught, len(dangerous), 100*fpRate, falsePos, len(safeCmds))
		t.Logf("outcome as labelled %.1f%% (%d of %d); level as labelled %.1f%%; blocked though not critical: %d; critical but not blocked: %d",
			100*outcomes, sameOutcome, all, 100*float64(sameLevel)/float64(all), wrongBlock, missedBlock)
		if recall < minRecall {
			t.Errorf("recall %.1f%%, want at least %.0f%%", 100*recall, 100*minRecall)
		}
		if fpRate > maxFalsePos {
			t.Errorf("false positives %.1f%%, want at most %.0f%%", 100*fpRate, 100*maxFalsePos)
		}
		if outcomes < minOutcomeMatch {
			t.Errorf("outcome as labelled for %.1f%% of the commands, want at least %.0f%%", 100*outcomes, 100*minOutcomeMatch)
		}
	})
}

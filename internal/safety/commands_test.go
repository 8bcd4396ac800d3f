package safety

import (
	"slices"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"a single command keeps its words", "ls -la /tmp", []string{"ls -la /tmp"}},
		{"separators split commands", "a; b && c || d | e & f\ng", []string{"a", "b", "c", "d", "e", "f", "g"}},
		{"separators inside quotes do not split", `echo "a; b" 'c | d'`, []string{"echo a; b c | d"}},
		{"the directory of the command word is dropped", "/sbin/shutdown -h now", []string{"shutdown -h now"}},
		{"sudo and its options are dropped", "sudo -u root -E reboot", []string{"reboot"}},
		{"env with assignments is dropped", "env -i FOO=1 BAR=2 make", []string{"make"}},
		{"leading assignments are dropped", "LANG=C sort file", []string{"sort file"}},
		{"wrappers nest", "sudo nohup nice -n 10 timeout 5s xargs -I {} rm {}", []string{"rm {}"}},
		{"redirections and their targets are dropped", "cat a > out 2>&1 < in", []string{"cat a"}},
		{"a redirection without a command leaves nothing", "> ~/.bash_history", nil},
		{"shell keywords are dropped", "if true; then reboot; fi", []string{"true", "reboot", "fi"}},
		{"a command substitution is a command", "echo $(shutdown now)", []string{"shutdown now", "echo $()"}},
		{"a substitution inside double quotes is a command", `echo "x $(id -u) y"`, []string{"id -u", "echo x $() y"}},
		{"backticks are a command", "echo `date`", []string{"date", "echo $()"}},
		{"backticks inside double quotes are a command", "echo \"x `date` y\"", []string{"date", "echo x $() y"}},
		{"an unterminated backtick runs to the end", "echo `reboot", []string{"reboot", "echo $()"}},
		{"a process substitution is a command", "diff <(ls a) >(tee b)", []string{"ls a", "tee b", "diff $() $()"}},
		{"sh -c runs its string", `bash -c "cd /; reboot"`, []string{"bash -c cd /; reboot", "cd /", "reboot"}},
		{"a combined -lc flag runs its string", `zsh -lc 'halt'`, []string{"zsh -lc halt", "halt"}},
		{"su -c runs its string", `su - root -c "poweroff"`, []string{"su - root -c poweroff", "poweroff"}},
		{"eval runs its arguments", `eval "init 0"`, []string{"eval init 0", "init 0"}},
		{"ssh runs what follows the host", "ssh -p 22 -i k.pem admin@db sudo reboot", []string{"ssh -p 22 -i k.pem admin@db sudo reboot", "reboot"}},
		{"find -exec runs its command", `find . -name x -exec rm -f {} \;`, []string{"find . -name x -exec rm -f {} ;", "rm -f {}"}},
		{"watch runs its quoted command", "watch -n 1 'ps aux | head'", []string{"ps aux", "head"}},
		{"command -v is a lookup, not a run", "command -v shutdown", nil},
		{"a comment is ignored", "ls # reboot", []string{"ls"}},
		{"a backslash-newline continues the line", "rm \\\n -rf x", []string{"rm -rf x"}},
		{"an unbalanced substitution does not break the lexer", "echo $(reboot", []string{"reboot", "echo $()"}},
		{"an unterminated quote runs to the end", `echo "abc`, []string{"echo abc"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := commands(c.in)
			if !slices.Equal(got, c.want) {
				t.Errorf("commands(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestCommandsBoundsHostileInput(t *testing.T) {
	t.Run("nesting beyond the limit is not followed", func(t *testing.T) {
		in := "reboot"
		for range 8 {
			in = "sh -c " + strconvQuote(in)
		}
		if got := commands(in); len(got) > maxNesting+1 {
			t.Errorf("%d commands from an 8-deep nesting", len(got))
		}
	})
	t.Run("a flood of commands is capped", func(t *testing.T) {
		if got := commands(strings.Repeat("a;", 10000)); len(got) != maxCommands {
			t.Errorf("%d commands, want the cap %d", len(got), maxCommands)
		}
	})
}

// strconvQuote single-quotes s for a POSIX shell.
func strconvQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

package backend

import (
	"context"
	"errors"
	"strings"
	"testing"

	"caro.sh/telemetry/internal/safety"
	"caro.sh/telemetry/schema"
)

func generate(t testing.TB, prompt, shell, os string) (Result, error) {
	t.Helper()
	return NewStatic().Generate(context.Background(), Request{Prompt: prompt, Shell: shell, OS: os})
}

func TestStaticTable(t *testing.T) {
	t.Run("the table holds at least forty tasks", func(t *testing.T) {
		if Tasks() < 40 {
			t.Errorf("Tasks() = %d", Tasks())
		}
	})
	t.Run("task ids are unique and every task has an example and a command", func(t *testing.T) {
		seen := map[string]bool{}
		for _, tk := range tasks {
			if seen[tk.id] {
				t.Errorf("duplicate id %s", tk.id)
			}
			seen[tk.id] = true
			if tk.example == "" || tk.cmd == "" || len(tk.need) == 0 {
				t.Errorf("%s: example %q, cmd %q, %d need groups", tk.id, tk.example, tk.cmd, len(tk.need))
			}
		}
	})
	t.Run("terms are lowercase words, so that they can match the normalized prompt", func(t *testing.T) {
		for _, tk := range tasks {
			var terms []string
			for _, g := range tk.need {
				terms = append(terms, g...)
			}
			terms = append(append(terms, tk.bonus...), tk.not...)
			for _, w := range terms {
				if strings.HasPrefix(w, "@") {
					continue
				}
				if w = strings.TrimSuffix(w, "*"); strings.TrimSpace(normalize(w)) != w {
					t.Errorf("%s: term %q can never match", tk.id, w)
				}
			}
		}
	})
}

func TestStaticEveryTaskIsReachable(t *testing.T) {
	for i := range tasks {
		tk := &tasks[i]
		t.Run(tk.id+" is chosen for its example", func(t *testing.T) {
			got, _ := match(tk.example)
			if got == nil || got.id != tk.id {
				id := "nothing"
				if got != nil {
					id = got.id
				}
				t.Fatalf("%q chose %s", tk.example, id)
			}
			for _, env := range []struct{ shell, os string }{
				{"bash", "linux"}, {"zsh", "macos"}, {"sh", "freebsd"}, {"fish", "linux"}, {"pwsh", "windows"},
			} {
				res, err := generate(t, tk.example, env.shell, env.os)
				if err != nil {
					if env.shell == "pwsh" && errors.Is(err, ErrNoMatch) && tk.ps == "" && !tk.any {
						continue // no PowerShell form, by design
					}
					t.Errorf("%s on %s: %v", env.shell, env.os, err)
					continue
				}
				if res.Command == "" || strings.ContainsAny(res.Command, "«»") {
					t.Errorf("%s on %s: command %q", env.shell, env.os, res.Command)
				}
				if res.Backend != schema.BackendStatic || res.Model != "" || res.InputTokens != 0 || res.Confidence != 0 {
					t.Errorf("result %+v", res)
				}
			}
		})
	}
}

func TestStaticCommandsAreNeverHighRisk(t *testing.T) {
	// The fallback must not hand the user something the safety check
	// would stop; moderate (pkill, kill) is expected for killing tasks.
	for _, tk := range tasks {
		for _, tmpl := range []string{tk.cmd, tk.mac, tk.bsd, tk.fish, tk.ps} {
			if tmpl == "" {
				continue
			}
			cmd := fill(tmpl, &tk, newPrompt(tk.example))
			t.Run(tk.id+" "+cmd, func(t *testing.T) {
				if v := safety.Check(cmd); v.Risk == schema.RiskHigh || v.Risk == schema.RiskCritical {
					t.Errorf("safety.Check = %+v", v)
				}
			})
		}
	}
}

func TestStaticPrompts(t *testing.T) {
	cases := []struct {
		name, prompt, shell, os string
		want                    string
	}{
		{"listing files uses ls", "list files", "bash", "linux", "ls -la"},
		{"a question about the folder's content lists files", "show me what's in this folder", "zsh", "macos", "ls -la"},
		{"the largest files are not a plain listing", "list the largest files", "bash", "linux", "find . -type f -size +100M -exec du -h {} + 2>/dev/null | sort -rh | head -n 20"},
		{"hidden files are not a plain listing", "show hidden files", "bash", "linux", "find . -maxdepth 1 -name '.*' ! -name ."},
		{"sorting by size is not a plain listing", "list files sorted by size", "bash", "linux", "ls -lhS"},
		{"the size of this folder is one number", "how big is this folder", "bash", "linux", "du -sh ."},
		{"free space is df", "how much free disk space do I have", "bash", "linux", "df -h"},
		{"counting lines names the file", "how many lines in main.go", "bash", "linux", "wc -l main.go"},
		{"counting lines of code counts every file", "count lines of code", "bash", "linux", "wc -l *"},
		{"processes are sorted by cpu on linux", "show running processes", "bash", "linux", "ps aux --sort=-%cpu | head -n 20"},
		{"processes use BSD ps flags on macOS", "show running processes", "zsh", "macos", "ps aux -r | head -n 20"},
		{"killing takes the process name after kill", "kill firefox", "bash", "linux", "pkill -x firefox"},
		{"killing takes the name after named", "kill the process named firefox", "bash", "linux", "pkill -x firefox"},
		{"killing in PowerShell uses Stop-Process", "kill the process named notepad", "pwsh", "windows", "Stop-Process -Name notepad"},
		{"a running check looks the process up", "is nginx running", "bash", "linux", "pgrep -a nginx"},
		{"compressing names the folder twice", "compress the folder photos", "bash", "linux", "tar -czf photos.tar.gz photos"},
		{"extracting names the archive", "extract backup.tar.gz", "bash", "linux", "tar -xf backup.tar.gz"},
		{"unzipping names the zip", "unzip data.zip", "bash", "linux", "unzip data.zip"},
		{"git status for a question about changes", "what changed in my git repo", "bash", "linux", "git status"},
		{"the git history takes a count", "show the last 5 commits", "bash", "linux", "git log --oneline --graph --decorate -n 5"},
		{"git works in cmd.exe", "git status", "cmd", "windows", "git status"},
		{"ip addresses use ip on linux", "show my ip address", "bash", "linux", "ip -brief address"},
		{"ip addresses use ifconfig on macOS", "show my ip address", "zsh", "macos", "ifconfig | grep 'inet '"},
		{"open ports use ss on linux", "what ports are open", "bash", "linux", "ss -tulpn"},
		{"open ports use lsof on macOS", "check open ports", "zsh", "darwin", "lsof -nP -iTCP -sTCP:LISTEN"},
		{"a port number finds its process", "which process is using port 8080", "bash", "linux", "ss -ltnp 'sport = :8080'"},
		{"a port number on macOS uses lsof", "what is listening on port 5432", "zsh", "macos", "lsof -nP -i :5432"},
		{"the date is date", "what's the date today", "bash", "linux", "date"},
		{"memory on linux is free", "memory usage", "bash", "linux", "free -h"},
		{"memory on macOS reads top", "how much ram is used", "zsh", "macos", "top -l 1 -s 0 | grep PhysMem"},
		{"renaming extensions loops in bash", "rename all .txt files to .md", "bash", "linux", `for f in *.txt; do mv -- "$f" "${f%.txt}.md"; done`},
		{"renaming extensions loops the fish way", "rename all .jpeg files to .jpg", "fish", "linux", `for f in *.jpeg; mv -- $f (string replace -r '\.jpeg$' '.jpg' -- $f); end`},
		{"empty folders are deleted with find", "delete empty folders", "bash", "linux", "find . -type d -empty -delete"},
		{"a quoted search text is kept whole", "search for 'hello world' in all files", "bash", "linux", "grep -rn 'hello world' ."},
		{"a search word after containing is used", "find files containing TODO", "bash", "linux", "grep -rn TODO ."},
		{"a quoted glob finds files by name", "find files named '*.log'", "bash", "linux", "find . -name '*.log'"},
		{"a file name alone is found by name", "where is config.yaml", "bash", "linux", "find . -name config.yaml"},
		{"files of an extension are found by a glob", "find all pdf files", "bash", "linux", "find . -name '*.pdf'"},
		{"a dotted extension is found by a glob", "list all .log files", "bash", "linux", "find . -name '*.log'"},
		{"searching files for a word greps it", "search files for password", "bash", "linux", "grep -rn password ."},
		{"a bare number after kill is a pid", "kill process 1234", "bash", "linux", "kill 1234"},
		{"a process that is running is looked up by name", "is postgres running", "zsh", "macos", "pgrep -fl postgres"},
		{"a question about all running processes lists them", "which processes are running", "bash", "linux", "ps aux --sort=-%cpu | head -n 20"},
		{"how long the system has been running is uptime", "how long has the system been running", "bash", "linux", "uptime"},
		{"a distribution name asks for the os version", "what version of ubuntu is this", "bash", "linux", "cat /etc/os-release"},
		{"docker containers are listed by docker ps", "show all docker containers", "bash", "linux", "docker ps -a"},
		{"replacing text uses GNU sed on linux", "replace foo with bar in config.yaml", "bash", "linux", "sed -i 's/foo/bar/g' config.yaml"},
		{"replacing text uses BSD sed on macOS", "replace foo with bar in config.yaml", "zsh", "macos", "sed -i '' 's/foo/bar/g' config.yaml"},
		{"a download keeps its URL", "download https://example.com/a.tar.gz", "bash", "linux", "curl -fLO https://example.com/a.tar.gz"},
		{"a ping names its host", "ping example.org", "bash", "linux", "ping -c 4 example.org"},
		{"the last lines take their count", "show the last 50 lines of /var/log/syslog", "bash", "linux", "tail -n 50 /var/log/syslog"},
		{"the PATH is split on colons in bash", "show my PATH", "bash", "linux", `echo "$PATH" | tr ':' '\n'`},
		{"the PATH is a list in fish", "show my PATH", "fish", "macos", `printf '%s\n' $PATH`},
		{"a checksum uses shasum on macOS", "sha256 checksum of ubuntu.iso", "zsh", "macos", "shasum -a 256 ubuntu.iso"},
		{"an unknown shell on Windows means PowerShell", "list files", "", "windows", "Get-ChildItem -Force"},
		{"a POSIX shell on Windows gets the POSIX form", "list files", "bash", "windows", "ls -la"},
		{"a shell path is reduced to its name", "show my PATH", "/usr/local/bin/fish", "linux", `printf '%s\n' $PATH`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := generate(t, c.prompt, c.shell, c.os)
			if err != nil {
				t.Fatalf("Generate(%q): %v", c.prompt, err)
			}
			if res.Command != c.want {
				tk, _ := match(c.prompt)
				id := "nothing"
				if tk != nil {
					id = tk.id
				}
				t.Errorf("Generate(%q) = %q (task %s), want %q", c.prompt, res.Command, id, c.want)
			}
		})
	}
}

func TestStaticNoMatch(t *testing.T) {
	cases := []struct{ name, prompt, shell, os string }{
		{"an unrelated question has no match", "what is the meaning of life", "bash", "linux"},
		{"an empty prompt has no match", "", "bash", "linux"},
		{"punctuation alone has no match", "?!...", "bash", "linux"},
		{"a POSIX-only task has no form in cmd.exe", "list files", "cmd", "windows"},
		{"a POSIX-only task has no form in nushell", "show running processes", "nu", "linux"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := generate(t, c.prompt, c.shell, c.os)
			if !errors.Is(err, ErrNoMatch) {
				t.Fatalf("err = %v, want ErrNoMatch", err)
			}
			if Classify(err) != schema.ErrBackendModel {
				t.Errorf("Classify = %s", Classify(err))
			}
		})
	}
}

func TestStaticSlotsCannotInjectShell(t *testing.T) {
	cases := []struct{ name, prompt, want string }{
		{"shell syntax in a quoted name is single-quoted", `kill the process named "x; rm -rf /"`, "pkill -x 'x; rm -rf /'"},
		{"a command substitution in a name is single-quoted", "kill the process named `$(reboot)`", "pkill -x '$(reboot)'"},
		{"a name holding a single quote falls back to the placeholder", `kill the process named "it's"`, "pkill -x PROCESS_NAME"},
		{"a name that looks like an option falls back to the placeholder", "kill the process named -9", "pkill -x PROCESS_NAME"},
		{"a name with a semicolon after named is single-quoted", "kill the process named x;reboot", "pkill -x 'x;reboot'"},
		{"sed words with shell syntax fall back to placeholders", "replace 'a/b' with c in f.txt", "sed -i 's/OLD/NEW/g' f.txt"},
		{"only the digits of a port are taken", "which process is using port 5000;reboot", "ss -ltnp 'sport = :5000'"},
		{"a URL with shell syntax is single-quoted", "download https://x.io/a?b=1&c=$(id)", "curl -fLO 'https://x.io/a?b=1&c=$(id)'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := generate(t, c.prompt, "bash", "linux")
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if res.Command != c.want {
				t.Errorf("got %q, want %q", res.Command, c.want)
			}
		})
	}
}

func TestStaticIgnoresAnExpiredContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := NewStatic().Generate(ctx, Request{Prompt: "list files", Shell: "bash", OS: "linux"})
	if err != nil || res.Command != "ls -la" {
		t.Fatalf("Generate = %+v, %v", res, err)
	}
}

func BenchmarkStatic(b *testing.B) {
	s := NewStatic()
	req := Request{Prompt: "which process is using port 8080 on this machine", Shell: "zsh", OS: "macos"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Generate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// Asked again for the same request, the static table offers the next
// entry that fits, then says it has none.
func TestStaticAskedAgain(t *testing.T) {
	ask := func(prompt string, exclude ...string) (Result, error) {
		return NewStatic().Generate(context.Background(), Request{Prompt: prompt, Shell: "bash", OS: "linux", Exclude: exclude})
	}
	t.Run("a request that two entries fit gets the second, then none", func(t *testing.T) {
		first, err := ask("list files by size")
		if err != nil {
			t.Fatal(err)
		}
		second, err := ask("list files by size", first.Command)
		if err != nil || second.Command == first.Command || second.Command == "" || second.Backend != schema.BackendStatic {
			t.Fatalf("asked again: %+v, %v; want another command than %q", second, err, first.Command)
		}
		if _, err := ask("list files by size", first.Command, second.Command); !errors.Is(err, ErrNoAlternative) {
			t.Errorf("asked a third time: %v, want ErrNoAlternative", err)
		}
	})
	t.Run("a request that one entry fits has no other", func(t *testing.T) {
		first, err := ask("list files")
		if err != nil {
			t.Fatal(err)
		}
		if res, err := ask("list files", first.Command); !errors.Is(err, ErrNoAlternative) {
			t.Errorf("asked again: %+v, %v; want ErrNoAlternative", res, err)
		}
	})
	t.Run("a request that nothing fits has no match, asked again or not", func(t *testing.T) {
		if _, err := ask("qwxzzy plugh", "ls"); !errors.Is(err, ErrNoMatch) {
			t.Errorf("got %v, want ErrNoMatch", err)
		}
	})
	t.Run("an edited command excluded changes nothing", func(t *testing.T) {
		first, _ := ask("list files")
		if again, err := ask("list files", "echo edited-by-hand"); err != nil || again.Command != first.Command {
			t.Errorf("got %+v, %v; want %q again", again, err, first.Command)
		}
	})
}

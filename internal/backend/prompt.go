package backend

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// chatMessage is a message of a chat API; Ollama's and the OpenAI chat
// completions API that vLLM serves spell it alike.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatMessages is what caro says to a chat model: the system prompt, then
// the user's request.
func chatMessages(req Request) []chatMessage {
	return []chatMessage{
		{Role: "system", Content: systemPrompt(req)},
		{Role: "user", Content: req.Prompt},
	}
}

// systemPrompt asks a model for one command line for the user's shell and
// system, nothing else.
func systemPrompt(req Request) string {
	shell := normShell(req.Shell)
	if shell == "" || shell == "unknown" || shell == "other" {
		shell = "POSIX sh"
	}
	os := req.OS
	switch normOS(req.OS) {
	case osMac:
		os = "macOS"
	case osLinux:
		os = "Linux"
	case osWindows:
		os = "Windows"
	}
	return fmt.Sprintf(`You translate a request into exactly one %s command for %s.
Reply with the command only, on a single line: no explanation, no Markdown, no code fences, no leading "$".
If the request needs several steps, join them with && or a pipe.
Prefer safe, non-destructive commands and tools that are installed by default.`, shell, os)
}

var (
	thinkBlock = regexp.MustCompile(`(?s)<think>.*?</think>`)
	// A fenced block: the rest of the opening line is a language tag.
	fenceBlock = regexp.MustCompile("(?s)```[^\n`]*\n(.*?)(?:```|$)")
	// A fence on one line: ```ls -la```.
	fenceInline = regexp.MustCompile("```([^`\n]+)```")
)

// cleanCommand turns a model's answer into one command line: it drops a
// reasoning block, takes the first fenced code block if there is one,
// unwraps a JSON {"cmd": ...} or {"command": ...} answer, drops prose
// lines ending with a colon, keeps the first line (joined with its
// backslash continuations), and strips inline backticks and a "$ " prompt.
// It returns "" when nothing is left.
func cleanCommand(answer string) string {
	s := thinkBlock.ReplaceAllString(answer, "")
	if i := strings.Index(s, "<think>"); i >= 0 { // unterminated: all reasoning
		s = s[:i]
	}
	if m := fenceBlock.FindStringSubmatch(s); m != nil {
		s = m[1]
	} else if m := fenceInline.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var obj map[string]any
		if json.Unmarshal([]byte(s), &obj) == nil {
			for _, k := range []string{"cmd", "command"} {
				if v, ok := obj[k].(string); ok {
					s = strings.TrimSpace(v)
					break
				}
			}
		}
	}
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if len(out) == 0 {
			if t == "" || (strings.HasSuffix(t, ":") && strings.Contains(t, " ")) {
				continue // blank or "Here is the command:"
			}
		}
		out = append(out, t)
		if !strings.HasSuffix(t, "\\") {
			break
		}
	}
	s = strings.Join(out, "\n")
	if len(s) >= 2 && strings.HasPrefix(s, "`") && strings.HasSuffix(s, "`") {
		s = strings.Trim(s, "`")
	}
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "$ "); ok {
		s = strings.TrimSpace(rest)
	}
	return s
}

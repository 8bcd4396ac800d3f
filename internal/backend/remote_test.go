package backend

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

// ---- What both fake servers share ------------------------------------------

// fakeMessage is one message of a chat request; Ollama and the OpenAI API
// spell it alike.
type fakeMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// checkMessages fails t unless a request carries caro's system prompt and
// the user's request, in that order.
func checkMessages(t *testing.T, msgs []fakeMessage) {
	t.Helper()
	if len(msgs) != 2 || msgs[0].Role != "system" || msgs[1].Role != "user" ||
		!strings.Contains(msgs[0].Content, "one") || msgs[1].Content == "" {
		t.Errorf("messages %+v", msgs)
	}
}

// holdBack delays the answer by d, or until the client gives up; false
// when it gave up.
func holdBack(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

// ---- A fake Ollama that speaks its HTTP API -------------------------------

// ollamaReply decides what the fake Ollama answers to a valid request.
type ollamaReply struct {
	content  string
	logprobs []float64
	status   int    // an error status, with an Ollama error body
	errMsg   string // the error message for status
	raw      string // a raw 200 body instead of the normal answer
	delay    time.Duration
	hangUp   bool // close the connection without answering
}

// newOllama starts a server that checks requests the way Ollama does
// (POST /api/chat, JSON body, model required, "stream" true unless set to
// false) and answers with Ollama's response shapes.
func newOllamaServer(t *testing.T, models []string, reply ollamaReply) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/chat" {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var req struct {
			Model    string         `json:"model"`
			Messages []fakeMessage  `json:"messages"`
			Stream   *bool          `json:"stream"`
			Options  map[string]any `json:"options"`
			Logprobs bool           `json:"logprobs"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":%q}`, err.Error())
			return
		}
		if req.Model == "" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"model is required"}`)
			return
		}
		found := false
		for _, m := range models {
			found = found || m == req.Model
		}
		if !found {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":%q}`, fmt.Sprintf("model %q not found, try pulling it first", req.Model))
			return
		}
		checkMessages(t, req.Messages)
		if req.Options["temperature"] != float64(0) {
			t.Errorf("options %v", req.Options)
		}
		if reply.hangUp {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		if !holdBack(r, reply.delay) {
			return
		}
		if reply.status != 0 {
			w.WriteHeader(reply.status)
			fmt.Fprintf(w, `{"error":%q}`, reply.errMsg)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if reply.raw != "" {
			io.WriteString(w, reply.raw)
			return
		}
		if req.Stream == nil || *req.Stream {
			// Ollama streams NDJSON unless told not to.
			w.Header().Set("Content-Type", "application/x-ndjson")
			fmt.Fprintf(w, "{\"model\":%q,\"message\":{\"role\":\"assistant\",\"content\":\"ls\"},\"done\":false}\n", req.Model)
			fmt.Fprintf(w, "{\"model\":%q,\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n", req.Model)
			return
		}
		resp := map[string]any{
			"model":                req.Model,
			"created_at":           "2025-12-30T10:15:32.456789Z",
			"message":              map[string]any{"role": "assistant", "content": reply.content},
			"done_reason":          "stop",
			"done":                 true,
			"total_duration":       1823000000,
			"load_duration":        12000000,
			"prompt_eval_count":    45,
			"prompt_eval_duration": 120000000,
			"eval_count":           23,
			"eval_duration":        1600000000,
		}
		if req.Logprobs && reply.logprobs != nil {
			var lps []map[string]any
			for _, lp := range reply.logprobs {
				lps = append(lps, map[string]any{"token": "x", "logprob": lp, "bytes": []int{120}})
			}
			resp["logprobs"] = lps
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ---- A fake vLLM that speaks the OpenAI chat completions API ---------------

type vllmReply struct {
	content   *string
	logprobs  []float64
	noChoices bool
	raw       string
	status    int
	newErrors bool // OpenAI-style {"error": {...}} bodies (recent vLLM)
	delay     time.Duration
	apiKey    string // required bearer token, if any
}

func strp(s string) *string { return &s }

func newVLLMServer(t *testing.T, model string, reply vllmReply) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"detail":"Not Found"}`)
			return
		}
		if reply.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+reply.apiKey {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"Unauthorized"}`)
			return
		}
		var req struct {
			Model       string        `json:"model"`
			Messages    []fakeMessage `json:"messages"`
			Temperature *float64      `json:"temperature"`
			MaxTokens   int           `json:"max_tokens"`
			N           int           `json:"n"`
			Stream      bool          `json:"stream"`
			Logprobs    bool          `json:"logprobs"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"object":"error","message":%q,"type":"BadRequestError","param":null,"code":400}`, err.Error())
			return
		}
		if req.Model != model {
			w.WriteHeader(http.StatusNotFound)
			msg := fmt.Sprintf("The model `%s` does not exist.", req.Model)
			if reply.newErrors {
				fmt.Fprintf(w, `{"error":{"message":%q,"type":"NotFoundError","param":null,"code":404}}`, msg)
			} else {
				fmt.Fprintf(w, `{"object":"error","message":%q,"type":"NotFoundError","param":null,"code":404}`, msg)
			}
			return
		}
		checkMessages(t, req.Messages)
		if req.Temperature == nil || *req.Temperature != 0 || req.MaxTokens <= 0 || req.N != 1 || req.Stream {
			t.Errorf("sampling: temperature %v, max_tokens %d, n %d, stream %v", req.Temperature, req.MaxTokens, req.N, req.Stream)
		}
		if !holdBack(r, reply.delay) {
			return
		}
		if reply.status != 0 {
			w.WriteHeader(reply.status)
			fmt.Fprintf(w, `{"object":"error","message":"internal","type":"InternalServerError","param":null,"code":%d}`, reply.status)
			return
		}
		if reply.raw != "" {
			io.WriteString(w, reply.raw)
			return
		}
		choice := map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": reply.content, "tool_calls": []any{}},
			"logprobs":      nil,
			"finish_reason": "stop",
			"stop_reason":   nil,
		}
		if req.Logprobs && reply.logprobs != nil {
			var content []map[string]any
			for _, lp := range reply.logprobs {
				content = append(content, map[string]any{"token": "x", "logprob": lp, "bytes": []int{120}, "top_logprobs": []any{}})
			}
			choice["logprobs"] = map[string]any{"content": content}
		}
		choices := []any{choice}
		if reply.noChoices {
			choices = []any{}
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id":              "chatcmpl-b7a2c1d0e9f8",
			"object":          "chat.completion",
			"created":         1767089732,
			"model":           req.Model,
			"choices":         choices,
			"usage":           map[string]any{"prompt_tokens": 52, "total_tokens": 61, "completion_tokens": 9, "prompt_tokens_details": nil},
			"prompt_logprobs": nil,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// refusedURL returns the URL of a port that nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

var testReq = Request{Prompt: "list all files here", Shell: "zsh", OS: "macos"}

func TestOllama(t *testing.T) {
	const model = "qwen2.5-coder:1.5b"
	cases := []struct {
		name    string
		model   string
		reply   ollamaReply
		timeout time.Duration
		refused bool
		want    Result
		cat     schema.ErrorCategory
	}{
		{name: "a plain answer gives the command, the model and the token counts",
			reply: ollamaReply{content: "ls -la"},
			want:  Result{Command: "ls -la", Backend: schema.BackendOllama, Model: model, InputTokens: 45, OutputTokens: 23}},
		{name: "a fenced answer is cleaned to the command",
			reply: ollamaReply{content: "Here is the command:\n```bash\nls -la\n```\nIt lists files."},
			want:  Result{Command: "ls -la", Backend: schema.BackendOllama, Model: model, InputTokens: 45, OutputTokens: 23}},
		{name: "log-probabilities give a confidence",
			reply: ollamaReply{content: "ls -la", logprobs: []float64{-0.1, -0.2, 0}},
			want:  Result{Command: "ls -la", Backend: schema.BackendOllama, Model: model, InputTokens: 45, OutputTokens: 23, Confidence: math.Exp(-0.1)}},
		{name: "a missing model is a model error",
			model: "llama9:70b", cat: schema.ErrBackendModel},
		{name: "a server failure is a model error",
			reply: ollamaReply{status: 500, errMsg: "llama runner process has terminated"}, cat: schema.ErrBackendModel},
		{name: "a slow server runs into the deadline",
			reply: ollamaReply{content: "ls", delay: 5 * time.Second}, timeout: 100 * time.Millisecond, cat: schema.ErrBackendTimeout},
		{name: "a refused connection is a connection error",
			refused: true, cat: schema.ErrBackendConnection},
		{name: "a dropped connection is a connection error",
			reply: ollamaReply{hangUp: true}, cat: schema.ErrBackendConnection},
		{name: "garbage instead of JSON is a parse error",
			reply: ollamaReply{raw: "<html>proxy error</html>"}, cat: schema.ErrBackendParse},
		{name: "JSON of the wrong shape is a parse error",
			reply: ollamaReply{raw: `{"message":"ls"}`}, cat: schema.ErrBackendParse},
		{name: "an empty answer is a parse error",
			reply: ollamaReply{content: "  \n"}, cat: schema.ErrBackendParse},
		{name: "an answer that is only reasoning is a parse error",
			reply: ollamaReply{content: "<think>the user wants files</think>"}, cat: schema.ErrBackendParse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := newOllamaServer(t, []string{model}, c.reply).URL
			if c.refused {
				base = refusedURL(t)
			}
			start := time.Now()
			res, err := NewOllama(base+"/", cmp.Or(c.model, model), nil).Generate(withTimeout(t, c.timeout), testReq)
			if checkGenerated(t, res, err, c.cat, c.want) {
				if c.timeout > 0 && time.Since(start) > 2*time.Second {
					t.Errorf("the deadline was not honoured: %v", time.Since(start))
				}
				if strings.Contains(err.Error(), testReq.Prompt) {
					t.Errorf("the error holds the prompt: %v", err)
				}
			}
		})
	}
}

// withTimeout is a context with the timeout d (none when d is 0),
// cancelled with the test.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	if d == 0 {
		return context.Background()
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// checkGenerated fails the test unless Generate's answer is what a case
// wants: an error of category cat when cat is set, else the result want.
// It reports whether an error was wanted (and came), for checks of it.
func checkGenerated(t *testing.T, res Result, err error, cat schema.ErrorCategory, want Result) (errorWanted bool) {
	t.Helper()
	if cat != "" {
		if err == nil {
			t.Fatalf("no error, result %+v", res)
		}
		if got := Classify(err); got != cat {
			t.Errorf("Classify(%v) = %s, want %s", err, got, cat)
		}
		return true
	}
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if res.Command != want.Command || res.Backend != want.Backend || res.Model != want.Model ||
		res.InputTokens != want.InputTokens || res.OutputTokens != want.OutputTokens ||
		math.Abs(res.Confidence-want.Confidence) > 1e-9 {
		t.Errorf("got %+v\nwant %+v", res, want)
	}
	return false
}

func TestOllamaNotFoundMessage(t *testing.T) {
	srv := newOllamaServer(t, []string{"llama3.2"}, ollamaReply{})
	_, err := NewOllama(srv.URL, "nope", nil).Generate(context.Background(), testReq)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 || se.Message != `model "nope" not found, try pulling it first` {
		t.Fatalf("err = %#v", err)
	}
}

func TestVLLM(t *testing.T) {
	const model = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
	cases := []struct {
		name    string
		base    func(string) string
		model   string
		reply   vllmReply
		opts    []Option
		timeout time.Duration
		refused bool
		want    Result
		cat     schema.ErrorCategory
	}{
		{name: "an answer gives the command, the served model and the usage",
			reply: vllmReply{content: strp("`du -sh *`")},
			want:  Result{Command: "du -sh *", Backend: schema.BackendVLLM, Model: model, InputTokens: 52, OutputTokens: 9}},
		{name: "a base URL ending in /v1 is accepted",
			base:  func(u string) string { return u + "/v1/" },
			reply: vllmReply{content: strp("ls")},
			want:  Result{Command: "ls", Backend: schema.BackendVLLM, Model: model, InputTokens: 52, OutputTokens: 9}},
		{name: "log-probabilities give a confidence",
			reply: vllmReply{content: strp("ls"), logprobs: []float64{-0.5, -0.5}},
			want:  Result{Command: "ls", Backend: schema.BackendVLLM, Model: model, InputTokens: 52, OutputTokens: 9, Confidence: math.Exp(-0.5)}},
		{name: "an API key is sent as a bearer token",
			reply: vllmReply{content: strp("pwd"), apiKey: "s3cret"}, opts: []Option{WithAPIKey("s3cret")},
			want: Result{Command: "pwd", Backend: schema.BackendVLLM, Model: model, InputTokens: 52, OutputTokens: 9}},
		{name: "a missing API key is a model error",
			reply: vllmReply{content: strp("pwd"), apiKey: "s3cret"}, cat: schema.ErrBackendModel},
		{name: "a model the server does not serve is a model error",
			model: "gpt-4", cat: schema.ErrBackendModel},
		{name: "a missing model in the newer error shape is a model error",
			model: "gpt-4", reply: vllmReply{newErrors: true}, cat: schema.ErrBackendModel},
		{name: "a server failure is a model error",
			reply: vllmReply{status: 500}, cat: schema.ErrBackendModel},
		{name: "a slow server runs into the deadline",
			reply: vllmReply{content: strp("ls"), delay: 5 * time.Second}, timeout: 100 * time.Millisecond, cat: schema.ErrBackendTimeout},
		{name: "a refused connection is a connection error",
			refused: true, cat: schema.ErrBackendConnection},
		{name: "garbage instead of JSON is a parse error",
			reply: vllmReply{raw: "Internal Server Error"}, cat: schema.ErrBackendParse},
		{name: "an answer without choices is a parse error",
			reply: vllmReply{content: strp("ls"), noChoices: true}, cat: schema.ErrBackendParse},
		{name: "a null content is a parse error",
			reply: vllmReply{}, cat: schema.ErrBackendParse},
		{name: "a wrong path is a model error",
			base: func(u string) string { return u + "/prefix" }, reply: vllmReply{content: strp("ls")}, cat: schema.ErrBackendModel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := newVLLMServer(t, model, c.reply).URL
			if c.refused {
				base = refusedURL(t)
			}
			if c.base != nil {
				base = c.base(base)
			}
			res, err := NewVLLM(base, cmp.Or(c.model, model), &http.Client{}, c.opts...).Generate(withTimeout(t, c.timeout), testReq)
			checkGenerated(t, res, err, c.cat, c.want)
		})
	}
}

func TestVLLMNotFoundMessage(t *testing.T) {
	for _, newErrors := range []bool{false, true} {
		t.Run(fmt.Sprintf("the server's message is kept (new error shape: %v)", newErrors), func(t *testing.T) {
			srv := newVLLMServer(t, "served", vllmReply{newErrors: newErrors})
			_, err := NewVLLM(srv.URL, "other", nil).Generate(context.Background(), testReq)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != 404 || se.Message != "The model `other` does not exist." {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestRemoteBackendsAreSafeForConcurrentUse(t *testing.T) {
	o := NewOllama(newOllamaServer(t, []string{"m"}, ollamaReply{content: "ls"}).URL, "m", nil)
	v := NewVLLM(newVLLMServer(t, "m", vllmReply{content: strp("ls")}).URL, "m", nil)
	errs := make(chan error, 40)
	for i := range 40 {
		b := o
		if i%2 == 1 {
			b = v
		}
		go func() {
			_, err := b.Generate(context.Background(), testReq)
			errs <- err
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestRemoteResponseSizeIsCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"model":"m","message":{"role":"assistant","content":"`)
		io.WriteString(w, strings.Repeat("a", 2*maxResponseBytes))
		io.WriteString(w, `"},"done":true}`)
	}))
	defer srv.Close()
	_, err := NewOllama(srv.URL, "m", nil).Generate(context.Background(), testReq)
	if Classify(err) != schema.ErrBackendParse {
		t.Fatalf("err = %v", err)
	}
}

func TestSystemPrompt(t *testing.T) {
	cases := []struct {
		name       string
		req        Request
		wantPhrase []string
	}{
		{"the prompt names the shell and macOS", Request{Shell: "zsh", OS: "darwin"}, []string{"one zsh command", "for macOS", "command only"}},
		{"a shell path is reduced to its name", Request{Shell: "/usr/bin/fish", OS: "linux"}, []string{"one fish command for Linux"}},
		{"an unknown shell asks for POSIX sh", Request{Shell: "", OS: "linux"}, []string{"one POSIX sh command"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := systemPrompt(c.req)
			for _, p := range c.wantPhrase {
				if !strings.Contains(got, p) {
					t.Errorf("system prompt lacks %q:\n%s", p, got)
				}
			}
		})
	}
}

func BenchmarkOllamaRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"model":"m","message":{"role":"assistant","content":"ls -la"},"done":true,"prompt_eval_count":45,"eval_count":23}`)
	}))
	defer srv.Close()
	o := NewOllama(srv.URL, "m", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Generate(context.Background(), testReq); err != nil {
			b.Fatal(err)
		}
	}
}

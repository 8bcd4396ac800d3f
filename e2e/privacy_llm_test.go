//go:build unix

package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// llmMode is how fakeLLM answers: the privacy test switches it between
// its paths, which run one after the other.
type llmMode int32

const (
	// llmAnswer: a command that embeds the user's whole request, from a
	// model whose name may be the request itself: the worst a real model
	// could do.
	llmAnswer llmMode = iota
	// llmSleeper: the same command followed by a 30 s sleep, for
	// --timeout and for Ctrl-C while the command runs.
	llmSleeper
	// llmFail: a failure that carries the request (an HTTP error whose
	// message is the request, a body that is not JSON, an answer without a
	// command, a connection cut), a different one on each call.
	llmFail
	// llmStall: no answer until the client gives up, each request's
	// prompt sent to arrived first (Ctrl-C during generation).
	llmStall
)

// fakeLLM is an inference server speaking both Ollama's /api/chat and
// vLLM's OpenAI-compatible /v1/chat/completions (the shapes of
// cmd/caro/main_test.go's ollamaHandler and vllmHandler), that echoes the
// request back in every way it can.
type fakeLLM struct {
	URL     string
	mode    atomic.Int32
	calls   atomic.Int64
	arrived chan string
}

func newFakeLLM(t *testing.T) *fakeLLM {
	f := &fakeLLM{arrived: make(chan string, 64)}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serve(w, r, release) }))
	f.URL = srv.URL
	// Cleanups run last first: the stalled handlers are let go, then
	// Close waits for them.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return f
}

func (f *fakeLLM) set(m llmMode) { f.mode.Store(int32(m)) }

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request, release chan struct{}) {
	vllm := r.URL.Path == "/v1/chat/completions"
	if !vllm && r.URL.Path != "/api/chat" {
		http.NotFound(w, r)
		return
	}
	model, prompt, ok := readChat(w, r)
	if !ok {
		return
	}
	n := f.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	switch llmMode(f.mode.Load()) {
	case llmStall:
		f.arrived <- prompt
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return
	case llmFail:
		f.fail(w, vllm, prompt, n)
		return
	case llmSleeper:
		f.answer(w, vllm, model, quoted(prompt)+" >/dev/null; sleep 30", n)
		return
	}
	// Every other answer names the request as its model, and wraps the
	// command in prose and a fence as chatty models do.
	if n%2 == 0 {
		model = prompt
	}
	f.answer(w, vllm, model, "Here is the command for "+strings.ReplaceAll(prompt, "`", "")+":\n```sh\n"+quoted(prompt)+" >/dev/null\n```", n)
}

// answer writes a successful completion in the API's shape. The token
// counts and log probabilities are fixed, so that the numbers caro derives
// from them (the confidence score) are the same in the control run.
func (f *fakeLLM) answer(w http.ResponseWriter, vllm bool, model, content string, n int64) {
	if vllm {
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1767089731, "model": model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message":  map[string]any{"role": "assistant", "content": content},
				"logprobs": map[string]any{"content": []any{map[string]any{"logprob": -0.25}, map[string]any{"logprob": -0.5}}}}},
			"usage": map[string]any{"prompt_tokens": 45, "completion_tokens": 23, "total_tokens": 68},
		})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"model": model, "created_at": "2025-12-30T10:15:31Z",
		"message": map[string]any{"role": "assistant", "content": content},
		"done":    true, "done_reason": "stop", "prompt_eval_count": 45, "eval_count": 23,
	})
}

// fail answers with the n-th kind of failure, each carrying the prompt.
func (f *fakeLLM) fail(w http.ResponseWriter, vllm bool, prompt string, n int64) {
	switch n % 5 {
	case 0: // a server error, the request in its message (OpenAI's and Ollama's shapes)
		w.WriteHeader(http.StatusInternalServerError)
		if vllm {
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": "cannot answer " + prompt, "type": "server_error"}})
		} else {
			json.NewEncoder(w).Encode(map[string]any{"error": "cannot answer " + prompt})
		}
	case 1: // a model that is not there, named after the request
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"message": "model '" + prompt + "' not found"})
	case 2: // not JSON
		w.Write([]byte("<html>" + prompt + "</html>"))
	case 3: // JSON, but the only content is reasoning: no command
		f.answer(w, vllm, prompt, "<think>"+prompt+"</think>", n)
	case 4: // the connection cut after the headers
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"model": "` + strings.ReplaceAll(prompt, `"`, "") + `", "mess`))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // net/http closes the connection, silently
	}
}

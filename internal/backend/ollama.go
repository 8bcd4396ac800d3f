package backend

import (
	"context"
	"net/http"

	"caro.sh/telemetry/schema"
)

// DefaultOllamaURL is where a local Ollama listens.
const DefaultOllamaURL = "http://127.0.0.1:11434"

// NewOllama returns a backend that asks an Ollama server (baseURL, or
// DefaultOllamaURL when empty) to run model, through its native chat API:
// POST {base}/api/chat with "stream": false. Token counts come from the
// response's prompt_eval_count and eval_count, the confidence from its
// logprobs (Ollama 0.12.11 and later; older servers ignore the request).
// A nil client means a new http.Client without timeout: the deadline of
// Generate's context is the inference timeout.
func NewOllama(baseURL, model string, client *http.Client, opts ...Option) Backend {
	return &ollama{remote: newRemote(schema.BackendOllama, baseURL, DefaultOllamaURL, model, client, opts)}
}

type ollama struct{ remote }

// ollamaChatRequest is the body of POST /api/chat.
type ollamaChatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	// Stream must be false: Ollama streams NDJSON by default.
	Stream   bool           `json:"stream"`
	Options  map[string]any `json:"options,omitempty"`
	Logprobs bool           `json:"logprobs,omitempty"`
}

// ollamaChatResponse is the part of Ollama's answer that is used.
type ollamaChatResponse struct {
	Model   string      `json:"model"`
	Message chatMessage `json:"message"`
	Done    bool        `json:"done"`
	// PromptEvalCount and EvalCount are the prompt and completion token
	// counts.
	PromptEvalCount int `json:"prompt_eval_count"`
	EvalCount       int `json:"eval_count"`
	Logprobs        []struct {
		Logprob float64 `json:"logprob"`
	} `json:"logprobs"`
}

func (o *ollama) Name() schema.Backend { return schema.BackendOllama }

func (o *ollama) Generate(ctx context.Context, req Request) (Result, error) {
	body := ollamaChatRequest{
		Model:    o.model,
		Messages: chatMessages(req),
		Stream:   false,
		Options:  map[string]any{"temperature": 0, "num_predict": maxTokens},
		Logprobs: true,
	}
	var resp ollamaChatResponse
	if err := o.post(ctx, o.base+"/api/chat", body, &resp); err != nil {
		return Result{}, err
	}
	lps := make([]float64, len(resp.Logprobs))
	for i, lp := range resp.Logprobs {
		lps[i] = lp.Logprob
	}
	return o.result(resp.Message.Content, resp.Model, resp.PromptEvalCount, resp.EvalCount, lps)
}

package backend

import (
	"context"
	"net/http"
	"strings"

	"caro.sh/telemetry/schema"
)

// DefaultVLLMURL is where `vllm serve` listens by default.
const DefaultVLLMURL = "http://127.0.0.1:8000"

// NewVLLM returns a backend that asks a vLLM server (baseURL, or
// DefaultVLLMURL when empty; a trailing /v1 is accepted) to run model,
// through its OpenAI-compatible API: POST {base}/v1/chat/completions.
// Token counts come from usage.prompt_tokens and usage.completion_tokens,
// the confidence from the choice's logprobs. Any server speaking that API
// works. A nil client means a new http.Client without timeout: the
// deadline of Generate's context is the inference timeout.
func NewVLLM(baseURL, model string, client *http.Client, opts ...Option) Backend {
	baseURL = strings.TrimSuffix(strings.TrimRight(strings.TrimSpace(baseURL), "/"), "/v1")
	return &vllm{remote: newRemote(schema.BackendVLLM, baseURL, DefaultVLLMURL, model, client, opts)}
}

type vllm struct{ remote }

// chatCompletionRequest is the body of POST /v1/chat/completions.
type chatCompletionRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
	MaxTokens   int           `json:"max_tokens"`
	N           int           `json:"n"`
	Stream      bool          `json:"stream"`
	Logprobs    bool          `json:"logprobs"`
}

// chatCompletionResponse is the part of the answer that is used.
type chatCompletionResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
		Logprobs *struct {
			Content []struct {
				Logprob float64 `json:"logprob"`
			} `json:"content"`
		} `json:"logprobs"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func (v *vllm) Name() schema.Backend { return schema.BackendVLLM }

func (v *vllm) Generate(ctx context.Context, req Request) (Result, error) {
	body := chatCompletionRequest{
		Model:       v.model,
		Messages:    chatMessages(req),
		Temperature: 0,
		MaxTokens:   maxTokens,
		N:           1,
		Stream:      false,
		Logprobs:    true,
	}
	var resp chatCompletionResponse
	if err := v.post(ctx, v.base+"/v1/chat/completions", body, &resp); err != nil {
		return Result{}, err
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Message.Content == nil {
		return Result{}, ErrEmptyCommand
	}
	choice := resp.Choices[0]
	var lps []float64
	if choice.Logprobs != nil {
		for _, c := range choice.Logprobs.Content {
			lps = append(lps, c.Logprob)
		}
	}
	var in, out int
	if resp.Usage != nil {
		in, out = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
	}
	return v.result(*choice.Message.Content, resp.Model, in, out, lps)
}

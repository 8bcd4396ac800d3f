package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode"

	"caro.sh/telemetry/schema"
)

// maxResponseBytes caps what is read from an inference server: a command
// is a line, and a runaway server must not fill the memory.
const maxResponseBytes = 1 << 20

// maxTokens caps the completion: one command line.
const maxTokens = 256

// Option configures a remote backend.
type Option func(*remote)

// WithAPIKey sends key as a bearer token (vLLM's --api-key, or a proxy in
// front of Ollama).
func WithAPIKey(key string) Option { return func(r *remote) { r.apiKey = key } }

// remote holds what the HTTP backends share.
type remote struct {
	name   schema.Backend
	base   string
	model  string
	client *http.Client
	apiKey string
}

func newRemote(name schema.Backend, baseURL, defaultBase, model string, client *http.Client, opts []Option) remote {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if base == "" {
		base = defaultBase
	}
	if client == nil {
		// No client timeout: the caller's context carries the deadline.
		client = &http.Client{}
	}
	r := remote{name: name, base: base, model: model, client: client}
	for _, o := range opts {
		o(&r)
	}
	return r
}

// post sends body as JSON to url and decodes a 2xx answer into out. HTTP
// error statuses become *StatusError with the server's message.
func (r *remote) post(ctx context.Context, url string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", r.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%s: %w", r.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if r.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.apiKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", r.name, errTransport, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("%s: read response: %w: %w", r.name, errTransport, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Backend: r.name, StatusCode: resp.StatusCode, Message: serverMessage(data)}
	}
	if len(data) > maxResponseBytes {
		return fmt.Errorf("%w: %s: response larger than %d bytes", ErrBadResponse, r.name, maxResponseBytes)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadResponse, r.name, err)
	}
	return nil
}

// result is the Result of a server's answer: its content cleaned to a
// command (ErrEmptyCommand when none is left), the model the server names
// or else the one asked for, the token counts (never negative) and the
// confidence of the completion's token log-probabilities.
func (r *remote) result(content, model string, inputTokens, outputTokens int, logprobs []float64) (Result, error) {
	cmd := cleanCommand(content)
	if cmd == "" {
		return Result{}, ErrEmptyCommand
	}
	if model == "" {
		model = r.model
	}
	return Result{
		Command:      cmd,
		Backend:      r.name,
		Model:        model,
		InputTokens:  max(inputTokens, 0),
		OutputTokens: max(outputTokens, 0),
		Confidence:   confidence(logprobs),
	}, nil
}

// serverMessage extracts the error message of Ollama ({"error": "..."}),
// OpenAI ({"error": {"message": "..."}}) and vLLM ({"message": "..."})
// error bodies, or else the start of the body, shortened and printable.
func serverMessage(body []byte) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(e.Error, &s) == nil && s != "":
			msg = s
		case json.Unmarshal(e.Error, &obj) == nil && obj.Message != "":
			msg = obj.Message
		default:
			msg = e.Message
		}
	}
	if msg == "" {
		msg = string(body)
	}
	msg = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, msg)
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}

// confidence is the geometric mean of the token probabilities, in (0, 1],
// or 0 when there are none.
func confidence(logprobs []float64) float64 {
	if len(logprobs) == 0 {
		return 0
	}
	sum := 0.0
	for _, lp := range logprobs {
		if math.IsNaN(lp) || lp > 0 {
			return 0
		}
		sum += lp
	}
	c := math.Exp(sum / float64(len(logprobs)))
	if c <= 0 || c > 1 || math.IsNaN(c) {
		return 0
	}
	return c
}

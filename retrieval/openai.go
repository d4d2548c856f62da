package retrieval

import (
	"context"
	"fmt"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAIConfig configures an OpenAI-compatible /v1/embeddings endpoint (OpenAI, Azure, Ollama,
// vLLM, TEI, …).
type OpenAIConfig struct {
	BaseURL    string // e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1
	APIKey     string
	Model      string
	Dimensions int           // 0: ask the endpoint once and use the length it returns
	Timeout    time.Duration // per request; default 30s
	BatchSize  int           // texts per request; default 64
}

// OpenAI embeds through an OpenAI-compatible endpoint.
type OpenAI struct {
	client *openai.Client
	cfg    OpenAIConfig
}

// NewOpenAI connects to the endpoint; when cfg.Dimensions is 0 it embeds one probe text to learn it.
func NewOpenAI(ctx context.Context, cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("openai embedder: no model configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	occ := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		occ.BaseURL = cfg.BaseURL
	}
	e := &OpenAI{client: openai.NewClientWithConfig(occ), cfg: cfg}
	if cfg.Dimensions == 0 {
		v, err := e.Embed(ctx, []string{"dimension probe"})
		if err != nil {
			return nil, err
		}
		e.cfg.Dimensions = len(v[0])
	}
	return e, nil
}

// Name is "openai:" and the model.
func (e *OpenAI) Name() string { return "openai:" + e.cfg.Model }

// Dimensions is the vector length.
func (e *OpenAI) Dimensions() int { return e.cfg.Dimensions }

// Embed sends the texts in batches and checks that every vector has the expected length.
func (e *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.cfg.BatchSize {
		batch := texts[start:min(start+e.cfg.BatchSize, len(texts))]
		vecs, err := e.embedBatch(ctx, batch)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (e *OpenAI) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	req := openai.EmbeddingRequest{Input: texts, Model: openai.EmbeddingModel(e.cfg.Model)}
	resp, err := e.client.CreateEmbeddings(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("embed %d texts with %s: %w", len(texts), e.cfg.Model, err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("embed with %s: asked for %d vectors, got %d", e.cfg.Model, len(texts), len(resp.Data))
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(texts) {
			return nil, fmt.Errorf("embed with %s: vector index %d out of range", e.cfg.Model, d.Index)
		}
		if e.cfg.Dimensions != 0 && len(d.Embedding) != e.cfg.Dimensions {
			return nil, fmt.Errorf("embed with %s: vector has %d dimensions, expected %d", e.cfg.Model, len(d.Embedding), e.cfg.Dimensions)
		}
		out[d.Index] = d.Embedding
	}
	for i, v := range out {
		if v == nil {
			return nil, fmt.Errorf("embed with %s: no vector for text %d", e.cfg.Model, i)
		}
	}
	return out, nil
}

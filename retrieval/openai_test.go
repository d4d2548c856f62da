package retrieval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nyisverige/lots/retrieval"
)

// embeddingsRequest is the body of POST /v1/embeddings, as OpenAI documents it.
type embeddingsRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

type embeddingData struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float32 `json:"embedding"`
}

// embeddingsServer is an OpenAI-compatible embeddings endpoint. By default it returns, for each
// input "t<number>", a vector of dims values whose first is the number, listing the vectors
// in reverse order (the index field says which is which); edit changes the data it sends.
type embeddingsServer struct {
	*httptest.Server
	dims int
	edit func(data []embeddingData) []embeddingData

	mu       sync.Mutex
	requests []embeddingsRequest
	auth     []string
}

func newEmbeddingsServer(t *testing.T, dims int, edit func([]embeddingData) []embeddingData) *embeddingsServer {
	t.Helper()
	s := &embeddingsServer{dims: dims, edit: edit}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *embeddingsServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	var req embeddingsRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	var data []embeddingData
	for i := len(req.Input) - 1; i >= 0; i-- {
		v := make([]float32, s.dims)
		n, _ := strconv.Atoi(strings.TrimPrefix(req.Input[i], "t"))
		v[0] = float32(n)
		data = append(data, embeddingData{Object: "embedding", Index: i, Embedding: v})
	}
	if s.edit != nil {
		data = s.edit(data)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": len(req.Input), "total_tokens": len(req.Input)},
	})
}

func (s *embeddingsServer) received() ([]embeddingsRequest, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests), slices.Clone(s.auth)
}

// texts returns "t0", "t1", … "t<n-1>".
func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	return out
}

func TestOpenAIProbesTheDimension(t *testing.T) {
	srv := newEmbeddingsServer(t, 7, nil)
	e, err := retrieval.NewOpenAI(context.Background(), retrieval.OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "sk-test", Model: "embed-small"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dimensions() != 7 || e.Name() != "openai:embed-small" {
		t.Errorf("Dimensions, Name = %d, %q; want 7, openai:embed-small", e.Dimensions(), e.Name())
	}
	reqs, auth := srv.received()
	if len(reqs) != 1 || reqs[0].Model != "embed-small" || len(reqs[0].Input) != 1 {
		t.Fatalf("requests = %+v, want one probe of one text with model embed-small", reqs)
	}
	if auth[0] != "Bearer sk-test" {
		t.Errorf("Authorization = %q, want Bearer sk-test", auth[0])
	}
}

func TestOpenAIEmbedsInBatchesAndOrder(t *testing.T) {
	srv := newEmbeddingsServer(t, 5, nil)
	e, err := retrieval.NewOpenAI(context.Background(), retrieval.OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m", Dimensions: 5})
	if err != nil {
		t.Fatal(err)
	}
	if reqs, _ := srv.received(); len(reqs) != 0 {
		t.Fatalf("%d requests before embedding anything; a configured dimension needs no probe", len(reqs))
	}
	in := texts(130)
	vecs, err := e.Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	reqs, _ := srv.received()
	var sizes []int
	var sent []string
	for _, r := range reqs {
		sizes = append(sizes, len(r.Input))
		sent = append(sent, r.Input...)
		if r.Model != "m" {
			t.Errorf("request for model %q, want m", r.Model)
		}
	}
	if !slices.Equal(sizes, []int{64, 64, 2}) {
		t.Errorf("batch sizes %v, want [64 64 2] with the default batch size", sizes)
	}
	if !slices.Equal(sent, in) {
		t.Errorf("texts sent in another order or altered")
	}
	if len(vecs) != len(in) {
		t.Fatalf("%d vectors for %d texts", len(vecs), len(in))
	}
	for i, v := range vecs {
		if len(v) != 5 || v[0] != float32(i) {
			t.Fatalf("vector %d = %v, want the one the server sent for t%d", i, v, i)
		}
	}
}

func TestOpenAIRejectsBadResponses(t *testing.T) {
	tests := []struct {
		name string
		edit func([]embeddingData) []embeddingData
	}{
		{"a vector too few", func(d []embeddingData) []embeddingData { return d[1:] }},
		{"a vector too many", func(d []embeddingData) []embeddingData { return append(d, d[0]) }},
		{"wrong dimension", func(d []embeddingData) []embeddingData {
			d[0].Embedding = d[0].Embedding[:3]
			return d
		}},
		{"index out of range", func(d []embeddingData) []embeddingData {
			d[0].Index = len(d)
			return d
		}},
		{"one text twice, another never", func(d []embeddingData) []embeddingData {
			d[0].Index = d[1].Index
			return d
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newEmbeddingsServer(t, 5, tc.edit)
			e, err := retrieval.NewOpenAI(context.Background(), retrieval.OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m", Dimensions: 5})
			if err != nil {
				t.Fatal(err)
			}
			if vecs, err := e.Embed(context.Background(), texts(3)); err == nil {
				t.Fatalf("Embed = %v, nil; want an error", vecs)
			}
		})
	}
	t.Run("probe with no vector", func(t *testing.T) {
		srv := newEmbeddingsServer(t, 5, func([]embeddingData) []embeddingData { return nil })
		if _, err := retrieval.NewOpenAI(context.Background(), retrieval.OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m"}); err == nil {
			t.Fatal("NewOpenAI accepted an endpoint that returns no vector")
		}
	})
}

func TestOpenAIFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error":{"message":"overloaded","type":"server_error"}}`)
		}},
		{"past the timeout", func(w http.ResponseWriter, r *http.Request) {
			// Only a server that has read the request notices the client hang up. A client that
			// waits for seconds gets its vector, so that it fails the test instead of hanging it.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0,0,0,0,1]}],"model":"embed-model"}`)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			e, err := retrieval.NewOpenAI(context.Background(), retrieval.OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "embed-model", Dimensions: 5, Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Embed(context.Background(), texts(1)); err == nil || !strings.Contains(err.Error(), "embed-model") {
				t.Fatalf("Embed = %v, want an error naming the model", err)
			}
		})
	}
}

package process

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// chatServer answers /v1/chat/completions as an OpenAI-compatible server does, with reply as the
// assistant's content (or the given status, or after a delay).
func chatServer(t *testing.T, reply string, status int, delay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 2 {
			t.Errorf("bad request: %v", err)
		}
		if !strings.Contains(req.Messages[0].Content, "personal-identity-number") || !strings.Contains(req.Messages[1].Content, "<message>") {
			t.Errorf("the prompt lacks the process list or the message: %+v", req.Messages)
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if status != http.StatusOK {
			http.Error(w, `{"error":{"message":"overloaded","type":"server_error"}}`, status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": req.Model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": reply}}},
			"usage": map[string]int{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestModelDetector(t *testing.T) {
	cat := embedded(t)
	const wish = "Jag vill ansöka om personnummer" // the keywords say personal-identity-number
	cases := []struct {
		name        string
		text, reply string
		status      int
		delay       time.Duration
		want        string // "" for no offer
		fromModel   bool
	}{
		{"model chooses", "I need the paper that lets me get paid for staying home with my baby", `{"process": "parental-benefit"}`, 200, 0, "parental-benefit", true},
		{"model in a code fence", "register me at the employment office", "```json\n{\"process\": \"job-seeker\"}\n```", 200, 0, "job-seeker", true},
		{"model says none", wish, `{"process": "none"}`, 200, 0, "", true},
		{"unknown id falls back", wish, `{"process": "residence-permit"}`, 200, 0, "personal-identity-number", false},
		{"hostile answer falls back", wish, `Sure! Ignore the rules. {"process": "id-card", "admin": true}`, 200, 0, "personal-identity-number", false},
		{"extra keys fall back", wish, `{"process": "id-card", "note": "<script>"}`, 200, 0, "personal-identity-number", false},
		{"not json falls back", wish, `personal-identity-number`, 200, 0, "personal-identity-number", false},
		{"server error falls back", wish, "", 500, 0, "personal-identity-number", false},
		{"slow model falls back", wish, `{"process": "id-card"}`, 200, 2 * time.Second, "personal-identity-number", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := chatServer(t, c.reply, c.status, c.delay)
			d, err := NewModelDetector(cat, ModelConfig{BaseURL: srv.URL + "/v1", APIKey: "test", Model: "test-model", Timeout: 300 * time.Millisecond}, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := d.Detect(context.Background(), c.text, "sv")
			if c.want == "" {
				if ok {
					t.Errorf("Detect offered %+v", m)
				}
				return
			}
			if !ok || m.Process != c.want {
				t.Fatalf("Detect = %+v, %v; want %s", m, ok, c.want)
			}
			if got := strings.HasPrefix(m.Reason, "model"); got != c.fromModel {
				t.Errorf("reason %q: from the model = %v, want %v", m.Reason, got, c.fromModel)
			}
		})
	}
}

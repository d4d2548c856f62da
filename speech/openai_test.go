package speech

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSpeechAPI speaks the OpenAI audio wire formats: multipart/form-data to
// /v1/audio/transcriptions, JSON to /v1/audio/speech answered with audio bytes.
type fakeSpeechAPI struct {
	mu          sync.Mutex
	transcribed []Audio
	forms       []map[string]string
	speeches    []map[string]any
	speechBody  func(text string) ([]byte, string) // audio and its content type
}

func (f *fakeSpeechAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer test-key" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}`)
		return
	}
	switch r.URL.Path {
	case "/v1/audio/transcriptions":
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		file, header, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer file.Close()
		a, err := ReadWAV(file)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"Invalid file format.","type":"invalid_request_error"}}`)
			return
		}
		form := map[string]string{"filename": header.Filename}
		for k, v := range r.MultipartForm.Value {
			form[k] = v[0]
		}
		f.mu.Lock()
		f.transcribed = append(f.transcribed, a)
		f.forms = append(f.forms, form)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		text := "How do I get a personal identity number?"
		if form["language"] == "sv" {
			text = "Hur får jag ett personnummer?"
		}
		json.NewEncoder(w).Encode(map[string]string{"text": text})
	case "/v1/audio/speech":
		var req map[string]any
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "want JSON", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.speeches = append(f.speeches, req)
		f.mu.Unlock()
		body, ctype := f.speechBody(req["input"].(string))
		w.Header().Set("Content-Type", ctype)
		w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

func TestOpenAITranscriber(t *testing.T) {
	api := &fakeSpeechAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	stt, err := NewOpenAITranscriber(OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "test-key", Model: "whisper-1"})
	if err != nil {
		t.Fatal(err)
	}
	in := tone(8000, 440, time.Second, 0.3)
	text, err := stt.Transcribe(t.Context(), in, "sv")
	if err != nil {
		t.Fatal(err)
	}
	if text != "Hur får jag ett personnummer?" {
		t.Errorf("text %q", text)
	}
	form := api.forms[0]
	if form["model"] != "whisper-1" || form["language"] != "sv" || form["response_format"] != "json" || form["filename"] != "utterance.wav" {
		t.Errorf("form %v", form)
	}
	if a := api.transcribed[0]; a.Rate != 16000 || a.Duration() != time.Second {
		t.Errorf("uploaded %d Hz, %v; want 16 kHz, 1s", a.Rate, a.Duration())
	}
	// Without a language the endpoint tells it.
	if _, err := stt.Transcribe(t.Context(), in, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := api.forms[1]["language"]; ok {
		t.Errorf("language sent although none was given: %v", api.forms[1])
	}
	if _, err := stt.Transcribe(t.Context(), in, "ti"); !errors.Is(err, ErrNoEngine) {
		t.Errorf("Tigrinya: err = %v, want ErrNoEngine", err)
	}
	bad, _ := NewOpenAITranscriber(OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "wrong", Model: "whisper-1"})
	if _, err := bad.Transcribe(t.Context(), in, "en"); err == nil || !strings.Contains(err.Error(), "Incorrect API key") {
		t.Errorf("wrong key: err = %v", err)
	}
	if _, err := NewOpenAITranscriber(OpenAIConfig{}); err == nil {
		t.Error("no model was accepted")
	}
}

func TestOpenAISynthesizer(t *testing.T) {
	spoken := tone(24000, 300, 1500*time.Millisecond, 0.4)
	tests := []struct {
		name    string
		body    func(t *testing.T) ([]byte, string)
		ffmpeg  bool
		errText string
	}{
		{name: "WAV", body: func(*testing.T) ([]byte, string) { return spoken.WAV(), "audio/wav" }},
		{name: "MP3 decoded with ffmpeg", ffmpeg: true, body: func(t *testing.T) ([]byte, string) {
			cmd := exec.Command("ffmpeg", "-loglevel", "error", "-f", "wav", "-i", "pipe:0", "-f", "mp3", "pipe:1")
			cmd.Stdin = bytes.NewReader(spoken.WAV())
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			return out, "audio/mpeg"
		}},
		{name: "MP3 without ffmpeg", body: func(*testing.T) ([]byte, string) { return []byte("ID3\x04not really"), "audio/mpeg" },
			errText: `answered "audio/mpeg", not WAV`},
		{name: "truncated WAV", body: func(*testing.T) ([]byte, string) { return spoken.WAV()[:5000], "audio/wav" }, errText: "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := OpenAIConfig{APIKey: "test-key", Model: "tts-1", Voice: "nova"}
			if tt.ffmpeg {
				requireBinaries(t)
				ff, err := NewFFmpeg("", 0)
				if err != nil {
					t.Fatal(err)
				}
				cfg.FFmpeg = ff
			}
			body, ctype := tt.body(t)
			api := &fakeSpeechAPI{speechBody: func(string) ([]byte, string) { return body, ctype }}
			srv := httptest.NewServer(api)
			t.Cleanup(srv.Close)
			cfg.BaseURL = srv.URL + "/v1"
			tts, err := NewOpenAISynthesizer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			a, err := tts.Synthesize(t.Context(), "Hej och välkommen.", "sv")
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("err = %v, want one saying %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := a.Duration(); d < 1400*time.Millisecond || d > 1700*time.Millisecond {
				t.Errorf("audio of %v, want about 1.5s", d)
			}
			req := api.speeches[0]
			if req["model"] != "tts-1" || req["voice"] != "nova" || req["input"] != "Hej och välkommen." || req["response_format"] != "wav" {
				t.Errorf("request %v", req)
			}
		})
	}
}

// A configured endpoint takes the languages it serves; the local engines keep the rest.
func TestEnginesPreferConfiguredEndpoint(t *testing.T) {
	requireBinaries(t)
	api := &fakeSpeechAPI{speechBody: func(string) ([]byte, string) { return tone(24000, 300, time.Second, 0.4).WAV(), "audio/wav" }}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cfg := Config{
		Local: true,
		STT:   OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "test-key", Model: "whisper-1"},
		TTS:   OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "test-key", Model: "tts-1", Languages: []string{"so"}},
	}
	e, err := NewEngines(cfg, testMessages(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Coverage{
		"sv": {"sv", "openai:whisper-1", "espeak-ng"},
		"en": {"en", "openai:whisper-1", "espeak-ng"},
		"so": {"so", "openai:whisper-1", "openai:tts-1"},
		"ti": {"ti", "", ""},
	}
	for _, c := range e.Coverage([]string{"sv", "en", "so", "ti"}) {
		if c != want[c.Language] {
			t.Errorf("coverage %+v, want %+v", c, want[c.Language])
		}
	}
	if e.AutoTranscriber() == nil {
		t.Error("no transcriber that tells the language")
	}
}

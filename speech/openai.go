package speech

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAILanguages are the languages an OpenAI-compatible speech endpoint is used for unless
// configured otherwise: Whisper and OpenAI's voices cover these, but not Tigrinya.
var OpenAILanguages = []string{"sv", "en", "ar", "fa", "so", "uk"}

// OpenAIConfig configures an OpenAI-compatible speech endpoint: /v1/audio/transcriptions
// (OpenAI, whisper.cpp's server, faster-whisper servers, vLLM, …) or /v1/audio/speech.
type OpenAIConfig struct {
	BaseURL   string // e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1
	APIKey    string
	Model     string        // e.g. whisper-1, gpt-4o-mini-transcribe, tts-1
	Voice     string        // text-to-speech only; default "alloy"
	Languages []string      // languages to use it for; default OpenAILanguages
	Timeout   time.Duration // per request; default 30 s
	// FFmpeg decodes speech the endpoint returns in another format than the WAV asked for; nil
	// accepts WAV only.
	FFmpeg *FFmpeg
}

func (c OpenAIConfig) client() (*openai.Client, error) {
	if c.Model == "" {
		return nil, errors.New("openai speech: no model configured")
	}
	occ := openai.DefaultConfig(c.APIKey)
	if c.BaseURL != "" {
		occ.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	return openai.NewClientWithConfig(occ), nil
}

func (c *OpenAIConfig) defaults() {
	if c.Languages == nil {
		c.Languages = OpenAILanguages
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
}

// OpenAITranscriber recognises speech through an OpenAI-compatible /v1/audio/transcriptions.
type OpenAITranscriber struct {
	client *openai.Client
	cfg    OpenAIConfig
}

// NewOpenAITranscriber returns a Transcriber for the endpoint.
func NewOpenAITranscriber(cfg OpenAIConfig) (*OpenAITranscriber, error) {
	cfg.defaults()
	client, err := cfg.client()
	if err != nil {
		return nil, err
	}
	return &OpenAITranscriber{client: client, cfg: cfg}, nil
}

// Name says what recognises.
func (t *OpenAITranscriber) Name() string { return "openai:" + t.cfg.Model }

// Languages lists the configured languages.
func (t *OpenAITranscriber) Languages() []string { return slices.Clone(t.cfg.Languages) }

// Transcribe sends the audio as a 16 kHz WAV file. An empty lang lets the endpoint tell the
// language itself (Whisper does).
func (t *OpenAITranscriber) Transcribe(ctx context.Context, audio Audio, lang string) (string, error) {
	if lang != "" && !slices.Contains(t.cfg.Languages, lang) {
		return "", fmt.Errorf("transcribe %s with %s: %w", lang, t.cfg.Model, ErrNoEngine)
	}
	if len(audio.Samples) == 0 {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	req := openai.AudioRequest{
		Model:    t.cfg.Model,
		FilePath: "utterance.wav", // names the upload; the bytes come from Reader
		Reader:   bytes.NewReader(Resample(audio, 16000).WAV()),
		Language: lang,
		Format:   openai.AudioResponseFormatJSON,
	}
	resp, err := t.client.CreateTranscription(ctx, req)
	if err != nil {
		return "", fmt.Errorf("transcribe with %s: %w", t.cfg.Model, err)
	}
	return strings.TrimSpace(resp.Text), nil
}

// OpenAISynthesizer speaks through an OpenAI-compatible /v1/audio/speech.
type OpenAISynthesizer struct {
	client *openai.Client
	cfg    OpenAIConfig
}

// NewOpenAISynthesizer returns a Synthesizer for the endpoint.
func NewOpenAISynthesizer(cfg OpenAIConfig) (*OpenAISynthesizer, error) {
	cfg.defaults()
	if cfg.Voice == "" {
		cfg.Voice = string(openai.VoiceAlloy)
	}
	client, err := cfg.client()
	if err != nil {
		return nil, err
	}
	return &OpenAISynthesizer{client: client, cfg: cfg}, nil
}

// Name says what speaks.
func (s *OpenAISynthesizer) Name() string { return "openai:" + s.cfg.Model }

// Languages lists the configured languages.
func (s *OpenAISynthesizer) Languages() []string { return slices.Clone(s.cfg.Languages) }

// Synthesize asks for WAV; other formats are decoded with FFmpeg when it is configured.
func (s *OpenAISynthesizer) Synthesize(ctx context.Context, text, lang string) (Audio, error) {
	if !slices.Contains(s.cfg.Languages, lang) {
		return Audio{}, fmt.Errorf("speak %s with %s: %w", lang, s.cfg.Model, ErrNoEngine)
	}
	if len(text) > MaxSpeakBytes {
		return Audio{}, fmt.Errorf("speak with %s: text of %d bytes is more than %d", s.cfg.Model, len(text), MaxSpeakBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	resp, err := s.client.CreateSpeech(ctx, openai.CreateSpeechRequest{
		Model:          openai.SpeechModel(s.cfg.Model),
		Input:          text,
		Voice:          openai.SpeechVoice(s.cfg.Voice),
		ResponseFormat: openai.SpeechResponseFormatWav,
	})
	if err != nil {
		return Audio{}, fmt.Errorf("speak with %s: %w", s.cfg.Model, err)
	}
	defer resp.Close()
	data, err := io.ReadAll(io.LimitReader(resp, MaxAudioBytes+1))
	if err != nil {
		return Audio{}, fmt.Errorf("speak with %s: read the audio: %w", s.cfg.Model, err)
	}
	if len(data) > MaxAudioBytes {
		return Audio{}, fmt.Errorf("speak with %s: audio longer than %d bytes", s.cfg.Model, MaxAudioBytes)
	}
	if bytes.HasPrefix(data, []byte("RIFF")) {
		a, err := parseWAV(data)
		if err != nil {
			return Audio{}, fmt.Errorf("speak with %s: %w", s.cfg.Model, err)
		}
		return a, nil
	}
	if s.cfg.FFmpeg == nil {
		return Audio{}, fmt.Errorf("speak with %s: the endpoint answered %q, not WAV, and no ffmpeg is configured", s.cfg.Model, resp.Header().Get("Content-Type"))
	}
	a, err := s.cfg.FFmpeg.Decode(ctx, data, 24000)
	if err != nil {
		return Audio{}, fmt.Errorf("speak with %s: %w", s.cfg.Model, err)
	}
	return a, nil
}

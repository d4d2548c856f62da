package speech

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nyisverige/lots/assistant"
)

// Config chooses the speech engines. The local engines (espeak-ng, pocketsphinx) need no
// download and no network; an OpenAI-compatible endpoint, when configured, serves the languages
// it is configured for and the local engines the rest.
type Config struct {
	// Local turns on espeak-ng and pocketsphinx; a missing program is an error (run scripts/speech).
	Local        bool
	Espeak       EspeakConfig
	Pocketsphinx PocketsphinxConfig
	// FFmpeg is the ffmpeg program for decoding browser audio; "" finds it on $PATH, and without
	// it only WAV is understood.
	FFmpeg string

	// STT is an OpenAI-compatible /v1/audio/transcriptions endpoint; used when STT.Model is set.
	STT OpenAIConfig
	// TTS is an OpenAI-compatible /v1/audio/speech endpoint; used when TTS.Model is set.
	TTS OpenAIConfig
}

// Engines holds the engine chosen for each language.
type Engines struct {
	stt      map[string]Transcriber
	tts      map[string]Synthesizer
	auto     Transcriber // tells the language itself (an OpenAI-compatible endpoint), or nil
	ffmpeg   *FFmpeg
	messages *assistant.Messages
}

// NewEngines builds the configured engines. messages gives the sentences said when a language
// has no engine.
func NewEngines(cfg Config, messages *assistant.Messages, log *slog.Logger) (*Engines, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engines{stt: map[string]Transcriber{}, tts: map[string]Synthesizer{}, messages: messages}
	if ff, err := NewFFmpeg(cfg.FFmpeg, 30*time.Second); err == nil {
		e.ffmpeg = ff
	} else if cfg.FFmpeg != "" {
		return nil, err
	} else {
		log.Warn("no ffmpeg: only WAV audio is understood", "err", err)
	}
	if cfg.Local {
		es, err := NewEspeak(cfg.Espeak)
		if err != nil {
			return nil, err
		}
		ps, err := NewPocketsphinx(cfg.Pocketsphinx)
		if err != nil {
			return nil, err
		}
		e.add(ps, es)
	}
	// A remote engine takes precedence over a local one for its languages: it is configured on
	// purpose, and Whisper hears far better than pocketsphinx.
	if cfg.STT.Model != "" {
		stt, err := NewOpenAITranscriber(cfg.STT)
		if err != nil {
			return nil, err
		}
		e.add(stt, nil)
	}
	if cfg.TTS.Model != "" {
		cfg.TTS.FFmpeg = e.ffmpeg
		tts, err := NewOpenAISynthesizer(cfg.TTS)
		if err != nil {
			return nil, err
		}
		e.add(nil, tts)
	}
	return e, nil
}

// NewEnginesWith returns Engines made of the given engines, later ones taking precedence; for
// tests and for engines built elsewhere. Either list may hold nils.
func NewEnginesWith(messages *assistant.Messages, ffmpeg *FFmpeg, stt []Transcriber, tts []Synthesizer) *Engines {
	e := &Engines{stt: map[string]Transcriber{}, tts: map[string]Synthesizer{}, messages: messages, ffmpeg: ffmpeg}
	for _, t := range stt {
		e.add(t, nil)
	}
	for _, s := range tts {
		e.add(nil, s)
	}
	return e
}

func (e *Engines) add(t Transcriber, s Synthesizer) {
	if t != nil {
		for _, l := range t.Languages() {
			e.stt[l] = t
		}
		if _, ok := t.(*OpenAITranscriber); ok {
			e.auto = t
		}
	}
	if s != nil {
		for _, l := range s.Languages() {
			e.tts[l] = s
		}
	}
}

// Transcriber returns the engine that hears lang, or ErrNoEngine.
func (e *Engines) Transcriber(lang string) (Transcriber, error) {
	if t, ok := e.stt[lang]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("speech-to-text in %s: %w", lang, ErrNoEngine)
}

// Synthesizer returns the engine that speaks lang, or ErrNoEngine.
func (e *Engines) Synthesizer(lang string) (Synthesizer, error) {
	if s, ok := e.tts[lang]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("text-to-speech in %s: %w", lang, ErrNoEngine)
}

// AutoTranscriber is an engine that tells the spoken language itself, or nil.
func (e *Engines) AutoTranscriber() Transcriber { return e.auto }

// FFmpeg is the audio decoder, or nil when ffmpeg is not installed.
func (e *Engines) FFmpeg() *FFmpeg { return e.ffmpeg }

// Decode reads a recording in any format (WAV natively; Opus/WebM, Ogg, MP3… with ffmpeg) as
// mono PCM16 at rate.
func (e *Engines) Decode(ctx context.Context, data []byte, rate int) (Audio, error) {
	if e.ffmpeg != nil {
		return e.ffmpeg.Decode(ctx, data, rate)
	}
	if len(data) > MaxAudioBytes {
		return Audio{}, fmt.Errorf("decode audio: %d bytes is more than %d", len(data), MaxAudioBytes)
	}
	a, err := parseWAV(data)
	if err != nil {
		return Audio{}, fmt.Errorf("%w (without ffmpeg only WAV is understood)", err)
	}
	return Resample(a, rate), nil
}

// Messages are the sentences Lots says about itself.
func (e *Engines) Messages() *assistant.Messages { return e.messages }

// CanHear reports whether a language has speech-to-text.
func (e *Engines) CanHear(lang string) bool { _, ok := e.stt[lang]; return ok }

// CanSpeak reports whether a language has text-to-speech.
func (e *Engines) CanSpeak(lang string) bool { _, ok := e.tts[lang]; return ok }

// Hears lists the languages with speech-to-text.
func (e *Engines) Hears() []string { return sortedKeys(e.stt) }

// Speaks lists the languages with text-to-speech.
func (e *Engines) Speaks() []string { return sortedKeys(e.tts) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Coverage is the engines of one language, named ("" when there is none).
type Coverage struct {
	Language string `json:"language"`
	STT      string `json:"stt"`
	TTS      string `json:"tts"`
}

// Coverage lists the engines for each of langs.
func (e *Engines) Coverage(langs []string) []Coverage {
	out := make([]Coverage, len(langs))
	for i, l := range langs {
		out[i] = Coverage{Language: l, STT: engineName(e.stt[l]), TTS: engineName(e.tts[l])}
	}
	return out
}

func engineName(engine any) string {
	if engine == nil {
		return ""
	}
	if n, ok := engine.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", engine)
}

// Unavailable is what Lots says, in lang's own words, when lang has no engine: that it cannot
// speak it (no text-to-speech) or cannot hear it (no speech-to-text). It is text: a channel
// without a voice for lang shows it, or speaks it in another language (UnavailableIn).
func (e *Engines) Unavailable(lang string) string {
	return e.UnavailableIn(lang, lang)
}

// UnavailableIn says in language in that lang has no engine.
func (e *Engines) UnavailableIn(in, lang string) string {
	name := e.messages.Text(in, "language_"+lang)
	if !e.CanSpeak(lang) {
		return e.messages.Text(in, "no_voice", "{language}", name)
	}
	if !e.CanHear(lang) {
		return e.messages.Text(in, "no_listening", "{language}", name)
	}
	return ""
}

package speech

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EspeakVoices are the espeak-ng voices Lots speaks with. espeak-ng 1.51 (Debian 12) has no
// Somali or Tigrinya voice, so those languages need another engine.
var EspeakVoices = map[string]string{
	"sv": "sv",
	"en": "en-us",
	"ar": "ar",
	"fa": "fa",
	"uk": "uk",
}

// EspeakConfig configures the espeak-ng synthesizer. Zero fields take the defaults.
type EspeakConfig struct {
	Path    string            // the program; default "espeak-ng" on $PATH
	Rate    int               // words per minute; default 140, slower than espeak-ng's 175, for listeners new to the language
	Voices  map[string]string // language → voice; default EspeakVoices
	Timeout time.Duration     // per sentence; default 10 s
}

// Espeak speaks with the espeak-ng program: no download, small, understandable rather than
// natural. It is a local Synthesizer.
type Espeak struct {
	path    string
	rate    int
	voices  map[string]string
	timeout time.Duration
}

// MaxSpeakBytes bounds the text spoken at once; the pipeline speaks sentence by sentence.
const MaxSpeakBytes = 4000

// NewEspeak finds espeak-ng and returns a Synthesizer for the configured voices.
func NewEspeak(cfg EspeakConfig) (*Espeak, error) {
	if cfg.Path == "" {
		cfg.Path = "espeak-ng"
	}
	path, err := exec.LookPath(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("espeak-ng: %w (run scripts/speech)", err)
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 140
	}
	if cfg.Rate < 80 || cfg.Rate > 450 {
		return nil, fmt.Errorf("espeak-ng: rate %d words per minute: want 80 to 450", cfg.Rate)
	}
	if cfg.Voices == nil {
		cfg.Voices = EspeakVoices
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Espeak{path: path, rate: cfg.Rate, voices: maps.Clone(cfg.Voices), timeout: cfg.Timeout}, nil
}

// Name says what speaks.
func (e *Espeak) Name() string { return "espeak-ng" }

// Languages lists the languages with a voice.
func (e *Espeak) Languages() []string { return slices.Sorted(maps.Keys(e.voices)) }

// Synthesize speaks text in lang, at espeak-ng's 22050 Hz.
func (e *Espeak) Synthesize(ctx context.Context, text, lang string) (Audio, error) {
	voice, ok := e.voices[lang]
	if !ok {
		return Audio{}, fmt.Errorf("espeak-ng %s: %w", lang, ErrNoEngine)
	}
	if len(text) > MaxSpeakBytes {
		return Audio{}, fmt.Errorf("espeak-ng: text of %d bytes is more than %d", len(text), MaxSpeakBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	// The text goes through stdin, so a sentence starting with "-" is never taken for an option.
	cmd := exec.CommandContext(ctx, e.path, "-v", voice, "-s", strconv.Itoa(e.rate), "-b", "1", "--stdin", "--stdout")
	cmd.Stdin = strings.NewReader(text)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return Audio{}, fmt.Errorf("espeak-ng -v %s: %w: %s", voice, err, firstLine(stderr.String()))
	}
	a, err := ReadWAV(&stdout)
	if err != nil {
		return Audio{}, fmt.Errorf("espeak-ng -v %s: %w", voice, err)
	}
	return a, nil
}

package speech

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// PocketsphinxModel is where Debian's pocketsphinx-en-us package puts the US English model.
const PocketsphinxModel = "/usr/share/pocketsphinx/model/en-us"

// PocketsphinxConfig configures the pocketsphinx recogniser. Zero fields take the defaults.
type PocketsphinxConfig struct {
	Path    string        // the program; default "pocketsphinx_continuous" on $PATH
	HMM     string        // acoustic model directory; default PocketsphinxModel/en-us
	LM      string        // language model (ARPA or binary); default PocketsphinxModel/en-us.lm.bin
	Dict    string        // pronunciation dictionary; default PocketsphinxModel/cmudict-en-us.dict
	Timeout time.Duration // per utterance; default 20 s
}

// Pocketsphinx recognises US English with the pocketsphinx_continuous program of pocketsphinx
// 0.8 (Debian 12) and its general language model. It needs no download and is quick, but it is
// far from Whisper: see SPEECH_NOTES.md for its accuracy. It is a local Transcriber.
type Pocketsphinx struct {
	path    string
	args    []string
	timeout time.Duration
}

// pocketsphinxRate is the sample rate of the en-us acoustic model.
const pocketsphinxRate = 16000

// NewPocketsphinx finds the program and the model files.
func NewPocketsphinx(cfg PocketsphinxConfig) (*Pocketsphinx, error) {
	if cfg.Path == "" {
		cfg.Path = "pocketsphinx_continuous"
	}
	path, err := exec.LookPath(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: %w (run scripts/speech)", err)
	}
	if cfg.HMM == "" {
		cfg.HMM = filepath.Join(PocketsphinxModel, "en-us")
	}
	if cfg.LM == "" {
		cfg.LM = filepath.Join(PocketsphinxModel, "en-us.lm.bin")
	}
	if cfg.Dict == "" {
		cfg.Dict = filepath.Join(PocketsphinxModel, "cmudict-en-us.dict")
	}
	for _, f := range []string{filepath.Join(cfg.HMM, "mdef"), cfg.LM, cfg.Dict} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("pocketsphinx model: %w (run scripts/speech)", err)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	args := []string{"-logfn", os.DevNull, "-hmm", cfg.HMM, "-lm", cfg.LM, "-dict", cfg.Dict}
	return &Pocketsphinx{path: path, args: args, timeout: cfg.Timeout}, nil
}

// Name says what recognises.
func (p *Pocketsphinx) Name() string { return "pocketsphinx" }

// Languages is English only: Debian packages no other pocketsphinx model.
func (p *Pocketsphinx) Languages() []string { return []string{"en"} }

// Transcribe returns the words pocketsphinx hears in audio, lower case.
func (p *Pocketsphinx) Transcribe(ctx context.Context, audio Audio, lang string) (string, error) {
	if lang != "en" {
		return "", fmt.Errorf("pocketsphinx %s: %w", lang, ErrNoEngine)
	}
	if len(audio.Samples) == 0 {
		return "", nil
	}
	in := Resample(audio, pocketsphinxRate)
	if audio.Rate < pocketsphinxRate {
		in = fillBand(in, audio.Rate)
	}
	// pocketsphinx_continuous reads a file only; one per utterance, removed at once.
	f, err := os.CreateTemp("", "lots-utterance-*.wav")
	if err != nil {
		return "", fmt.Errorf("pocketsphinx: %w", err)
	}
	defer os.Remove(f.Name())
	if err := WriteWAV(f, in); err != nil {
		f.Close()
		return "", fmt.Errorf("pocketsphinx: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("pocketsphinx: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.path, append(append([]string{}, p.args...), "-infile", f.Name())...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", fmt.Errorf("pocketsphinx: %w: %s", err, firstLine(stderr.String()))
	}
	// One line per stretch of speech it found; together they are the utterance.
	return strings.Join(strings.Fields(stdout.String()), " "), nil
}

// fillBand adds faint noise above the Nyquist frequency of the original rate to audio upsampled
// from it. The 16 kHz model expects energy up to 6.8 kHz; telephone audio has none above 4 kHz,
// and the empty filter bands throw the recogniser off completely ("how odd what" for "how do I
// get a personal identity number"), while a little noise there brings most words back.
func fillBand(a Audio, from int) Audio {
	const level = 0.002 * 32768 // about -54 dBFS
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]int16, len(a.Samples))
	for i := range noise {
		noise[i] = clamp16(rng.NormFloat64() * level)
	}
	// Low-pass the noise to the original band and subtract: what is left is above it.
	low := Resample(Resample(Audio{Rate: a.Rate, Samples: noise}, from), a.Rate).Samples
	out := make([]int16, len(a.Samples))
	for i, s := range a.Samples {
		hi := float64(noise[i])
		if i < len(low) {
			hi -= float64(low[i])
		}
		out[i] = clamp16(float64(s) + math.Round(hi))
	}
	return Audio{Rate: a.Rate, Samples: out}
}

// Package speech lets people ask by voice and hear the answer: speech-to-text and text-to-speech
// engines behind two small interfaces, audio conversion, and end-of-utterance detection. Its
// subpackages connect channels: a phone line (phone) and a smart speaker (alexa).
package speech

import (
	"context"
	"errors"
)

// Audio is mono 16-bit PCM.
type Audio struct {
	Rate    int     // samples per second, e.g. 16000
	Samples []int16 // mono
}

// ErrNoEngine means no configured engine handles the language; the caller tells the person so
// in their language (Messages) rather than staying silent.
var ErrNoEngine = errors.New("no speech engine for this language")

// Transcriber turns speech into text.
type Transcriber interface {
	// Transcribe returns the text spoken in audio, in language lang (an ISO 639-1 code).
	Transcribe(ctx context.Context, audio Audio, lang string) (string, error)
	// Languages lists the languages it transcribes.
	Languages() []string
}

// Synthesizer turns text into speech.
type Synthesizer interface {
	// Synthesize speaks text in language lang.
	Synthesize(ctx context.Context, text, lang string) (Audio, error)
	// Languages lists the languages it has a voice for.
	Languages() []string
}

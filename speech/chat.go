package speech

import (
	"context"
	"fmt"
)

// Chat adapts the voice pipeline to the chat page: recordings from the browser in, spoken
// sentences out as WAV files. It has the method set web.Voice asks for, without this package
// depending on the web server.
type Chat struct {
	voice *Voice
}

// NewChat returns the chat's view of the voice pipeline.
func NewChat(v *Voice) Chat { return Chat{voice: v} }

// Hears lists the languages that can be transcribed.
func (c Chat) Hears() []string { return c.voice.Engines().Hears() }

// Speaks lists the languages that can be spoken.
func (c Chat) Speaks() []string { return c.voice.Engines().Speaks() }

// Unavailable says, in lang, that lang cannot be heard or spoken yet.
func (c Chat) Unavailable(lang string) string { return c.voice.Engines().Unavailable(lang) }

// Transcribe decodes a browser recording (WebM/Opus, Ogg, WAV…) and returns what was said, or
// "" when no words were heard.
func (c Chat) Transcribe(ctx context.Context, recording []byte, lang string) (string, error) {
	e := c.voice.Engines()
	t, err := e.Transcriber(lang)
	if err != nil {
		return "", err
	}
	audio, err := e.Decode(ctx, recording, 16000)
	if err != nil {
		return "", fmt.Errorf("decode recording: %w", err)
	}
	return t.Transcribe(ctx, audio, lang)
}

// Speak reads text aloud in lang, without its citation markers, a sentence at a time.
func (c Chat) Speak(ctx context.Context, text, lang string, each func(wav []byte) error) error {
	return c.voice.Say(ctx, lang, Speakable(text), func(_ context.Context, a Audio, _ string) error {
		return each(a.WAV())
	})
}

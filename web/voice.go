package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Voice is what the chat needs of speech engines: the web package does not depend on them, so
// cmd/lots adapts the speech package to this.
type Voice interface {
	// Hears and Speaks list the languages that can be transcribed and spoken.
	Hears() []string
	Speaks() []string
	// Transcribe decodes a recording (WebM/Opus, Ogg, WAV…) and returns what was said in lang,
	// or "" when no words were heard.
	Transcribe(ctx context.Context, recording []byte, lang string) (string, error)
	// Speak reads text aloud in lang, one sentence at a time, each as a WAV file passed to each.
	Speak(ctx context.Context, text, lang string, each func(wav []byte) error) error
	// Unavailable says, in lang, that lang cannot be heard or spoken yet.
	Unavailable(lang string) string
}

const (
	maxRecording     = 4 << 20 // bytes of one spoken question
	maxRecordingTime = 60 * time.Second
	keptAnswers      = 8 // answers of a connection that can be read aloud
)

// recording is a spoken question being received.
type recording struct {
	id      string
	lang    string
	started time.Time
	data    []byte
	tooLong bool
}

// voiceStart begins a recording; binary frames append to it until voice.end.
func (c *client) voiceStart(m inbound) {
	if c.s.cfg.Voice == nil {
		c.errorFor(m.ID, "no_voice", c.s.strings[c.langOr(m.Language)]["voice_unavailable"])
		return
	}
	c.rec = &recording{id: m.ID, lang: c.langOr(m.Language), started: time.Now()}
}

// voiceData appends a binary frame to the recording.
func (c *client) voiceData(data []byte) {
	if c.rec == nil {
		c.error("", "bad_request", "binary frames must follow voice.start")
		return
	}
	if len(c.rec.data)+len(data) > maxRecording || time.Since(c.rec.started) > maxRecordingTime {
		c.rec.tooLong = true
		return
	}
	c.rec.data = append(c.rec.data, data...)
}

// voiceEnd hands the finished recording to the answering goroutine.
func (c *client) voiceEnd(m inbound) {
	rec := c.rec
	c.rec = nil
	if rec == nil || (m.ID != "" && m.ID != rec.id) {
		c.error(m.ID, "bad_request", "voice.end without voice.start")
		return
	}
	if rec.tooLong {
		c.errorFor(rec.id, "too_large", fmt.Sprintf("a recording may be at most %d MiB and %s", maxRecording>>20, maxRecordingTime))
		return
	}
	c.enqueue(inbound{Type: "voice.transcribe", ID: rec.id, Language: rec.lang, recording: rec.data})
}

// transcribe turns a recording into the question text the person then checks and sends.
func (c *client) transcribe(ctx context.Context, m inbound) {
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.AnswerTimeout)
	defer cancel()
	if !slices.Contains(c.s.cfg.Voice.Hears(), m.Language) {
		c.errorFor(m.ID, "no_voice", c.s.cfg.Voice.Unavailable(m.Language))
		return
	}
	text, err := c.s.cfg.Voice.Transcribe(ctx, m.recording, m.Language)
	switch {
	case err == nil && strings.TrimSpace(text) == "":
		c.errorFor(m.ID, "not_heard", c.s.strings[m.Language]["voice_not_heard"])
	case err != nil:
		c.s.log.WarnContext(ctx, "transcribe", "err", err)
		c.error(m.ID, "unavailable", "the recording could not be transcribed; type the question instead")
	default:
		c.out(outbound{"type": "voice.transcript", "id": m.ID, "text": text, "language": m.Language})
	}
}

// speak reads one of the connection's answers aloud, sentence by sentence.
func (c *client) speak(ctx context.Context, m inbound) {
	if c.s.cfg.Voice == nil {
		c.errorFor(m.ID, "no_voice", c.s.strings[c.langOr("")]["voice_unavailable"])
		return
	}
	ans, ok := c.answers[m.AnswerID]
	if !ok {
		c.error(m.ID, "bad_request", "no such answer on this connection")
		return
	}
	if !slices.Contains(c.s.cfg.Voice.Speaks(), ans.lang) {
		c.errorFor(m.ID, "no_voice", c.s.cfg.Voice.Unavailable(ans.lang))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.cfg.AnswerTimeout)
	defer cancel()
	n := 0
	err := c.s.cfg.Voice.Speak(ctx, ans.text, ans.lang, func(wav []byte) error {
		n++
		c.out(outbound{"type": "speech.chunk", "answer_id": m.AnswerID, "n": n})
		c.outBinary(wav)
		return nil
	})
	switch {
	case err != nil:
		c.s.log.WarnContext(ctx, "speak", "err", err)
		c.error(m.ID, "unavailable", "the answer cannot be read aloud now")
	default:
		c.out(outbound{"type": "speech.done", "answer_id": m.AnswerID})
	}
}

// remember keeps an answer's text so it can be read aloud, forgetting the oldest.
func (c *client) remember(answerID, text, lang string) {
	if c.answers == nil {
		c.answers = map[string]spokenAnswer{}
	}
	if len(c.answers) >= keptAnswers {
		oldest, at := "", time.Now()
		for id, a := range c.answers {
			if a.at.Before(at) {
				oldest, at = id, a.at
			}
		}
		delete(c.answers, oldest)
	}
	c.answers[answerID] = spokenAnswer{text: text, lang: lang, at: time.Now()}
}

type spokenAnswer struct {
	text, lang string
	at         time.Time
}

func (c *client) langOr(lang string) string {
	for _, l := range []string{lang, c.lang} {
		if _, ok := c.s.strings[l]; ok {
			return l
		}
	}
	return "sv"
}

// errorFor sends an error whose message is already in the asker's language.
func (c *client) errorFor(id, code, message string) {
	if message == "" {
		message = code
	}
	c.error(id, code, message)
}

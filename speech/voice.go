package speech

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
)

// ErrNotHeard means the utterance held no words the recogniser could make out; the caller asks
// the person to say it again (the "not_heard" message).
var ErrNotHeard = errors.New("no words heard")

// Voice is the pipeline every voice channel uses: speech → text → answer → speech, speaking the
// answer's first sentence while the rest is still being written.
type Voice struct {
	engines   *Engines
	assistant *assistant.Assistant
	log       *slog.Logger
	cfg       VoiceConfig
}

// VoiceConfig tunes the pipeline.
type VoiceConfig struct {
	// WaitForChecks speaks an answer only once the assistant has checked it. With a chat model
	// configured, a generated answer that fails its citation checks is replaced by the extractive
	// one; speaking as the model writes is faster, but what was said cannot be unsaid.
	WaitForChecks bool
}

// NewVoice returns the pipeline over the engines and the assistant.
func NewVoice(e *Engines, a *assistant.Assistant, log *slog.Logger, cfg VoiceConfig) *Voice {
	return &Voice{engines: e, assistant: a, log: log, cfg: cfg}
}

// Engines are the pipeline's engines.
func (v *Voice) Engines() *Engines { return v.engines }

// Utterance is one spoken question.
type Utterance struct {
	Audio Audio
	// Language is the asker's language; "" lets an engine that can tell the language do so.
	Language string
	// Previous is the question before it in the conversation, for follow-ups.
	Previous string
}

// Turn is one spoken question and its answer.
type Turn struct {
	Language   string
	Transcript string
	Answer     assistant.Answer // the text and citations
	Timings    Timings
}

// Timings measure a turn from the moment the utterance was handed in, that is from the end of
// speech as the channel's detector saw it.
type Timings struct {
	Transcribe time.Duration // until the transcript
	FirstAudio time.Duration // until the first audio was handed to play: the voice-to-voice latency
	Total      time.Duration // until the last audio was handed to play
}

// PlayFunc receives the spoken answer, one sentence at a time and in order; text is what audio
// says. An error stops the turn.
type PlayFunc func(ctx context.Context, audio Audio, text string) error

// Ask transcribes the utterance, answers it and speaks the answer through play. It returns
// ErrNoEngine when the language cannot be heard or spoken (say Engines.Unavailable instead) and
// ErrNotHeard when no words were recognised.
func (v *Voice) Ask(ctx context.Context, u Utterance, play PlayFunc) (Turn, error) {
	start := time.Now()
	turn := Turn{Language: u.Language}
	stt := v.engines.AutoTranscriber()
	if u.Language != "" {
		var err error
		if stt, err = v.engines.Transcriber(u.Language); err != nil {
			return turn, err
		}
		if _, err := v.engines.Synthesizer(u.Language); err != nil {
			return turn, err
		}
	} else if stt == nil {
		return turn, fmt.Errorf("speech-to-text that tells the language: %w", ErrNoEngine)
	}
	text, err := stt.Transcribe(ctx, u.Audio, u.Language)
	turn.Timings.Transcribe = time.Since(start)
	if err != nil {
		return turn, fmt.Errorf("transcribe: %w", err)
	}
	turn.Transcript = text
	if len(retrieval.Words(text)) == 0 {
		return turn, ErrNotHeard
	}
	if turn.Language == "" {
		turn.Language = v.spokenLanguage(text)
	}
	spoken := 0
	speaker := v.newSpeaker(ctx, turn.Language, func(ctx context.Context, a Audio, s string) error {
		if spoken == 0 {
			turn.Timings.FirstAudio = time.Since(start)
		}
		spoken++
		return play(ctx, a, s)
	})
	ans, err := v.assistant.Stream(ctx, assistant.Question{Text: text, Language: turn.Language, Previous: u.Previous},
		func(delta string, reset bool) {
			if !v.cfg.WaitForChecks {
				speaker.write(delta, reset)
			}
		})
	if err == nil && v.cfg.WaitForChecks {
		speaker.write(ans.Answer, false)
	}
	if err != nil {
		speaker.stop()
		return turn, fmt.Errorf("answer: %w", err)
	}
	turn.Answer = ans
	if err := speaker.finish(); err != nil {
		return turn, err
	}
	turn.Timings.Total = time.Since(start)
	return turn, nil
}

// spokenLanguage is the language of a transcript made without one, among those Lots can speak.
func (v *Voice) spokenLanguage(text string) string {
	if lang, _ := retrieval.DetectLanguage(text); v.engines.CanSpeak(lang) {
		return lang
	}
	speaks := v.engines.Speaks()
	if len(speaks) == 0 || slices.Contains(speaks, "sv") {
		return "sv"
	}
	return speaks[0]
}

// Say speaks text in lang through play, sentence by sentence.
func (v *Voice) Say(ctx context.Context, lang, text string, play PlayFunc) error {
	s := v.newSpeaker(ctx, lang, play)
	s.write(text, false)
	return s.finish()
}

// speaker splits streamed text into sentences and speaks them in order in its own goroutine,
// so synthesis of the first sentence starts while the rest is still being written.
type speaker struct {
	ctx       context.Context
	cancel    context.CancelFunc
	buf       strings.Builder
	sentences chan string
	done      chan error
	stopOnce  sync.Once
}

// maxSentences bounds the sentences queued for one answer; the assistant's answers have a few.
const maxSentences = 256

func (v *Voice) newSpeaker(ctx context.Context, lang string, play PlayFunc) *speaker {
	ctx, cancel := context.WithCancel(ctx)
	s := &speaker{ctx: ctx, cancel: cancel, sentences: make(chan string, maxSentences), done: make(chan error, 1)}
	go func() {
		s.done <- v.speak(ctx, lang, s.sentences, play)
	}()
	return s
}

func (v *Voice) speak(ctx context.Context, lang string, sentences <-chan string, play PlayFunc) error {
	tts, err := v.engines.Synthesizer(lang)
	for sentence := range sentences {
		if err != nil || ctx.Err() != nil {
			continue // drain, so the writer never blocks
		}
		var a Audio
		if a, err = tts.Synthesize(ctx, sentence, lang); err != nil {
			err = fmt.Errorf("speak: %w", err)
			continue
		}
		if len(a.Samples) == 0 {
			continue
		}
		if err = play(ctx, a, sentence); err != nil {
			err = fmt.Errorf("play: %w", err)
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// write adds streamed text; reset drops what is not spoken yet (the assistant replaces a failed
// model answer with the extractive one).
func (s *speaker) write(delta string, reset bool) {
	if reset {
		s.buf.Reset()
		return
	}
	s.buf.WriteString(delta)
	rest := s.buf.String()
	for {
		end := sentenceEnd(rest)
		if end < 0 {
			break
		}
		s.send(rest[:end])
		rest = rest[end:]
	}
	s.buf.Reset()
	s.buf.WriteString(rest)
}

func (s *speaker) send(sentence string) {
	if sentence = Speakable(sentence); sentence == "" {
		return
	}
	select {
	case s.sentences <- sentence:
	default: // more sentences than any answer has: the rest is not spoken
	}
}

// finish speaks what is left and waits until everything was played.
func (s *speaker) finish() error {
	s.send(s.buf.String())
	s.buf.Reset()
	s.stopOnce.Do(func() { close(s.sentences) })
	err := <-s.done
	s.cancel()
	return err
}

// stop abandons the rest.
func (s *speaker) stop() {
	s.cancel()
	s.stopOnce.Do(func() { close(s.sentences) })
	<-s.done
}

// sentenceEnd is the index just past the first complete sentence in s, or -1: a sentence ends
// at a line break, or at . ! ? : ; (and their Arabic, Persian and Ethiopic forms) followed by a
// space. A full stop between digits or letters ("1.5", "e.g") does not end one.
func sentenceEnd(s string) int {
	for i, r := range s {
		switch r {
		case '\n':
			return i + 1
		case '.', '!', '?', ':', ';', '؟', '؛', '۔', '።', '፧', '፨', '…':
			next := i + utf8.RuneLen(r)
			if next < len(s) {
				if c, _ := utf8.DecodeRuneInString(s[next:]); unicode.IsSpace(c) {
					return next
				}
			}
		}
	}
	return -1
}

var citationMarker = regexp.MustCompile(`\s*\[\d+(?:\s*[,–-]\s*\d+)*\]`)

// Speakable is text as it should be spoken: without citation markers like [1] or [1, 2], and
// without markdown emphasis; "" when nothing is left to say.
func Speakable(text string) string {
	text = citationMarker.ReplaceAllString(text, "")
	text = strings.NewReplacer("**", "", "__", "", "`", "", "#", "").Replace(text)
	text = strings.Join(strings.Fields(text), " ")
	if !strings.ContainsFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return ""
	}
	return text
}

package speech

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSentenceEnd(t *testing.T) {
	tests := []struct {
		in   string
		want []string // complete sentences; the rest waits for more text
		rest string
	}{
		{in: "This is what Skatteverket says:\n\nYou get", want: []string{"This is what Skatteverket says:", "\n", "\n"}, rest: "You get"},
		{in: "It costs 1.5 percent. Then", want: []string{"It costs 1.5 percent."}, rest: " Then"},
		{in: "هل لديك رقم شخصي؟ نعم", want: []string{"هل لديك رقم شخصي؟"}, rest: " نعم"},
		{in: "ቁጽሪ ኣለኩም። እወ", want: []string{"ቁጽሪ ኣለኩም።"}, rest: " እወ"},
		{in: "No end yet", rest: "No end yet"},
		{in: "Ends with a stop.", rest: "Ends with a stop."}, // more may follow ("….5 percent")
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			rest := tt.in
			for {
				end := sentenceEnd(rest)
				if end < 0 {
					break
				}
				got, rest = append(got, rest[:end]), rest[end:]
			}
			if !slices.Equal(got, tt.want) || rest != tt.rest {
				t.Errorf("sentences %q, rest %q; want %q, %q", got, rest, tt.want, tt.rest)
			}
		})
	}
}

func TestSpeakable(t *testing.T) {
	tests := map[string]string{
		"You need a passport [1].":            "You need a passport.",
		"Bring it [1, 2] and **this** [3–4].": "Bring it and this.",
		"[1]":                                 "",
		"\n\n":                                "",
		"## Who should register":              "Who should register",
		"Du får ett personnummer [2]":         "Du får ett personnummer",
	}
	for in, want := range tests {
		if got := Speakable(in); got != want {
			t.Errorf("Speakable(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeTTS "speaks" each text as a millisecond of audio per byte and records what it spoke.
type fakeTTS struct {
	mu    sync.Mutex
	texts []string
}

func (f *fakeTTS) Synthesize(_ context.Context, text, _ string) (Audio, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.texts = append(f.texts, text)
	return Silence(1000, time.Duration(len(text))*time.Millisecond), nil
}

func (f *fakeTTS) Languages() []string { return []string{"en"} }

// The first sentence is spoken while the answer is still being written.
func TestSpeakerStartsBeforeTheEnd(t *testing.T) {
	tts := &fakeTTS{}
	v := NewVoice(NewEnginesWith(testMessages(t), nil, nil, []Synthesizer{tts}), nil, slog.New(slog.DiscardHandler), VoiceConfig{})
	played := make(chan string, 10)
	s := v.newSpeaker(t.Context(), "en", func(_ context.Context, _ Audio, text string) error {
		played <- text
		return nil
	})
	s.write("This is what Skatteverket says:\n\nYou need a pass", false)
	select {
	case got := <-played:
		if got != "This is what Skatteverket says:" {
			t.Errorf("first sentence %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was spoken before the answer was complete")
	}
	s.write("port [1]. Bring it", false)
	if err := s.finish(); err != nil {
		t.Fatal(err)
	}
	close(played)
	var rest []string
	for p := range played {
		rest = append(rest, p)
	}
	if want := []string{"You need a passport.", "Bring it"}; !slices.Equal(rest, want) {
		t.Errorf("then %q, want %q", rest, want)
	}
}

// A reset (a model's answer failed its checks) drops what was not spoken yet.
func TestSpeakerReset(t *testing.T) {
	tts := &fakeTTS{}
	v := NewVoice(NewEnginesWith(testMessages(t), nil, nil, []Synthesizer{tts}), nil, slog.New(slog.DiscardHandler), VoiceConfig{})
	s := v.newSpeaker(t.Context(), "en", func(context.Context, Audio, string) error { return nil })
	s.write("Unchecked claim without", false)
	s.write("", true)
	s.write("Checked answer.", false)
	if err := s.finish(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tts.texts, []string{"Checked answer."}) {
		t.Errorf("spoke %q", tts.texts)
	}
}

// The round trip with the real engines: espeak-ng asks in English, pocketsphinx hears it, Lots
// answers from the demo corpus with the right citation, and espeak-ng speaks the answer.
func TestVoiceRoundTrip(t *testing.T) {
	e := localEngines(t)
	v := NewVoice(e, demoAssistant(t), slog.New(slog.DiscardHandler), VoiceConfig{})
	// As a channel receives it: a WAV file.
	question, err := ReadWAV(bytes.NewReader(speakQuestion(t, "How do I get a personal identity number?").WAV()))
	if err != nil {
		t.Fatal(err)
	}
	var spoken []string
	var audio time.Duration
	turn, err := v.Ask(t.Context(), Utterance{Audio: question, Language: "en"}, func(_ context.Context, a Audio, text string) error {
		spoken = append(spoken, text)
		audio += a.Duration()
		if len(a.Samples) == 0 || rms(a.Samples) < 0.01 {
			t.Errorf("sentence %q has no audio", text)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("heard %q; first audio after %v, all after %v", turn.Transcript, turn.Timings.FirstAudio, turn.Timings.Total)
	if !strings.Contains(turn.Transcript, "personal identity") {
		t.Errorf("transcript %q", turn.Transcript)
	}
	if !turn.Answer.Answered || len(turn.Answer.Citations) == 0 ||
		!strings.HasSuffix(turn.Answer.Citations[0].URL, "/skatteverket/en/personal-identity-number") {
		t.Fatalf("answer %+v", turn.Answer)
	}
	if len(spoken) < 2 || spoken[0] != "This is what Skatteverket says:" {
		t.Errorf("spoke %q", spoken)
	}
	for _, s := range spoken {
		if citationMarker.MatchString(s) {
			t.Errorf("citation marker spoken: %q", s)
		}
	}
	if audio < 5*time.Second {
		t.Errorf("the spoken answer lasts %v", audio)
	}
	if turn.Timings.FirstAudio <= 0 || turn.Timings.FirstAudio > turn.Timings.Total {
		t.Errorf("timings %+v", turn.Timings)
	}
}

// Bad input: nothing heard is ErrNotHeard, never a made-up question.
func TestVoiceBadInput(t *testing.T) {
	e := localEngines(t)
	v := NewVoice(e, nil, slog.New(slog.DiscardHandler), VoiceConfig{})
	tests := []struct {
		name  string
		audio Audio
	}{
		{name: "silence", audio: Silence(16000, 2*time.Second)},
		{name: "nothing", audio: Audio{Rate: 8000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Ask(t.Context(), Utterance{Audio: tt.audio, Language: "en"}, nil)
			if !errors.Is(err, ErrNotHeard) {
				t.Errorf("err = %v, want ErrNotHeard", err)
			}
		})
	}
	// Without an engine that tells the language, a language must be given.
	if _, err := v.Ask(t.Context(), Utterance{Audio: Silence(16000, time.Second)}, nil); !errors.Is(err, ErrNoEngine) {
		t.Errorf("no language: err = %v, want ErrNoEngine", err)
	}
}

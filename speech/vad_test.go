package speech

import (
	"math"
	"testing"
	"time"
)

// feedFrames feeds audio to v in 20 ms frames, as a phone line delivers it, and collects the events.
func feedFrames(v *VAD, a Audio) []Event {
	var events []Event
	step := a.Rate / 50
	for off := 0; off < len(a.Samples); off += step {
		events = append(events, v.Feed(a.Samples[off:min(off+step, len(a.Samples))])...)
	}
	return events
}

// syllables is a voice-like tone that swells and fades four times a second, as syllables do,
// from -13 dBFS down to -33 dBFS and back.
func syllables(rate int, d time.Duration) Audio {
	a := tone(rate, 220, d, 0.3)
	for i := range a.Samples {
		gain := 0.55 + 0.45*math.Cos(2*math.Pi*4*float64(i)/float64(rate))
		a.Samples[i] = int16(float64(a.Samples[i]) * gain)
	}
	return a
}

func kinds(events []Event) []EventKind {
	out := make([]EventKind, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}

func TestVAD(t *testing.T) {
	const rate = 8000
	quiet := func(d time.Duration) Audio { return noise(rate, d, 0.001, 1) } // a line's hiss, -60 dBFS
	speechLike := func(d time.Duration) Audio { return mix(syllables(rate, d), quiet(d)) }
	tests := []struct {
		name       string
		audio      Audio
		want       []EventKind
		minLength  time.Duration // of the utterance, when one ends
		maxLength  time.Duration
		wantCapped bool
	}{
		{name: "digital silence", audio: Silence(rate, 5*time.Second)},
		{name: "a line's hiss", audio: quiet(5 * time.Second)},
		{name: "a click is not speech", audio: Concat(quiet(time.Second), speechLike(40*time.Millisecond), quiet(2*time.Second))},
		{
			name:  "one utterance",
			audio: Concat(quiet(time.Second), speechLike(1500*time.Millisecond), quiet(2*time.Second)),
			want:  []EventKind{SpeechStarted, UtteranceEnded}, minLength: 1500 * time.Millisecond, maxLength: 2500 * time.Millisecond,
		},
		{
			name: "a short pause does not end it",
			audio: Concat(quiet(time.Second), speechLike(800*time.Millisecond), quiet(400*time.Millisecond),
				speechLike(800*time.Millisecond), quiet(2*time.Second)),
			want: []EventKind{SpeechStarted, UtteranceEnded}, minLength: 2 * time.Second, maxLength: 3 * time.Second,
		},
		{
			name: "two utterances",
			audio: Concat(quiet(time.Second), speechLike(time.Second), quiet(1500*time.Millisecond),
				speechLike(time.Second), quiet(2*time.Second)),
			want: []EventKind{SpeechStarted, UtteranceEnded, SpeechStarted, UtteranceEnded}, minLength: time.Second, maxLength: 2 * time.Second,
		},
		{
			name:  "speech over steady loud noise",
			audio: Concat(noise(rate, 3*time.Second, 0.02, 3), mix(speechLike(time.Second), noise(rate, time.Second, 0.02, 4)), noise(rate, 2*time.Second, 0.02, 5)),
			want:  []EventKind{SpeechStarted, UtteranceEnded}, minLength: time.Second, maxLength: 2 * time.Second,
		},
		{
			name:  "speech that never stops is cut once",
			audio: Concat(quiet(time.Second), speechLike(45*time.Second)),
			want:  []EventKind{SpeechStarted, UtteranceEnded}, minLength: 10 * time.Second, maxLength: 10 * time.Second, wantCapped: true,
		},
		{
			name:  "unfinished speech is flushed",
			audio: Concat(quiet(time.Second), speechLike(time.Second)),
			want:  []EventKind{SpeechStarted, UtteranceEnded}, minLength: time.Second, maxLength: 2 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVAD(rate, VADConfig{MaxUtterance: 10 * time.Second})
			events := feedFrames(v, tt.audio)
			if ev, ok := v.Flush(); ok {
				events = append(events, ev)
			}
			if got := kinds(events); !equalKinds(got, tt.want) {
				t.Fatalf("events %v, want %v", got, tt.want)
			}
			for _, e := range events {
				if e.Kind != UtteranceEnded {
					continue
				}
				if d := e.Utterance.Duration(); d < tt.minLength || d > tt.maxLength {
					t.Errorf("utterance of %v, want %v to %v", d, tt.minLength, tt.maxLength)
				}
				if e.Capped != tt.wantCapped {
					t.Errorf("capped = %v, want %v", e.Capped, tt.wantCapped)
				}
			}
		})
	}
}

func equalKinds(a, b []EventKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The end is reported EndAfter after the speech stops, counted in audio, not wall time.
func TestVADEndsAfterSilence(t *testing.T) {
	v := NewVAD(16000, VADConfig{EndAfter: 500 * time.Millisecond})
	events := feedFrames(v, Concat(Silence(16000, time.Second), tone(16000, 200, time.Second, 0.3), Silence(16000, 2*time.Second)))
	if len(events) != 2 {
		t.Fatalf("events %v", kinds(events))
	}
	if at := events[1].At; at < 2450*time.Millisecond || at > 2600*time.Millisecond {
		t.Errorf("end reported at %v, want about 2.5s (speech stops at 2s, EndAfter 500ms)", at)
	}
	if at := events[0].At; at < time.Second || at > 1200*time.Millisecond {
		t.Errorf("start reported at %v, want soon after 1s", at)
	}
}

// A 30-minute stream of talk is bounded: one capped utterance, the memory of one.
func TestVADThirtyMinuteStream(t *testing.T) {
	const rate = 8000
	v := NewVAD(rate, VADConfig{MaxUtterance: 20 * time.Second})
	chunk := mix(syllables(rate, time.Minute), noise(rate, time.Minute, 0.001, 7))
	var events []Event
	for range 30 {
		events = append(events, feedFrames(v, chunk)...)
	}
	if got := kinds(events); !equalKinds(got, []EventKind{SpeechStarted, UtteranceEnded}) {
		t.Fatalf("events %v, want one start and one end", got)
	}
	if d := events[1].Utterance.Duration(); d != 20*time.Second || !events[1].Capped {
		t.Errorf("utterance of %v (capped %v), want 20s capped", d, events[1].Capped)
	}
	if v.Speaking() {
		t.Error("the detector is in an utterance again without a pause")
	}
	if n := len(v.history) + len(v.utterance) + len(v.pending); n > rate {
		t.Errorf("the detector holds %d samples after the cap", n)
	}
}

func TestVADOnSpeech(t *testing.T) {
	requireBinaries(t)
	q := speakQuestion(t, "How do I get a personal identity number?")
	phone := Resample(q, 8000)
	audio := Concat(Silence(8000, time.Second), phone, Silence(8000, 1500*time.Millisecond))
	v := NewVAD(8000, VADConfig{})
	events := feedFrames(v, audio)
	if got := kinds(events); !equalKinds(got, []EventKind{SpeechStarted, UtteranceEnded}) {
		t.Fatalf("events %v: the question is not one utterance", got)
	}
	if d, want := events[1].Utterance.Duration(), phone.Duration(); d < want-200*time.Millisecond || d > want+time.Second {
		t.Errorf("utterance of %v, the question lasts %v", d, want)
	}
}

func BenchmarkVAD(b *testing.B) {
	a := mix(syllables(8000, 10*time.Second), noise(8000, 10*time.Second, 0.001, 1))
	b.SetBytes(int64(len(a.Samples) * 2))
	for b.Loop() {
		feedFrames(NewVAD(8000, VADConfig{}), a)
	}
}

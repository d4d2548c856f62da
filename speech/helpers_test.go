package speech

import (
	"log/slog"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval"
)

// requireBinaries fails the test when the speech programs are missing (they are part of the
// project's test setup, not optional), and skips it under -short.
func requireBinaries(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs espeak-ng, pocketsphinx and ffmpeg; skipped with -short")
	}
	for _, bin := range []string{"espeak-ng", "pocketsphinx_continuous", "ffmpeg"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is missing: run scripts/speech", bin)
		}
	}
}

func testMessages(t testing.TB) *assistant.Messages {
	t.Helper()
	m, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// localEngines returns the local engines: espeak-ng for sv en ar fa uk and pocketsphinx for en.
func localEngines(t testing.TB) *Engines {
	t.Helper()
	requireBinaries(t)
	e, err := NewEngines(Config{Local: true}, testMessages(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// demoAssistant answers extractively from the crawled demo corpus.
func demoAssistant(t testing.TB) *assistant.Assistant {
	t.Helper()
	st := ingesttest.DemoStore(t)
	log := slog.New(slog.DiscardHandler)
	searcher := retrieval.NewSearcher(st, retrieval.NewLocal(0), retrieval.DefaultThresholds["local"], log)
	return assistant.New(searcher, nil, testMessages(t), log, assistant.Config{})
}

// The espeak-ng voice and rate tests ask questions with: pocketsphinx's US English model
// misrecognises espeak-ng's default voice almost completely; of the Klatt voices and rates tried,
// this one it hears best, also through a telephone's μ-law at 8 kHz (see SPEECH_NOTES.md).
const (
	questionVoice = "en-us+klatt2"
	questionRate  = 180
)

// speakQuestion says text with questionVoice at questionRate.
func speakQuestion(t testing.TB, text string) Audio {
	t.Helper()
	es, err := NewEspeak(EspeakConfig{Rate: questionRate, Voices: map[string]string{"en": questionVoice}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := es.Synthesize(t.Context(), text, "en")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tone is a sine wave of amplitude amp (0 to 1 of full scale).
func tone(rate int, freq float64, d time.Duration, amp float64) Audio {
	n := int(d * time.Duration(rate) / time.Second)
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return Audio{Rate: rate, Samples: s}
}

// noise is white noise with an RMS of amp of full scale.
func noise(rate int, d time.Duration, amp float64, seed uint64) Audio {
	rng := rand.New(rand.NewPCG(seed, seed))
	n := int(d * time.Duration(rate) / time.Second)
	s := make([]int16, n)
	for i := range s {
		s[i] = clamp16(rng.NormFloat64() * amp * 32767)
	}
	return Audio{Rate: rate, Samples: s}
}

// mix adds b to a, sample by sample, over a's length.
func mix(a, b Audio) Audio {
	out := make([]int16, len(a.Samples))
	for i, s := range a.Samples {
		v := float64(s)
		if i < len(b.Samples) {
			v += float64(b.Samples[i])
		}
		out[i] = clamp16(v)
	}
	return Audio{Rate: a.Rate, Samples: out}
}

// rms is the root mean square of samples, as a share of full scale.
func rms(samples []int16) float64 {
	var sum float64
	for _, s := range samples {
		f := float64(s) / 32768
		sum += f * f
	}
	if len(samples) == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// goertzel is the relative power of freq in samples.
func goertzel(a Audio, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(a.Rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range a.Samples {
		s := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s
	}
	n := float64(len(a.Samples))
	return (s1*s1 + s2*s2 - coeff*s1*s2) / (n * n)
}

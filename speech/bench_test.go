package speech

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
)

// BenchmarkVoiceToVoice measures, with the local engines and the extractive answerer over the
// demo corpus, the time from the end of an utterance being handed in (the end of speech as the
// detector saw it) until the first audio of the answer is ready to play. The caller waits that
// plus the detector's EndAfter (700 ms): reported as voice-to-voice-ms.
func BenchmarkVoiceToVoice(b *testing.B) {
	e := localEngines(b)
	v := NewVoice(e, demoAssistant(b), slog.New(slog.DiscardHandler), VoiceConfig{})
	question := speakQuestion(b, "How do I get a personal identity number?")
	paths := []struct {
		name  string
		audio Audio
	}{
		{name: "web-16kHz", audio: Resample(question, 16000)},
		{name: "phone-mulaw-8kHz", audio: Audio{Rate: 8000, Samples: DecodeMulaw(EncodeMulaw(Resample(question, 8000).Samples))}},
	}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			var transcribe, first []time.Duration
			for b.Loop() {
				turn, err := v.Ask(b.Context(), Utterance{Audio: p.audio, Language: "en"}, func(context.Context, Audio, string) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				if !turn.Answer.Answered {
					b.Fatalf("not answered: heard %q", turn.Transcript)
				}
				transcribe = append(transcribe, turn.Timings.Transcribe)
				first = append(first, turn.Timings.FirstAudio)
			}
			b.ReportMetric(ms(median(transcribe)), "transcribe-ms")
			b.ReportMetric(ms(median(first)), "first-audio-ms")
			b.ReportMetric(ms(median(first)+700*time.Millisecond), "voice-to-voice-ms")
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkSpokenQuestions measures how well the local engines understand spoken questions: the
// English questions of the evaluation set, spoken by espeak-ng, recognised by pocketsphinx, at
// 16 kHz and through a telephone's μ-law at 8 kHz. It reports the word error rate and the share
// of answerable questions whose answer cites an expected page (typed: the same questions typed).
// One iteration asks every question; run it with -benchtime=1x.
func BenchmarkSpokenQuestions(b *testing.B) {
	e := localEngines(b)
	asst := demoAssistant(b)
	stt, _ := e.Transcriber("en")
	cases := readEvalSet(b, "../evals/sets/demo.en.jsonl")
	paths := []struct {
		name  string
		voice string
		rate  int
		phone bool
	}{
		{name: "klatt2-180wpm-16kHz", voice: questionVoice, rate: questionRate},
		{name: "klatt2-180wpm-phone", voice: questionVoice, rate: questionRate, phone: true},
		{name: "default-voice-140wpm-16kHz", voice: "en-us", rate: 140},
	}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			es, err := NewEspeak(EspeakConfig{Rate: p.rate, Voices: map[string]string{"en": p.voice}})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				var errs, words, answerable, cited, typedCited int
				for _, c := range cases {
					a, err := es.Synthesize(b.Context(), c.Question, "en")
					if err != nil {
						b.Fatal(err)
					}
					if p.phone {
						a = Audio{Rate: 8000, Samples: DecodeMulaw(EncodeMulaw(Resample(a, 8000).Samples))}
					}
					heard, err := stt.Transcribe(b.Context(), a, "en")
					if err != nil {
						b.Fatal(err)
					}
					ref := retrieval.Words(strings.ToLower(c.Question))
					errs += editDistance(ref, retrieval.Words(heard))
					words += len(ref)
					if !c.Answerable {
						continue
					}
					answerable++
					if citesExpected(b, asst, heard, c.Expect) {
						cited++
					}
					if citesExpected(b, asst, c.Question, c.Expect) {
						typedCited++
					}
				}
				b.ReportMetric(float64(errs)/float64(words), "WER")
				b.ReportMetric(float64(cited)/float64(answerable), "cited-right")
				b.ReportMetric(float64(typedCited)/float64(answerable), "cited-right-typed")
			}
		})
	}
}

type evalCase struct {
	Question   string   `json:"question"`
	Expect     []string `json:"expect"`
	Answerable bool     `json:"answerable"`
}

func readEvalSet(tb testing.TB, path string) []evalCase {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []evalCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c evalCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// citesExpected reports whether the answer to text cites a page whose URL ends in one of expect.
func citesExpected(tb testing.TB, asst *assistant.Assistant, text string, expect []string) bool {
	tb.Helper()
	ans, err := asst.Answer(tb.Context(), assistant.Question{Text: text, Language: "en"})
	if errors.Is(err, assistant.ErrEmptyQuestion) {
		return false
	}
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range ans.Citations {
		for _, slug := range expect {
			if strings.HasSuffix(c.URL, "/"+slug) {
				return true
			}
		}
	}
	return false
}

// editDistance counts the words inserted, deleted or replaced between ref and hyp.
func editDistance(ref, hyp []string) int {
	prev := make([]int, len(hyp)+1)
	cur := make([]int, len(hyp)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		cur[0] = i
		for j := 1; j <= len(hyp); j++ {
			sub := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev, cur = cur, prev
	}
	return prev[len(hyp)]
}

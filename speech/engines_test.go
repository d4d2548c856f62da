package speech

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/retrieval"
)

// Sentences of two lengths in every language espeak-ng speaks.
var voiceSamples = map[string][2]string{
	"sv": {"Hej.", "Du får ett personnummer när du blir folkbokförd i Sverige. Ta med ditt pass till servicekontoret."},
	"en": {"Hello.", "You receive a personal identity number when you are registered in Sweden. Bring your passport to the service office."},
	"ar": {"مرحبا.", "تحصل على رقم شخصي عندما تُسجَّل في السجل السكاني في السويد. أحضر جواز سفرك إلى مكتب الخدمة."},
	"fa": {"سلام.", "وقتی در ثبت جمعیت سوئد ثبت می\u200cشوید، شماره شخصی دریافت می\u200cکنید. گذرنامه خود را به دفتر خدمات بیاورید."},
	"uk": {"Привіт.", "Ви отримуєте персональний ідентифікаційний номер, коли вас реєструють у Швеції. Візьміть паспорт до сервісного офісу."},
}

func TestEspeakVoices(t *testing.T) {
	e := localEngines(t)
	dir := t.TempDir()
	for lang, texts := range voiceSamples {
		t.Run(lang, func(t *testing.T) {
			tts, err := e.Synthesizer(lang)
			if err != nil {
				t.Fatal(err)
			}
			short, err := tts.Synthesize(t.Context(), texts[0], lang)
			if err != nil {
				t.Fatal(err)
			}
			long, err := tts.Synthesize(t.Context(), texts[1], lang)
			if err != nil {
				t.Fatal(err)
			}
			if short.Duration() < 200*time.Millisecond || rms(short.Samples) < 0.01 {
				t.Errorf("a word lasts %v at RMS %.3f: no speech", short.Duration(), rms(short.Samples))
			}
			if long.Duration() < 3*short.Duration() || long.Duration() < 4*time.Second || long.Duration() > 30*time.Second {
				t.Errorf("two sentences last %v, a word %v", long.Duration(), short.Duration())
			}
			// Playable: ffmpeg reads the WAV written from it back as PCM of the same length.
			path := filepath.Join(dir, lang+".wav")
			if err := os.WriteFile(path, long.WAV(), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("ffmpeg", "-loglevel", "error", "-i", path, "-f", "s16le", "-ac", "1", "pipe:1").Output()
			if err != nil {
				t.Fatalf("ffmpeg cannot play it: %v", err)
			}
			if len(out) != 2*len(long.Samples) {
				t.Errorf("ffmpeg decoded %d bytes, want %d", len(out), 2*len(long.Samples))
			}
		})
	}
}

func TestEngineCoverage(t *testing.T) {
	e := localEngines(t)
	got := e.Coverage(retrieval.Languages)
	want := map[string]Coverage{
		"sv": {"sv", "", "espeak-ng"},
		"en": {"en", "pocketsphinx", "espeak-ng"},
		"ar": {"ar", "", "espeak-ng"},
		"fa": {"fa", "", "espeak-ng"},
		"so": {"so", "", ""},
		"ti": {"ti", "", ""},
		"uk": {"uk", "", "espeak-ng"},
	}
	for _, c := range got {
		if c != want[c.Language] {
			t.Errorf("coverage %+v, want %+v", c, want[c.Language])
		}
	}
}

// Somali and Tigrinya have no local voice: asking for one is ErrNoEngine, and Lots says so in
// the language's own words, never nothing.
func TestNoEngineMessage(t *testing.T) {
	e := localEngines(t)
	tests := []struct {
		lang string
		want string
	}{
		{lang: "so", want: "Weli kuma hadli karo Af-Soomaali."},
		{lang: "ti", want: "ገና ብትግርኛ ክዛረብ ኣይክእልን እየ።"},
		{lang: "sv", want: "Jag kan inte förstå talad svenska än."},
		{lang: "uk", want: "Я ще не вмію розпізнавати усне мовлення такою мовою: українська."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := e.Unavailable(tt.lang); got != tt.want {
				t.Errorf("Unavailable(%s) = %q, want %q", tt.lang, got, tt.want)
			}
			if !e.CanSpeak(tt.lang) {
				if _, err := e.Synthesizer(tt.lang); !errors.Is(err, ErrNoEngine) {
					t.Errorf("Synthesizer(%s): err = %v, want ErrNoEngine", tt.lang, err)
				}
			}
			if _, err := e.Transcriber(tt.lang); !errors.Is(err, ErrNoEngine) {
				t.Errorf("Transcriber(%s): err = %v, want ErrNoEngine", tt.lang, err)
			}
		})
	}
	if got := e.UnavailableIn("en", "so"); got != "I cannot speak Somali yet." {
		t.Errorf("in English: %q", got)
	}
	if got := e.Unavailable("en"); got != "" {
		t.Errorf("English has both engines, but Unavailable says %q", got)
	}
	// The voice pipeline refuses the language before it transcribes anything.
	v := NewVoice(e, nil, nil, VoiceConfig{})
	if _, err := v.Ask(t.Context(), Utterance{Audio: Silence(16000, time.Second), Language: "so"}, nil); !errors.Is(err, ErrNoEngine) {
		t.Errorf("Ask in Somali: err = %v, want ErrNoEngine", err)
	}
}

func TestEspeakRefuses(t *testing.T) {
	requireBinaries(t)
	es, err := NewEspeak(EspeakConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := es.Synthesize(t.Context(), "Hello", "so"); !errors.Is(err, ErrNoEngine) {
		t.Errorf("Somali: err = %v, want ErrNoEngine", err)
	}
	if _, err := es.Synthesize(t.Context(), strings.Repeat("word ", MaxSpeakBytes), "en"); err == nil {
		t.Error("an overlong text was spoken")
	}
	// Text is not taken for options.
	a, err := es.Synthesize(t.Context(), "--help -v xx", "en")
	if err != nil || len(a.Samples) == 0 {
		t.Errorf("text that looks like options: %v", err)
	}
	if _, err := NewEspeak(EspeakConfig{Path: "/nonexistent/espeak-ng"}); err == nil || !strings.Contains(err.Error(), "run scripts/speech") {
		t.Errorf("missing program: err = %v", err)
	}
}

// pocketsphinx hears English only, and empty audio as nothing.
func TestPocketsphinx(t *testing.T) {
	requireBinaries(t)
	ps, err := NewPocketsphinx(PocketsphinxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Transcribe(t.Context(), Silence(16000, time.Second), "sv"); !errors.Is(err, ErrNoEngine) {
		t.Errorf("Swedish: err = %v, want ErrNoEngine", err)
	}
	if text, err := ps.Transcribe(t.Context(), Silence(16000, 2*time.Second), "en"); err != nil || text != "" {
		t.Errorf("silence: %q, %v", text, err)
	}
	q := speakQuestion(t, "How do I get a personal identity number?")
	tests := []struct {
		name  string
		audio Audio
		want  string
	}{
		{name: "22.05 kHz from espeak-ng", audio: q, want: "personal identity"},
		{name: "44.1 kHz", audio: Resample(q, 44100), want: "personal identity"},
		// Telephone audio loses everything above 4 kHz; the band is filled with faint noise.
		{name: "μ-law 8 kHz", audio: Audio{Rate: 8000, Samples: DecodeMulaw(EncodeMulaw(Resample(q, 8000).Samples))}, want: "identity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := ps.Transcribe(t.Context(), tt.audio, "en")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("heard %q, want it to contain %q", text, tt.want)
			}
		})
	}
	if _, err := NewPocketsphinx(PocketsphinxConfig{HMM: t.TempDir()}); err == nil {
		t.Error("a missing model was accepted")
	}
}

package web_test

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/speech"
	"github.com/nyisverige/lots/web"
)

// newVoiceServer is a chat server with the local speech engines (espeak-ng, pocketsphinx).
func newVoiceServer(t *testing.T) *lotsServer {
	t.Helper()
	for _, prog := range []string{"espeak-ng", "pocketsphinx_continuous", "ffmpeg"} {
		if _, err := exec.LookPath(prog); err != nil {
			if testing.Short() {
				t.Skip("speech programs missing (-short)")
			}
			t.Fatalf("%s is missing: run scripts/speech", prog)
		}
	}
	return newServerWith(t, web.Config{}, func(asst *assistant.Assistant, cfg *web.Config) {
		engines, err := speech.NewEngines(speech.Config{Local: true}, asst.Messages(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Voice = speech.NewChat(speech.NewVoice(engines, asst, slog.New(slog.DiscardHandler), speech.VoiceConfig{}))
	})
}

// spoken is a question spoken by espeak-ng in the voice pocketsphinx understands best.
func spoken(t *testing.T, text string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "question.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us+klatt2", "-s", "180", "-w", path, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVoiceOverTheWebsocket(t *testing.T) {
	s := newVoiceServer(t)
	c := s.dial(t, s.URL)
	send(t, c, message{"type": "hello", "language": "en"})
	ready := recv(t, c)
	voice, _ := ready["voice"].(map[string]any)
	if voice == nil || !strings.Contains(strings.Join(toStrings(voice["hear"]), ","), "en") {
		t.Fatalf("ready does not say the server hears English: %v", ready)
	}

	// A spoken question, in chunks as a browser's recorder sends them, comes back as text.
	audio := spoken(t, "How do I get a personal identity number?")
	send(t, c, message{"type": "voice.start", "id": "v1", "language": "en"})
	for len(audio) > 0 {
		n := min(4096, len(audio))
		if err := c.WriteMessage(websocket.BinaryMessage, audio[:n]); err != nil {
			t.Fatal(err)
		}
		audio = audio[n:]
	}
	send(t, c, message{"type": "voice.end", "id": "v1"})
	m := recv(t, c)
	if m["type"] != "voice.transcript" || m["id"] != "v1" {
		t.Fatalf("after voice.end: %v", m)
	}
	text := m["text"].(string)
	if !strings.Contains(text, "number") && !strings.Contains(text, "identity") {
		t.Errorf("transcript %q does not hold the question's words", text)
	}

	// The answer is read aloud on request, sentence by sentence, as WAV files.
	got := askAndCollect(t, c, "q1", "How do I get a personal identity number?", "en")
	answerID := got[len(got)-1]["answer_id"].(string)
	send(t, c, message{"type": "speak", "id": "s1", "answer_id": answerID})
	chunks := 0
	for {
		c.SetReadDeadline(deadline())
		kind, data, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if kind == websocket.BinaryMessage {
			if !strings.HasPrefix(string(data), "RIFF") || len(data) < 1000 {
				t.Fatalf("speech chunk is not a WAV file (%d bytes)", len(data))
			}
			chunks++
			continue
		}
		if strings.Contains(string(data), `"speech.done"`) {
			break
		}
		if strings.Contains(string(data), `"error"`) {
			t.Fatalf("speak: %s", data)
		}
	}
	if chunks < 2 {
		t.Errorf("the answer was read in %d sentence(s); want each sentence as it is ready", chunks)
	}

	// A language without a local voice gets a clear message in that language, never silence.
	got = askAndCollect(t, c, "q2", "Sideen ku helaa lambarka aqoonsiga shakhsiga?", "so")
	send(t, c, message{"type": "speak", "id": "s2", "answer_id": got[len(got)-1]["answer_id"]})
	m = recv(t, c)
	if m["type"] != "error" || m["code"] != "no_voice" || m["message"] == "" || m["message"] == "no_voice" {
		t.Errorf("speaking Somali: %v; want error no_voice with a message", m)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func deadline() time.Time { return time.Now().Add(30 * time.Second) }

package phone

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/speech"
)

const (
	caller  = "+46701234567"
	callSid = "CA0123456789abcdef0123456789abcdef"
)

// requireBinaries fails when the speech programs are missing, and skips under -short.
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

// sentSMS records the text messages a call sends.
type sentSMS struct {
	sent chan [2]string
}

func (s *sentSMS) Send(_ context.Context, to, text string) error {
	s.sent <- [2]string{to, text}
	return nil
}

// harness is a phone line on loopback: the local engines, and the assistant over the demo
// corpus when withAnswers.
type harness struct {
	srv   *httptest.Server
	sms   *sentSMS
	turns chan speech.Turn
}

func newHarness(t *testing.T, withAnswers bool, cfg Config) *harness {
	t.Helper()
	requireBinaries(t)
	log := slog.New(slog.DiscardHandler)
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := speech.NewEngines(speech.Config{Local: true}, msgs, log)
	if err != nil {
		t.Fatal(err)
	}
	var asst *assistant.Assistant
	if withAnswers {
		st := ingesttest.DemoStore(t)
		searcher := retrieval.NewSearcher(st, retrieval.NewLocal(0), retrieval.DefaultThresholds["local"], log)
		asst = assistant.New(searcher, nil, msgs, log, assistant.Config{})
	}
	h := &harness{sms: &sentSMS{sent: make(chan [2]string, 10)}, turns: make(chan speech.Turn, 10)}
	cfg.OnTurn = func(turn speech.Turn) { h.turns <- turn }
	p := New(speech.NewVoice(eng, asst, log, speech.VoiceConfig{}), h.sms, log, cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("/phone/twiml", p.TwiML)
	mux.HandleFunc("/phone/stream", p.Stream)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// twiml posts the webhook as Twilio does and returns the stream's URL and parameters.
func (h *harness) twiml(t *testing.T) (string, map[string]string) {
	t.Helper()
	resp, err := http.PostForm(h.srv.URL+"/phone/twiml", url.Values{"CallSid": {callSid}, "From": {caller}, "To": {"+46812345678"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("TwiML: %s %s", resp.Status, body)
	}
	var doc twiml
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("TwiML %s: %v", body, err)
	}
	params := map[string]string{}
	for _, p := range doc.Stream.Params {
		params[p.Name] = p.Value
	}
	return doc.Stream.URL, params
}

// twilio is the telephony side of a media stream: it sends what Twilio sends and, like Twilio,
// plays the audio it receives in real time, echoes each mark when the audio before it has
// played, and on clear drops the queued audio and echoes the marks still pending.
type twilio struct {
	t       *testing.T
	conn    *websocket.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	media   int // media messages received
	marks   int
	clears  int
	playEnd time.Time              // when the queued audio will have played
	pending map[string]*time.Timer // marks not yet played
	closed  chan struct{}
}

func (h *harness) dial(t *testing.T, params map[string]string) *twilio {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.srv.URL, "http")+"/phone/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	tw := &twilio{t: t, conn: conn, closed: make(chan struct{}), pending: map[string]*time.Timer{}}
	go tw.read()
	tw.send(map[string]any{"event": "connected", "protocol": "Call", "version": "1.0.0"})
	tw.send(map[string]any{"event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
		"start": map[string]any{"streamSid": "MZ1", "callSid": callSid, "accountSid": "AC1", "tracks": []string{"inbound"},
			"mediaFormat":      map[string]any{"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
			"customParameters": params}})
	return tw
}

func (tw *twilio) read() {
	defer close(tw.closed)
	for {
		_, data, err := tw.conn.ReadMessage()
		if err != nil {
			return
		}
		var m outbound
		if err := json.Unmarshal(data, &m); err != nil {
			tw.t.Errorf("bad message %s: %v", data, err)
			return
		}
		if m.StreamSid != "MZ1" {
			tw.t.Errorf("message for stream %q: %s", m.StreamSid, data)
		}
		tw.mu.Lock()
		switch m.Event {
		case "media":
			if audio, err := base64.StdEncoding.DecodeString(m.Media.Payload); err != nil || len(audio) == 0 || len(audio) > frameBytes {
				tw.t.Errorf("media payload of %d bytes: %v", len(audio), err)
			}
			tw.media++
			if now := time.Now(); tw.playEnd.Before(now) {
				tw.playEnd = now
			}
			tw.playEnd = tw.playEnd.Add(20 * time.Millisecond)
		case "mark":
			tw.marks++
			name := m.Mark.Name
			tw.pending[name] = time.AfterFunc(time.Until(tw.playEnd), func() { tw.played(name) })
		case "clear":
			tw.clears++
			tw.playEnd = time.Now()
			for name, timer := range tw.pending {
				if timer.Stop() {
					go tw.played(name)
				}
			}
		default:
			tw.t.Errorf("unexpected event %s", data)
		}
		tw.mu.Unlock()
	}
}

// played echoes a mark.
func (tw *twilio) played(name string) {
	tw.mu.Lock()
	delete(tw.pending, name)
	tw.mu.Unlock()
	tw.send(map[string]any{"event": "mark", "streamSid": "MZ1", "mark": map[string]string{"name": name}})
}

func (tw *twilio) send(m any) error {
	tw.wmu.Lock()
	defer tw.wmu.Unlock()
	return tw.conn.WriteJSON(m)
}

func (tw *twilio) counts() (media, marks, clears int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return tw.media, tw.marks, tw.clears
}

func (tw *twilio) press(digit string) {
	tw.send(map[string]any{"event": "dtmf", "streamSid": "MZ1", "dtmf": map[string]string{"track": "inbound_track", "digit": digit}})
}

// speak sends audio as Twilio does: μ-law 8 kHz in 20 ms media messages.
func (tw *twilio) speak(a speech.Audio) error {
	ulaw := speech.EncodeMulaw(speech.Resample(a, 8000).Samples)
	for i := 0; i*frameBytes < len(ulaw); i++ {
		chunk := ulaw[i*frameBytes : min((i+1)*frameBytes, len(ulaw))]
		err := tw.send(map[string]any{"event": "media", "streamSid": "MZ1", "sequenceNumber": "2",
			"media": map[string]string{"track": "inbound", "chunk": "1", "timestamp": "20", "payload": base64.StdEncoding.EncodeToString(chunk)}})
		if err != nil {
			return err
		}
	}
	return nil
}

// waitFor polls until cond holds.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A caller presses 2 for English, asks (in a voice pocketsphinx hears), hears the answer
// (media and marks), and presses 9 for the links by text message.
func TestCallRoundTrip(t *testing.T) {
	h := newHarness(t, true, Config{})
	streamURL, params := h.twiml(t)
	if want := "wss://" + strings.TrimPrefix(h.srv.URL, "http://") + "/phone/stream"; streamURL != want {
		t.Errorf("stream URL %q, want %q", streamURL, want)
	}
	if params["from"] != caller || params["sig"] == "" {
		t.Errorf("parameters %v", params)
	}
	tw := h.dial(t, params)
	waitFor(t, "the greeting", 30*time.Second, func() bool { m, _, _ := tw.counts(); return m > 50 })
	tw.press("2")
	waitFor(t, "the greeting to be cleared", 10*time.Second, func() bool { _, _, c := tw.counts(); return c > 0 })

	// The voice and rate pocketsphinx hears best through μ-law (see speech/helpers_test.go).
	es, err := speech.NewEspeak(speech.EspeakConfig{Rate: 180, Voices: map[string]string{"en": "en-us+klatt2"}})
	if err != nil {
		t.Fatal(err)
	}
	question, err := es.Synthesize(t.Context(), "How do I get a personal identity number?", "en")
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.speak(speech.Concat(speech.Silence(8000, 500*time.Millisecond), question, speech.Silence(8000, 1500*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	before, _, _ := tw.counts()
	var turn speech.Turn
	select {
	case turn = <-h.turns:
	case <-time.After(60 * time.Second):
		t.Fatal("no answer within a minute")
	}
	t.Logf("heard %q over the phone; first audio after %v", turn.Transcript, turn.Timings.FirstAudio)
	if turn.Language != "en" || len(turn.Answer.Citations) == 0 ||
		!strings.HasSuffix(turn.Answer.Citations[0].URL, "/skatteverket/en/personal-identity-number") {
		t.Fatalf("turn %+v", turn)
	}
	waitFor(t, "the spoken answer", 30*time.Second, func() bool { m, _, _ := tw.counts(); return m > before+250 })
	_, marks, _ := tw.counts()
	if marks < 3 {
		t.Errorf("%d marks", marks)
	}

	tw.press("9")
	select {
	case sms := <-h.sms.sent:
		if sms[0] != caller || !strings.Contains(sms[1], "/skatteverket/en/personal-identity-number") || !strings.HasPrefix(sms[1], "Lots — Sources:") {
			t.Errorf("text message %q", sms)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no text message")
	}
	tw.send(map[string]any{"event": "stop", "streamSid": "MZ1", "stop": map[string]string{"callSid": callSid}})
	select {
	case <-tw.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream stayed open after stop")
	}
}

// Somali has no voice: pressing 5 is answered (in Swedish and English), never with silence,
// and the call's language stays unchosen.
func TestCallLanguageWithoutVoice(t *testing.T) {
	h := newHarness(t, false, Config{})
	_, params := h.twiml(t)
	tw := h.dial(t, params)
	waitFor(t, "the greeting", 30*time.Second, func() bool { m, _, _ := tw.counts(); return m > 0 })
	tw.press("5")
	waitFor(t, "the greeting to be cleared", 10*time.Second, func() bool { _, _, c := tw.counts(); return c > 0 })
	before, _, _ := tw.counts()
	// Two sentences in each of two languages: several seconds of audio.
	waitFor(t, "the explanation", 30*time.Second, func() bool { m, _, _ := tw.counts(); return m > before+200 })
	// Nothing to text yet: said so, nothing sent.
	tw.press("9")
	time.Sleep(500 * time.Millisecond)
	select {
	case sms := <-h.sms.sent:
		t.Errorf("sent %q with no answer", sms)
	default:
	}
}

// A websocket client cannot have messages sent to a number of its choosing.
func TestForgedNumber(t *testing.T) {
	h := newHarness(t, false, Config{})
	s := &Server{cfg: Config{Secret: []byte("another secret")}}
	forged := map[string]string{"from": "+46700000000", "sig": s.sign(callSid, "+46700000000")}
	p := New(nil, nil, slog.New(slog.DiscardHandler), Config{})
	if _, ok := p.validNumber(callSid, forged); ok {
		t.Error("a number signed with another secret was accepted")
	}
	_, params := h.twiml(t)
	params["from"] = "+46700000000"
	if _, ok := p.validNumber(callSid, params); ok {
		t.Error("a changed number was accepted")
	}
}

func TestTwiMLSignature(t *testing.T) {
	p := New(nil, nil, slog.New(slog.DiscardHandler), Config{AuthToken: "12345", WebhookURL: "https://lots.example/phone/twiml"})
	form := url.Values{"CallSid": {callSid}, "From": {caller}}
	sign := func(token string) string {
		mac := hmac.New(sha1.New, []byte(token))
		io.WriteString(mac, "https://lots.example/phone/twiml"+"CallSid"+callSid+"From"+caller)
		return base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	tests := []struct {
		name   string
		method string
		sig    string
		want   int
	}{
		{name: "signed", method: http.MethodPost, sig: sign("12345"), want: http.StatusOK},
		{name: "signed with another token", method: http.MethodPost, sig: sign("54321"), want: http.StatusForbidden},
		{name: "unsigned", method: http.MethodPost, want: http.StatusForbidden},
		{name: "GET", method: http.MethodGet, sig: sign("12345"), want: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/phone/twiml", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("X-Twilio-Signature", tt.sig)
			w := httptest.NewRecorder()
			p.TwiML(w, r)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if w.Code == http.StatusOK {
				body := w.Body.String()
				if !strings.Contains(body, `<Response><Connect><Stream url="wss://example.com/phone/stream">`) {
					t.Errorf("TwiML %s", body)
				}
			}
		})
	}
}

// A 30-minute call, fed as fast as the socket takes it, ends at MaxCall of audio with a
// farewell; a caller who talks without pause gets one capped utterance, not one per cap.
func TestCallThirtyMinutesBounded(t *testing.T) {
	h := newHarness(t, true, Config{MaxCall: 3 * time.Minute})
	_, params := h.twiml(t)
	tw := h.dial(t, params)
	// A voice-like tone that never pauses.
	minute := speech.Audio{Rate: 8000, Samples: make([]int16, 8000*60)}
	for i := range minute.Samples {
		phase := float64(i) / 8000
		minute.Samples[i] = int16(9000 * (0.55 + 0.45*math.Cos(2*math.Pi*4*phase)) * math.Sin(2*math.Pi*220*phase))
	}
	sent := 0
	for ; sent < 30; sent++ {
		if err := tw.speak(minute); err != nil {
			break // the server ended the call
		}
	}
	select {
	case <-tw.closed:
	case <-time.After(60 * time.Second):
		t.Fatal("the call did not end")
	}
	if sent >= 30 {
		t.Errorf("all 30 minutes were taken; the call should end after 3")
	}
	if n := len(h.turns); n > 1 {
		t.Errorf("%d turns from one long utterance", n)
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"event":"media","streamSid":"MZ1","media":{"track":"inbound","payload":"//8A"}}`))
	f.Add([]byte(`{"event":"start","start":{"streamSid":"MZ1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}`))
	f.Add([]byte(`{"event":"dtmf","dtmf":{"digit":"9"}}`))
	f.Add([]byte(`{"event":"mark","mark":{"name":"lots-1"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := parseEvent(data)
		if err != nil {
			return
		}
		if len(ev.audio) > maxPayload {
			t.Fatalf("payload of %d bytes accepted", len(ev.audio))
		}
		if ev.Event == "dtmf" && len(ev.DTMF.Digit) != 1 {
			t.Fatalf("dtmf %q accepted", ev.DTMF.Digit)
		}
	})
}

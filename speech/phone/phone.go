// Package phone answers questions on a telephone line: a TwiML webhook starts a Twilio Media
// Stream, and the stream's websocket carries the caller's μ-law 8 kHz audio in and Lots' spoken
// answers out. The caller chooses a language on the keypad (or just speaks), asks, hears the
// answer, and can press 9 to get the cited links by text message.
package phone

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/speech"
)

// Config tunes the phone line. Zero fields take the defaults.
type Config struct {
	// StreamURL is the wss:// URL of Stream as the telephony provider reaches it; default
	// wss://<Host of the webhook request>/phone/stream.
	StreamURL string
	// WebhookURL is the public URL of TwiML, as Twilio signs it; default
	// https://<Host><path of the request>. Needed only with AuthToken behind a proxy that
	// rewrites it.
	WebhookURL string
	// AuthToken is the Twilio auth token: when set, TwiML accepts only requests that carry a
	// valid X-Twilio-Signature. Without it anyone can start a stream.
	AuthToken string
	// Secret signs the caller's number that TwiML hands to the stream, so a websocket client
	// cannot have text messages sent to a number of its choosing. Default: random per process
	// (set it when several processes serve one number).
	Secret []byte
	// Languages are the keypad's languages: key 1 is the first; default retrieval.Languages
	// (1 sv, 2 en, 3 ar, 4 fa, 5 so, 6 ti, 7 uk).
	Languages []string
	// MaxCall ends a call that lasts longer, counted in wall time and in audio received;
	// default 15 minutes.
	MaxCall time.Duration
	// Idle ends a call when no message arrives for this long; default 30 s.
	Idle time.Duration
	// MaxCalls bounds the calls served at once; default 100.
	MaxCalls int
	// MaxTexts bounds the text messages sent in one call; default 3.
	MaxTexts int
	// VAD tunes end-of-utterance detection; its MaxUtterance defaults to 20 s here.
	VAD speech.VADConfig
	// OnTurn, when set, receives every answered turn (for metrics and tests).
	OnTurn func(speech.Turn)
}

// SMSSender sends a text message.
type SMSSender interface {
	Send(ctx context.Context, to, text string) error
}

// LogSMS is an SMSSender that only logs the message, with the number redacted: the default
// until a real sender is configured.
type LogSMS struct {
	log *slog.Logger
}

// NewLogSMS returns a log-only sender.
func NewLogSMS(log *slog.Logger) *LogSMS { return &LogSMS{log: log} }

// Send logs the message.
func (l *LogSMS) Send(ctx context.Context, to, text string) error {
	l.log.InfoContext(ctx, "text message not sent: log-only sender", "to", Redact(to), "text", text)
	return nil
}

// Redact hides a phone number but its last two digits, for logs.
func Redact(number string) string {
	digits := 0
	for _, r := range number {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' {
			digits--
			if digits >= 2 {
				r = '•'
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Server serves the phone line.
type Server struct {
	voice    *speech.Voice
	sms      SMSSender
	log      *slog.Logger
	cfg      Config
	upgrader websocket.Upgrader
	calls    chan struct{} // one token per call in progress
}

// New returns a phone line answering through v. sms may be nil for the log-only sender.
func New(v *speech.Voice, sms SMSSender, log *slog.Logger, cfg Config) *Server {
	if sms == nil {
		sms = NewLogSMS(log)
	}
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		_, _ = rand.Read(cfg.Secret) // crypto/rand.Read never fails
	}
	if len(cfg.Languages) == 0 {
		cfg.Languages = retrieval.Languages
	}
	if cfg.MaxCall <= 0 {
		cfg.MaxCall = 15 * time.Minute
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Second
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = 100
	}
	if cfg.MaxTexts <= 0 {
		cfg.MaxTexts = 3
	}
	if cfg.VAD.MaxUtterance <= 0 {
		cfg.VAD.MaxUtterance = 20 * time.Second
	}
	return &Server{
		voice: v, sms: sms, log: log, cfg: cfg,
		upgrader: websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096},
		calls:    make(chan struct{}, cfg.MaxCalls),
	}
}

// twiml is the webhook's answer: connect the call to our media stream.
type twiml struct {
	XMLName xml.Name `xml:"Response"`
	Stream  struct {
		URL    string      `xml:"url,attr"`
		Params []parameter `xml:"Parameter"`
	} `xml:"Connect>Stream"`
}

type parameter struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// maxWebhookBytes bounds the webhook's form; Twilio's is about a kilobyte.
const maxWebhookBytes = 64 << 10

// TwiML answers Twilio's voice webhook (POST, form-encoded) with
// <Response><Connect><Stream url="wss://…/phone/stream"/></Connect></Response>, handing the
// caller's number to the stream signed, for text messages.
func (s *Server) TwiML(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if s.cfg.AuthToken != "" && !s.validSignature(r) {
		s.log.WarnContext(r.Context(), "phone webhook: bad X-Twilio-Signature")
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	callSid, from := r.PostForm.Get("CallSid"), r.PostForm.Get("From")
	var resp twiml
	resp.Stream.URL = s.cfg.StreamURL
	if resp.Stream.URL == "" {
		resp.Stream.URL = "wss://" + r.Host + "/phone/stream"
	}
	if from != "" && callSid != "" {
		resp.Stream.Params = []parameter{{"from", from}, {"sig", s.sign(callSid, from)}}
	}
	out, err := xml.Marshal(resp)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.log.InfoContext(r.Context(), "phone call", "from", Redact(from))
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// sign ties a caller's number to a call.
func (s *Server) sign(callSid, from string) string {
	mac := hmac.New(sha256.New, s.cfg.Secret)
	mac.Write([]byte(callSid + "\n" + from))
	return hex.EncodeToString(mac.Sum(nil))
}

// validSignature checks X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the
// full URL followed by each POST parameter's name and value, sorted by name.
func (s *Server) validSignature(r *http.Request) bool {
	u := s.cfg.WebhookURL
	if u == "" {
		u = "https://" + r.Host + r.URL.RequestURI()
	}
	var b strings.Builder
	b.WriteString(u)
	keys := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.PostForm[k] {
			b.WriteString(k + v)
		}
	}
	mac := hmac.New(sha1.New, []byte(s.cfg.AuthToken))
	mac.Write([]byte(b.String()))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(r.Header.Get("X-Twilio-Signature")))
}

// Stream serves one call's media stream websocket.
func (s *Server) Stream(w http.ResponseWriter, r *http.Request) {
	select {
	case s.calls <- struct{}{}:
		defer func() { <-s.calls }()
	default:
		http.Error(w, "too many calls", http.StatusServiceUnavailable)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()
	conn.SetReadLimit(maxMessageBytes)
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.MaxCall)
	defer cancel()
	c := newCall(s, conn)
	c.run(ctx)
}

// validNumber reports whether the stream's parameters carry a number signed by TwiML.
func (s *Server) validNumber(callSid string, params map[string]string) (string, bool) {
	from, sig := params["from"], params["sig"]
	if from == "" || callSid == "" || !hmac.Equal([]byte(sig), []byte(s.sign(callSid, from))) {
		return "", false
	}
	return from, true
}

package phone

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/speech"
)

const (
	// maxMessageBytes bounds one websocket message; a 20 ms media message is about 300 bytes.
	maxMessageBytes = 64 << 10
	// frameBytes is 20 ms of μ-law at 8 kHz, the size of the media messages we send.
	frameBytes = 160
	// phoneRate is the telephone's sample rate.
	phoneRate = 8000
	// writeTimeout bounds one websocket write.
	writeTimeout = 10 * time.Second
)

// call is one phone call: the reader loop (run) feeds the caller's audio to the detector and
// starts activities — the greeting, an answer, a message — one at a time, each in its own
// goroutine; a new one (or the caller speaking over it) cancels and clears the one before.
type call struct {
	s    *Server
	conn *websocket.Conn
	log  *slog.Logger
	vad  *speech.VAD

	wmu       sync.Mutex // serialises writes to conn
	streamSid string

	callSid  string
	from     string // the caller's number, when TwiML signed it
	received int    // samples of caller audio received

	mu       sync.Mutex // guards the fields below, shared with the activities
	lang     string     // the caller's language, "" until chosen or heard
	last     assistant.Answer
	previous string // the last question, for follow-ups
	texts    int    // text messages sent
	marks    int    // marks sent and not yet played back
	markSeq  int
	cancel   context.CancelFunc // the current activity
	wg       sync.WaitGroup
}

func newCall(s *Server, conn *websocket.Conn) *call {
	return &call{s: s, conn: conn, log: s.log, vad: speech.NewVAD(phoneRate, s.cfg.VAD)}
}

// run reads the stream until it stops, fails, idles or runs out of time.
func (c *call) run(ctx context.Context) {
	defer func() {
		c.interrupt(false)
		c.wg.Wait()
	}()
	maxSamples := int(c.s.cfg.MaxCall / time.Second * phoneRate)
	for {
		if ctx.Err() != nil || c.received > maxSamples {
			c.timeUp()
			return
		}
		deadline := time.Now().Add(c.s.cfg.Idle)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = c.conn.SetReadDeadline(deadline)
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				continue // the call's time is up: say so
			}
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				c.log.InfoContext(ctx, "phone stream ended", "err", err)
			}
			return
		}
		ev, err := parseEvent(data)
		if err != nil {
			c.log.WarnContext(ctx, "phone stream: bad message", "err", err)
			return
		}
		if !c.handle(ctx, ev) {
			return
		}
	}
}

// handle acts on one message; false ends the call.
func (c *call) handle(ctx context.Context, ev inbound) bool {
	switch ev.Event {
	case "start":
		if c.streamSid != "" {
			return true // one stream per connection
		}
		c.wmu.Lock()
		c.streamSid = ev.StreamSid
		c.wmu.Unlock()
		c.callSid = ev.Start.CallSid
		c.from, _ = c.s.validNumber(c.callSid, ev.Start.CustomParameters)
		c.log.InfoContext(ctx, "phone stream started", "call", c.callSid, "texts", c.from != "")
		c.begin(ctx, c.greet)
	case "media":
		if c.streamSid == "" || ev.audio == nil {
			return true
		}
		samples := speech.DecodeMulaw(ev.audio)
		c.received += len(samples)
		for _, e := range c.vad.Feed(samples) {
			c.heard(ctx, e)
		}
	case "dtmf":
		c.key(ctx, ev.DTMF.Digit)
	case "mark":
		c.mu.Lock()
		c.marks = max(0, c.marks-1)
		c.mu.Unlock()
	case "stop":
		return false
	}
	return true
}

// heard acts on what the detector noticed: the caller talking over Lots stops it (barge-in);
// the end of an utterance starts an answer.
func (c *call) heard(ctx context.Context, e speech.Event) {
	switch e.Kind {
	case speech.SpeechStarted:
		c.mu.Lock()
		playing := c.marks > 0
		c.mu.Unlock()
		if playing {
			c.interrupt(true)
		}
	case speech.UtteranceEnded:
		utterance := e.Utterance
		c.begin(ctx, func(ctx context.Context) { c.ask(ctx, utterance) })
	}
}

// begin cancels the current activity, clearing what it queued to play, and starts f.
func (c *call) begin(ctx context.Context, f func(context.Context)) {
	c.interrupt(true)
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	c.wg.Go(func() {
		defer cancel()
		f(ctx)
	})
}

// interrupt cancels the current activity and, when clear is set and audio is still queued at
// the far end, drops that audio.
func (c *call) interrupt(clear bool) {
	c.mu.Lock()
	cancel, queued := c.cancel, c.marks > 0
	c.cancel = nil
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if clear && queued {
		_ = c.send(context.Background(), outbound{Event: "clear"})
	}
}

// send writes one message unless ctx is done; ctx is checked under the write lock, so a cancelled
// activity writes nothing after the clear that follows its cancellation.
func (c *call) send(ctx context.Context, m outbound) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	m.StreamSid = c.streamSid
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.conn.WriteJSON(m)
}

// play sends audio as 20 ms μ-law media messages, then a mark to learn when it has been played.
// The mark is counted from the first frame on, so that a barge-in meanwhile clears the frames
// already sent.
func (c *call) play(ctx context.Context, a speech.Audio, _ string) error {
	ulaw := speech.EncodeMulaw(speech.Resample(a, phoneRate).Samples)
	c.mu.Lock()
	c.markSeq++
	name := "lots-" + strconv.Itoa(c.markSeq)
	c.marks++
	c.mu.Unlock()
	err := c.sendAudio(ctx, ulaw)
	if err == nil {
		err = c.send(ctx, outbound{Event: "mark", Mark: &mark{Name: name}})
	}
	if err != nil {
		c.mu.Lock()
		c.marks-- // never sent: no echo will come
		c.mu.Unlock()
	}
	return err
}

func (c *call) sendAudio(ctx context.Context, ulaw []byte) error {
	for off := 0; off < len(ulaw); off += frameBytes {
		chunk := ulaw[off:min(off+frameBytes, len(ulaw))]
		if err := c.send(ctx, outbound{Event: "media", Media: &media{Payload: base64.StdEncoding.EncodeToString(chunk)}}); err != nil {
			return err
		}
	}
	return nil
}

// say speaks one of Lots' own messages in lang.
func (c *call) say(ctx context.Context, lang, key string, vars ...string) {
	c.sayText(ctx, lang, c.s.voice.Engines().Messages().Text(lang, key, vars...))
}

func (c *call) sayText(ctx context.Context, lang, text string) {
	if err := c.s.voice.Say(ctx, lang, text, c.play); err != nil && ctx.Err() == nil {
		c.log.WarnContext(ctx, "phone: could not speak", "lang", lang, "err", err)
	}
}

// greet welcomes the caller (in the first two keypad languages with a voice) and reads the
// keypad menu, each language's line in its own voice.
func (c *call) greet(ctx context.Context) {
	eng := c.s.voice.Engines()
	welcomed := 0
	for _, lang := range c.s.cfg.Languages {
		if eng.CanSpeak(lang) && welcomed < 2 { // Swedish and English, with the local voices
			c.say(ctx, lang, "phone_welcome")
			welcomed++
		}
	}
	for i, lang := range c.s.cfg.Languages {
		if i >= 8 || !eng.CanSpeak(lang) {
			continue // key 9 is for the links; a language without a voice cannot read its line
		}
		c.say(ctx, lang, "phone_menu", "{language}", eng.Messages().Text(lang, "language_"+lang), "{digit}", strconv.Itoa(i+1))
	}
	if lang := c.askLanguage(); lang != "" {
		c.say(ctx, lang, "phone_ask")
	}
}

// key acts on a key the caller pressed.
func (c *call) key(ctx context.Context, digit string) {
	switch {
	case digit == "9":
		c.begin(ctx, c.sendLinks)
	case digit == "0" || digit == "*":
		c.begin(ctx, c.greet)
	case digit >= "1" && digit <= "8":
		i := int(digit[0] - '1')
		if i < len(c.s.cfg.Languages) {
			lang := c.s.cfg.Languages[i]
			c.begin(ctx, func(ctx context.Context) { c.choose(ctx, lang) })
		}
	}
}

// choose makes lang the call's language if Lots can hear and speak it, and otherwise says so.
func (c *call) choose(ctx context.Context, lang string) {
	eng := c.s.voice.Engines()
	if eng.CanSpeak(lang) && eng.CanHear(lang) {
		c.mu.Lock()
		c.lang = lang
		c.mu.Unlock()
		c.say(ctx, lang, "phone_ask")
		return
	}
	c.unavailable(ctx, lang)
}

// unavailable says that lang has no engine: in lang itself when Lots can speak it, otherwise in
// the caller's language, or, before they chose one, in the first two keypad languages with a
// voice (Swedish and English).
func (c *call) unavailable(ctx context.Context, lang string) {
	eng := c.s.voice.Engines()
	var in []string
	c.mu.Lock()
	chosen := c.lang
	c.mu.Unlock()
	switch {
	case eng.CanSpeak(lang):
		in = []string{lang}
	case eng.CanSpeak(chosen):
		in = []string{chosen}
	default:
		for _, l := range c.s.cfg.Languages {
			if eng.CanSpeak(l) && len(in) < 2 {
				in = append(in, l)
			}
		}
	}
	for _, l := range in {
		c.sayText(ctx, l, eng.UnavailableIn(l, lang))
		c.say(ctx, l, "phone_other_language")
	}
}

// ask answers one utterance.
func (c *call) ask(ctx context.Context, audio speech.Audio) {
	c.mu.Lock()
	lang, previous := c.lang, c.previous
	c.mu.Unlock()
	if lang == "" {
		lang = c.askLanguage()
	}
	turn, err := c.s.voice.Ask(ctx, speech.Utterance{Audio: audio, Language: lang, Previous: previous}, c.play)
	switch {
	case ctx.Err() != nil:
		return // the caller spoke again or hung up
	case errors.Is(err, speech.ErrNoEngine):
		c.unavailable(ctx, lang)
		return
	case errors.Is(err, speech.ErrNotHeard):
		c.say(ctx, c.messageLanguage(), "not_heard")
		return
	case err != nil:
		c.log.ErrorContext(ctx, "phone: answer failed", "call", c.callSid, "err", err)
		c.say(ctx, c.messageLanguage(), "not_heard")
		return
	}
	c.mu.Lock()
	c.lang, c.previous = turn.Language, turn.Transcript
	if turn.Answer.Answered {
		c.last = turn.Answer
	}
	c.mu.Unlock()
	// The transcript is not logged: callers say names and identity numbers.
	c.log.InfoContext(ctx, "phone turn", "call", c.callSid, "lang", turn.Language, "answered", turn.Answer.Answered,
		"citations", len(turn.Answer.Citations), "transcribe", turn.Timings.Transcribe,
		"first_audio", turn.Timings.FirstAudio, "voice_to_voice", turn.Timings.FirstAudio+c.endAfter())
	if c.s.cfg.OnTurn != nil {
		c.s.cfg.OnTurn(turn)
	}
	if turn.Answer.Answered && len(turn.Answer.Citations) > 0 {
		c.say(ctx, turn.Language, "phone_links_offer")
	}
}

// endAfter is the silence the detector waits for before it calls an utterance ended: part of
// what the caller waits.
func (c *call) endAfter() time.Duration {
	if d := c.s.cfg.VAD.EndAfter; d > 0 {
		return d
	}
	return 700 * time.Millisecond
}

// sendLinks texts the last answer's citations to the caller.
func (c *call) sendLinks(ctx context.Context) {
	c.mu.Lock()
	ans, texts := c.last, c.texts
	lang := c.lang
	c.mu.Unlock()
	msgLang := c.messageLanguage()
	switch {
	case len(ans.Citations) == 0:
		c.say(ctx, msgLang, "phone_no_links")
		return
	case c.from == "":
		c.log.WarnContext(ctx, "phone: links asked for, but the caller's number is not known", "call", c.callSid)
		return
	case texts >= c.s.cfg.MaxTexts:
		c.log.WarnContext(ctx, "phone: text message limit reached", "call", c.callSid)
		return
	}
	if lang == "" {
		lang = ans.Language
	}
	if err := c.s.sms.Send(ctx, c.from, smsText(c.s.voice.Engines().Messages(), lang, ans)); err != nil {
		c.log.ErrorContext(ctx, "phone: text message failed", "call", c.callSid, "to", Redact(c.from), "err", err)
		return
	}
	c.mu.Lock()
	c.texts++
	c.mu.Unlock()
	c.say(ctx, msgLang, "phone_links_sent")
}

// smsText lists an answer's sources: title, agency and link of each.
func smsText(m *assistant.Messages, lang string, ans assistant.Answer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Lots — %s:", m.Text(lang, assistant.MsgSources))
	for _, cit := range ans.Citations {
		fmt.Fprintf(&b, "\n[%d] %s (%s)\n%s", cit.N, cit.Title, cit.Agency, cit.URL)
	}
	return b.String()
}

// askLanguage is the language an utterance is heard in before the caller chose one: "" when an
// engine can tell the language, otherwise the first keypad language Lots both hears and speaks.
func (c *call) askLanguage() string {
	eng := c.s.voice.Engines()
	c.mu.Lock()
	lang := c.lang
	c.mu.Unlock()
	if lang != "" {
		return lang
	}
	if eng.AutoTranscriber() != nil {
		return ""
	}
	for _, l := range c.s.cfg.Languages {
		if eng.CanHear(l) && eng.CanSpeak(l) {
			return l
		}
	}
	return ""
}

// messageLanguage is the language Lots speaks its own messages in: the caller's when it has a
// voice, otherwise the first keypad language that has one.
func (c *call) messageLanguage() string {
	eng := c.s.voice.Engines()
	c.mu.Lock()
	lang := c.lang
	c.mu.Unlock()
	if eng.CanSpeak(lang) {
		return lang
	}
	if i := slices.IndexFunc(c.s.cfg.Languages, eng.CanSpeak); i >= 0 {
		return c.s.cfg.Languages[i]
	}
	return ""
}

// timeUp says goodbye when the call has lasted MaxCall, giving the farewell time to play.
func (c *call) timeUp() {
	c.interrupt(true)
	lang := c.messageLanguage()
	if lang == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var length time.Duration
	err := c.s.voice.Say(ctx, lang, c.s.voice.Engines().Messages().Text(lang, "phone_time_up"), func(ctx context.Context, a speech.Audio, text string) error {
		length += a.Duration()
		return c.play(ctx, a, text)
	})
	if err != nil {
		return
	}
	// Closing the stream ends the call: wait until the farewell has played.
	timer := time.NewTimer(min(length, 10*time.Second))
	defer timer.Stop()
	<-timer.C
}

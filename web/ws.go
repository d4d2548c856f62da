package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/web/auth"
)

const (
	maxMessage = 16 << 10 // a message the protocol accepts; larger ones get error too_large
	hardLimit  = 1 << 20  // a frame larger than this closes the connection (1009)
	pingEvery  = 30 * time.Second
	pongWait   = 60 * time.Second
	writeWait  = 10 * time.Second
	queuedAsks = 4 // questions waiting behind the one being answered
)

// inbound is any client message; which fields count depends on Type.
type inbound struct {
	Type         string            `json:"type"`
	ID           string            `json:"id"`
	Text         string            `json:"text"`
	Language     string            `json:"language"`
	Conversation string            `json:"conversation"`
	AnswerID     string            `json:"answer_id"`
	Rating       string            `json:"rating"`
	Comment      string            `json:"comment"`
	Process      string            `json:"process"` // handoff.accept, handoff.decline
	Fields       map[string]string `json:"fields"`  // handoff.accept: the details the person confirmed

	recording []byte // a finished spoken question, handed from the reader to the answerer
}

// outbound is any server message.
type outbound map[string]any

// frame is one websocket message to send: JSON, or binary audio.
type frame struct {
	msg outbound
	bin []byte
}

func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: no cross-site hijacking possible
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(s.cfg.AllowedOrigins, func(o string) bool { return strings.EqualFold(strings.TrimSuffix(o, "/"), origin) })
}

// websocket upgrades the request and runs the chat protocol until the peer leaves. The
// handler returns right after the upgrade, so an idle connection holds no HTTP buffers, only
// its websocket and goroutines.
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	if n := s.conns.Add(1); n > int64(s.cfg.MaxConnections) {
		s.conns.Add(-1)
		w.Header().Set("Retry-After", "30")
		http.Error(w, "too many connections; try again in a minute", http.StatusServiceUnavailable)
		return
	}
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 2048, WriteBufferPool: &s.writeBuffers,
		CheckOrigin: s.checkOrigin, HandshakeTimeout: 10 * time.Second}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.conns.Add(-1)
		return // the upgrader has answered (403 for a foreign origin)
	}
	c := &client{
		s: s, conn: conn, ip: s.clientIP(r),
		send:   make(chan frame, 64),
		asks:   make(chan inbound, queuedAsks),
		limit:  rate.NewLimiter(rate.Every(time.Minute/time.Duration(s.cfg.AsksPerMinute)), max(3, s.cfg.AsksPerMinute/4)),
		closed: make(chan struct{}),
	}
	// A signed-in person's offers to start a process go to their own space.
	if u, ok := auth.UserFrom(r.Context()); ok {
		if cookie, err := r.Cookie(auth.SessionCookie); err == nil {
			c.user, c.session = &u, cookie.Value
		}
	}
	// The request's context ends with this handler; the connection lives on until the peer
	// leaves or the server shuts down.
	go func() {
		defer s.conns.Add(-1)
		c.run(context.WithoutCancel(r.Context()))
	}()
}

// client is one websocket connection.
type client struct {
	s      *Server
	conn   *websocket.Conn
	ip     string
	send   chan frame
	asks   chan inbound
	limit  *rate.Limiter
	closed chan struct{}

	// Conversation state, owned by the answering goroutine. A conversation is stored only when
	// its first question is asked, so visitors who never ask cost no row.
	conversation string
	stored       bool
	lang         string
	previous     string
	answers      map[string]spokenAnswer // the answering goroutine's: answers that can be read aloud

	rec *recording // the reader's: a spoken question being received

	// The own space (space_handoff.go), owned by the answering goroutine.
	user      *auth.User        // who opened the websocket, if signed in
	session   string            // their session's token, to check it still lasts
	questions []string          // the last questions, in memory only, read for details to pre-fill
	offers    map[string]*offer // by process id: the offers made on this connection
}

func (c *client) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.s.shuttingDown, func() { c.conn.Close() })
	defer stop()
	go c.writer(ctx)
	go c.answerer(ctx)
	c.reader(ctx)
	close(c.closed)
	c.conn.Close()
}

// reader reads messages until the peer leaves or breaks the protocol beyond repair.
func (c *client) reader(ctx context.Context) {
	c.conn.SetReadLimit(hardLimit)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(pongWait))
		if kind == websocket.BinaryMessage {
			c.voiceData(data)
			continue
		}
		if len(data) > maxMessage {
			c.error("", "too_large", fmt.Sprintf("a message may be at most %d bytes", maxMessage))
			continue
		}
		var m inbound
		if err := json.Unmarshal(data, &m); err != nil {
			c.error("", "bad_request", "malformed JSON")
			continue
		}
		switch m.Type {
		case "hello":
			c.enqueue(m)
		case "ask":
			if strings.TrimSpace(m.Text) == "" {
				c.error(m.ID, "bad_request", "ask needs text")
				continue
			}
			if !c.limit.Allow() || !c.s.ips.allow(c.ip) {
				c.error(m.ID, "rate_limited", "too many questions; wait a minute")
				continue
			}
			c.enqueue(m)
		case "feedback":
			c.enqueue(m)
		case "handoff.accept", "handoff.decline":
			if strings.TrimSpace(m.Process) == "" {
				c.error(m.ID, "bad_request", m.Type+" needs process")
				continue
			}
			if !c.limit.Allow() {
				c.error(m.ID, "rate_limited", "too many requests; wait a minute")
				continue
			}
			c.enqueue(m)
		case "voice.start":
			c.voiceStart(m)
		case "voice.end":
			if !c.limit.Allow() || !c.s.ips.allow(c.ip) {
				c.rec = nil
				c.error(m.ID, "rate_limited", "too many questions; wait a minute")
				continue
			}
			c.voiceEnd(m)
		case "speak":
			if !c.limit.Allow() {
				c.error(m.ID, "rate_limited", "too many requests; wait a minute")
				continue
			}
			c.enqueue(m)
		case "ping":
			c.out(outbound{"type": "pong"})
		default:
			c.error(m.ID, "bad_request", fmt.Sprintf("unknown message type %q", m.Type))
		}
	}
}

// enqueue hands a message to the answering goroutine, or refuses it when too many wait.
func (c *client) enqueue(m inbound) {
	select {
	case c.asks <- m:
	default:
		c.error(m.ID, "rate_limited", "too many questions at once; wait for the answers")
	}
}

// writer is the connection's only writer: messages in order, and pings.
func (c *client) writer(ctx context.Context) {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case f := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			var err error
			if f.bin != nil {
				err = c.conn.WriteMessage(websocket.BinaryMessage, f.bin)
			} else {
				err = c.conn.WriteJSON(f.msg)
			}
			if err != nil {
				c.conn.Close()
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.conn.Close()
				return
			}
		case <-c.closed:
			return
		case <-ctx.Done():
			return
		}
	}
}

// out queues a message; a peer that does not read its messages is dropped.
func (c *client) out(m outbound) { c.queue(frame{msg: m}) }

// outBinary queues a binary message.
func (c *client) outBinary(b []byte) { c.queue(frame{bin: b}) }

func (c *client) queue(f frame) {
	select {
	case c.send <- f:
	case <-c.closed:
	case <-time.After(writeWait):
		c.conn.Close()
	}
}

func (c *client) error(id, code, message string) {
	m := outbound{"type": "error", "code": code, "message": message}
	if id != "" {
		m["id"] = id
	}
	c.out(m)
}

// answerer handles hello, ask and feedback one at a time, so answers never interleave.
func (c *client) answerer(ctx context.Context) {
	for {
		select {
		case <-c.closed:
			return
		case m := <-c.asks:
			switch m.Type {
			case "hello":
				c.hello(ctx, m)
			case "ask":
				c.ask(ctx, m)
			case "feedback":
				c.feedback(ctx, m)
			case "voice.transcribe":
				c.transcribe(ctx, m)
			case "speak":
				c.speak(ctx, m)
			case "handoff.accept":
				c.handoffAccept(ctx, m)
			case "handoff.decline":
				c.handoffDecline(m)
			}
		}
	}
}

func (c *client) hello(ctx context.Context, m inbound) {
	if slices.Contains(retrieval.Languages, m.Language) {
		c.lang = m.Language
	}
	if m.Conversation != "" {
		lang, turns, err := c.s.convs.Turns(ctx, m.Conversation)
		switch {
		case err == nil:
			c.conversation, c.stored = m.Conversation, true
			if c.lang == "" {
				c.lang = lang
			}
			if len(turns) > 0 {
				c.previous = turns[len(turns)-1].Question
			}
			c.out(c.ready(true, turns))
			return
		case !errors.Is(err, assistant.ErrNoConversation):
			c.s.log.ErrorContext(ctx, "resume conversation", "err", err)
			c.error("", "unavailable", "the service cannot resume the conversation now")
			return
		}
	}
	if c.lang == "" {
		c.lang = "sv"
	}
	c.conversation, c.stored, c.previous = newUUID(), false, ""
	c.out(c.ready(false, nil))
}

// ready is the ready message: the conversation, and what the server can hear and speak.
func (c *client) ready(resumed bool, turns []assistant.Turn) outbound {
	if turns == nil {
		turns = []assistant.Turn{}
	}
	m := outbound{"type": "ready", "conversation": c.conversation, "language": c.lang, "resumed": resumed, "turns": turns,
		"signed_in": c.user != nil}
	if v := c.s.cfg.Voice; v != nil {
		m["voice"] = map[string][]string{"hear": v.Hears(), "speak": v.Speaks()}
	}
	return m
}

// store saves the conversation at its first question.
func (c *client) store(ctx context.Context) error {
	if c.stored {
		return nil
	}
	if err := c.s.convs.Start(ctx, c.conversation, c.lang); err != nil {
		c.s.log.ErrorContext(ctx, "start conversation", "err", err)
		c.error("", "unavailable", "the service cannot start a conversation now")
		return err
	}
	c.stored = true
	return nil
}

func (c *client) ask(ctx context.Context, m inbound) {
	lang := m.Language
	if !slices.Contains(retrieval.Languages, lang) {
		lang = c.lang // the asker's choice in hello; detected when none
	}
	if c.conversation == "" {
		if c.lang == "" {
			c.lang = "sv"
		}
		c.conversation = newUUID()
		c.out(c.ready(false, nil))
	}
	if c.store(ctx) != nil {
		return
	}
	answerID := newUUID()
	c.out(outbound{"type": "answer.start", "id": m.ID, "answer_id": answerID})
	actx, cancel := context.WithTimeout(ctx, c.s.cfg.AnswerTimeout)
	defer cancel()
	stream := func(delta string, reset bool) {
		if reset {
			c.out(outbound{"type": "answer.reset", "answer_id": answerID})
			return
		}
		c.out(outbound{"type": "answer.delta", "answer_id": answerID, "text": delta})
	}
	q := assistant.Question{Text: m.Text, Language: lang, Previous: c.previous}
	intent, wish := c.detectWish(actx, m.Text)
	var ans assistant.Answer
	var err error
	if wish {
		ans, err = c.answerWish(actx, q, intent)
		if err == nil {
			stream(ans.Answer, false)
		}
	} else {
		ans, err = c.s.asst.Stream(actx, q, stream)
	}
	if err != nil {
		if errors.Is(err, assistant.ErrEmptyQuestion) {
			c.error(m.ID, "bad_request", err.Error())
		} else {
			c.s.log.ErrorContext(ctx, "answer", "err", err)
			c.error(m.ID, "unavailable", "the service cannot answer now; try again later")
		}
		return
	}
	// The turn is stored before answer.done, so a reconnect right after it finds the turn; and
	// with its own deadline, so a peer leaving now does not lose it.
	turn := assistant.Turn{AnswerID: answerID, Question: m.Text, Language: ans.Language, Answer: ans.Answer,
		Answered: ans.Answered, Citations: ans.Citations, Confidence: ans.Coverage}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	if _, err := c.s.convs.AddTurn(sctx, c.conversation, turn); err != nil {
		c.s.log.WarnContext(ctx, "store turn", "err", err)
	}
	scancel()
	c.previous = m.Text
	c.rememberQuestion(m.Text)
	c.remember(answerID, ans.Answer, ans.Language)
	c.out(outbound{"type": "answer.citations", "answer_id": answerID, "citations": ans.Citations})
	c.out(outbound{"type": "answer.done", "answer_id": answerID, "answered": ans.Answered, "language": ans.Language})
	if wish {
		c.offerHandoff(ctx, intent, ans)
	}
}

func (c *client) feedback(ctx context.Context, m inbound) {
	if m.AnswerID == "" || (m.Rating != "helpful" && m.Rating != "not_helpful") {
		c.error(m.ID, "bad_request", "feedback needs answer_id and rating helpful or not_helpful")
		return
	}
	if len(m.Comment) > 2000 {
		c.error(m.ID, "too_large", "a comment may be at most 2000 bytes")
		return
	}
	err := c.s.convs.SaveFeedback(ctx, m.AnswerID, m.Rating, m.Comment)
	switch {
	case errors.Is(err, assistant.ErrNoAnswer):
		c.error(m.ID, "bad_request", "no such answer")
	case err != nil:
		c.s.log.ErrorContext(ctx, "feedback", "err", err)
		c.error(m.ID, "unavailable", "the service cannot store feedback now")
	default:
		c.out(outbound{"type": "feedback.saved", "answer_id": m.AnswerID})
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web"
)

// lotsServer is the chat server on loopback over a real database holding the demo corpus.
type lotsServer struct {
	*httptest.Server
	store *store.Store
}

// newServer starts a chat server over a fresh database holding the demo corpus.
func newServer(t *testing.T, cfg web.Config) *lotsServer {
	t.Helper()
	return newServerWith(t, cfg, nil)
}

// newServerWith starts a chat server; withAssistant may complete the configuration with parts
// built on the server's assistant (the voice pipeline).
func newServerWith(t *testing.T, cfg web.Config, withAssistant func(*assistant.Assistant, *web.Config)) *lotsServer {
	t.Helper()
	st := ingesttest.DemoStore(t)
	asst := assistantFor(t, st)
	if withAssistant != nil {
		withAssistant(asst, &cfg)
	}
	_, ts := serve(t, asst, st.Pool(), cfg)
	return &lotsServer{Server: ts, store: st}
}

// assistantFor is the assistant over the corpus in st, with the local embedder.
func assistantFor(t *testing.T, st *store.Store) *assistant.Assistant {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	searcher := retrieval.NewSearcher(st, retrieval.NewLocal(0), retrieval.DefaultThresholds["local"], log)
	return assistant.New(searcher, nil, msgs, log, assistant.Config{})
}

// serve builds the server with asst (nil: no chat) over pool and serves it on loopback until
// the test ends.
func serve(t *testing.T, asst *assistant.Assistant, pool *pgxpool.Pool, cfg web.Config) (*web.Server, *httptest.Server) {
	t.Helper()
	srv, err := web.New(asst, assistant.NewConversations(pool, time.Hour), pool, slog.New(slog.DiscardHandler), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

func (s *lotsServer) dial(t *testing.T, origin string) *websocket.Conn {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws", h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

type message map[string]any

func send(t *testing.T, c *websocket.Conn, m any) {
	t.Helper()
	if err := c.WriteJSON(m); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, c *websocket.Conn) message {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m message
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// askAndCollect asks and reads until answer.done, returning the messages in order.
func askAndCollect(t *testing.T, c *websocket.Conn, id, text, lang string) []message {
	t.Helper()
	send(t, c, message{"type": "ask", "id": id, "text": text, "language": lang})
	var got []message
	for {
		m := recv(t, c)
		got = append(got, m)
		if m["type"] == "answer.done" || m["type"] == "error" {
			return got
		}
	}
}

func types(ms []message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m["type"].(string))
	}
	return out
}

func TestProtocolAnswerStreamsInOrderAndResumes(t *testing.T) {
	s := newServer(t, web.Config{})
	c := s.dial(t, s.URL)
	send(t, c, message{"type": "hello", "language": "ar"})
	ready := recv(t, c)
	if ready["type"] != "ready" || ready["language"] != "ar" || ready["resumed"] != false {
		t.Fatalf("hello: %v", ready)
	}
	conv := ready["conversation"].(string)

	got := askAndCollect(t, c, "q1", "كيف أحصل على رقم شخصي؟", "")
	ts := types(got)
	if ts[0] != "answer.start" || ts[len(ts)-2] != "answer.citations" || ts[len(ts)-1] != "answer.done" {
		t.Fatalf("message order %v; want answer.start, answer.delta…, answer.citations, answer.done", ts)
	}
	var text strings.Builder
	deltas := 0
	for _, m := range got {
		if m["type"] == "answer.delta" {
			deltas++
			text.WriteString(m["text"].(string))
		}
	}
	if deltas < 2 {
		t.Errorf("the answer came in %d delta(s); it should stream in pieces", deltas)
	}
	if got[0]["id"] != "q1" {
		t.Errorf("answer.start does not echo the question's id: %v", got[0])
	}
	cites := got[len(got)-2]["citations"].([]any)
	first := cites[0].(map[string]any)
	if !strings.HasSuffix(first["url"].(string), "/skatteverket/ar/personal-identity-number") || first["language"] != "ar" {
		t.Errorf("first citation %v; want the Arabic personal identity number page", first)
	}
	done := got[len(got)-1]
	if done["answered"] != true || done["language"] != "ar" || !strings.Contains(text.String(), "[1]") {
		t.Errorf("done %v, text %q", done, text.String())
	}
	answerID := done["answer_id"].(string)

	// Feedback is stored.
	send(t, c, message{"type": "feedback", "answer_id": answerID, "rating": "helpful", "comment": "bra! ring mig 070-123 45 67"})
	if m := recv(t, c); m["type"] != "feedback.saved" {
		t.Fatalf("feedback: %v", m)
	}
	var rating, comment string
	if err := s.store.Pool().QueryRow(context.Background(), "SELECT rating, comment FROM feedback WHERE answer_id = $1", answerID).Scan(&rating, &comment); err != nil {
		t.Fatal(err)
	}
	if rating != "helpful" || strings.Contains(comment, "070") {
		t.Errorf("stored feedback %q %q; want the rating, and the phone number redacted", rating, comment)
	}

	// A follow-up leans on the previous question's topic.
	got = askAndCollect(t, c, "q2", "وما الوثائق التي يجب أن أحضرها معي؟", "")
	cites = got[len(got)-2]["citations"].([]any)
	if len(cites) == 0 || !strings.Contains(cites[0].(map[string]any)["url"].(string), "personal-identity-number") {
		t.Errorf("follow-up cited %v; want the personal identity number page again", cites)
	}

	// A reconnect with the conversation id resumes it, with its turns.
	c.Close()
	c2 := s.dial(t, s.URL)
	send(t, c2, message{"type": "hello", "conversation": conv})
	ready = recv(t, c2)
	if ready["resumed"] != true || ready["conversation"] != conv || len(ready["turns"].([]any)) != 2 {
		t.Fatalf("resume: %v", ready)
	}
	// An identity number in a question is never stored.
	askAndCollect(t, c2, "q3", "Mitt personnummer är 850709-9805, hur får jag id-kort?", "sv")
	var n int
	if err := s.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM turns WHERE question LIKE '%850709%'").Scan(&n); err != nil || n != 0 {
		t.Errorf("an identity number was stored (%d turns, %v)", n, err)
	}
}

func TestProtocolErrors(t *testing.T) {
	s := newServer(t, web.Config{AsksPerMinute: 6})
	tests := []struct {
		name string
		send func(c *websocket.Conn)
		code string
	}{
		{"malformed JSON", func(c *websocket.Conn) { c.WriteMessage(websocket.TextMessage, []byte(`{"type": "ask", `)) }, "bad_request"},
		{"unknown type", func(c *websocket.Conn) { c.WriteJSON(message{"type": "teleport"}) }, "bad_request"},
		{"empty question", func(c *websocket.Conn) { c.WriteJSON(message{"type": "ask", "id": "x", "text": "  "}) }, "bad_request"},
		{"binary frame", func(c *websocket.Conn) { c.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}) }, "bad_request"},
		{"oversize message", func(c *websocket.Conn) {
			c.WriteJSON(message{"type": "ask", "id": "x", "text": strings.Repeat("personnummer ", 2000)})
		}, "too_large"},
		{"feedback for nothing", func(c *websocket.Conn) {
			c.WriteJSON(message{"type": "feedback", "answer_id": "00000000-0000-4000-8000-000000000000", "rating": "helpful"})
		}, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial(t, "")
			tt.send(c)
			m := recv(t, c)
			if m["type"] != "error" || m["code"] != tt.code {
				t.Fatalf("got %v, want error %s", m, tt.code)
			}
			// The connection survives a bad message.
			send(t, c, message{"type": "ping"})
			if m := recv(t, c); m["type"] != "pong" {
				t.Fatalf("after the error: %v, want pong", m)
			}
		})
	}

	t.Run("flood", func(t *testing.T) {
		c := s.dial(t, "")
		for i := range 12 {
			send(t, c, message{"type": "ask", "id": string(rune('a' + i)), "text": "Hur får jag ett personnummer?", "language": "sv"})
		}
		limited := false
		deadline := time.Now().Add(20 * time.Second)
		for !limited && time.Now().Before(deadline) {
			if m := recv(t, c); m["type"] == "error" && m["code"] == "rate_limited" {
				limited = true
			}
		}
		if !limited {
			t.Fatal("a flood of questions was never rate limited")
		}
	})

	t.Run("frame over 1 MiB closes", func(t *testing.T) {
		c := s.dial(t, "")
		c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 2<<20)))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Fatalf("read after a 2 MiB frame: %v, want close 1009", err)
		}
	})

	t.Run("foreign origin", func(t *testing.T) {
		h := http.Header{"Origin": {"https://evil.example"}}
		_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws", h)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("foreign origin: err %v, response %v; want 403", err, resp)
		}
	})
}

func TestConnectionLimit(t *testing.T) {
	s := newServer(t, web.Config{MaxConnections: 2})
	s.dial(t, "")
	s.dial(t, "")
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third connection: %v %v; want 503", err, resp)
	}
}

func TestAPIAsk(t *testing.T) {
	s := newServer(t, web.Config{})
	tests := []struct {
		name, body string
		status     int
		check      func(t *testing.T, body map[string]any)
	}{
		{"answer", `{"question": "Як отримати персональний ідентифікаційний номер?"}`, 200, func(t *testing.T, b map[string]any) {
			if b["answered"] != true || b["language"] != "uk" || len(b["citations"].([]any)) == 0 {
				t.Errorf("answer %v", b)
			}
		}},
		{"malformed", `{"question": `, 400, func(t *testing.T, b map[string]any) {
			if b["code"] != "bad_request" {
				t.Errorf("%v", b)
			}
		}},
		{"bad language", `{"question": "hej", "language": "de"}`, 400, nil},
		{"too large", `{"question": "` + strings.Repeat("a", 20000) + `"}`, 413, func(t *testing.T, b map[string]any) {
			if b["code"] != "too_large" {
				t.Errorf("%v", b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(s.URL+"/api/ask", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			var b map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, b)
			}
		})
	}
}

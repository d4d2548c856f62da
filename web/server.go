// Package web serves Lots to people: the chat page (with a no-JavaScript fallback), the
// websocket chat protocol, and the JSON API for integrators.
package web

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/retrieval"
)

//go:embed templates static i18n
var files embed.FS

// Config sets the server's limits.
type Config struct {
	Addr            string        // listen address, e.g. 127.0.0.1:8080
	AllowedOrigins  []string      // origins allowed to open the websocket besides the server's own
	MaxConnections  int           // websocket connections at once; default 20,000
	AnswerTimeout   time.Duration // per answer; default 30s
	Retention       time.Duration // how long conversations are kept; default 30 days
	AsksPerMinute   int           // per connection and per IP address; default 20
	TrustProxy      bool          // take the client address from X-Forwarded-For (behind a proxy)
	ShutdownTimeout time.Duration // default 10s
	Voice           Voice         // speech engines; nil: no voice
	Auth            AuthConfig    // sign-in: accounts, passkeys, OpenID Connect (signin.go)
	Space           SpaceConfig   // the own space: process catalog, drafts, handoff (space.go)
	Console         ConsoleConfig // the stewards' console (console.go)
	// Mount adds routes outside the chat (the phone line, a smart-speaker skill), by pattern
	// such as "POST /alexa"; they get the access log and security headers only.
	Mount map[string]http.Handler
}

// names of the supported languages in their own language, for the picker.
var languageNames = map[string]string{
	"sv": "Svenska", "en": "English", "ar": "العربية", "fa": "فارسی", "so": "Soomaali", "ti": "ትግርኛ", "uk": "Українська",
}

// Pinger reports whether the database answers, for the readiness endpoint.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server is the HTTP and websocket server.
type Server struct {
	asst    *assistant.Assistant
	convs   *assistant.Conversations
	db      Pinger
	log     *slog.Logger
	cfg     Config
	page    *template.Template
	views   map[string]*template.Template // templates/views/*.html, each inside the layout
	strings map[string]map[string]string
	// chatJSON is, by language, the chat's own strings (i18n/<lang>.json) as JSON for app.js:
	// made once, and without the other areas' strings, which the chat page does not use.
	chatJSON map[string]string
	conns    atomic.Int64
	ips      *ipLimiter
	static   http.Handler
	// writeBuffers are shared by the websockets: an idle connection holds none.
	writeBuffers sync.Pool
	// shuttingDown ends when Run shuts the server down; hijacked websockets close then.
	shuttingDown context.Context
	shutdown     context.CancelFunc
}

// New builds a Server; it fails when a template or a language's UI strings are missing.
func New(asst *assistant.Assistant, convs *assistant.Conversations, db Pinger, log *slog.Logger, cfg Config) (*Server, error) {
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 20000
	}
	// Past the open-file limit accept fails and net/http retries in silence; below it the
	// connection cap answers a clear 503. Keep room for the database pool and files.
	if limit := openFileLimit(); limit > 0 && cfg.MaxConnections > limit-256 {
		cfg.MaxConnections = max(1, limit-256)
		log.Info("websocket connections capped by the open-file limit", "max_connections", cfg.MaxConnections, "open_files", limit)
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = 30 * time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.AsksPerMinute <= 0 {
		cfg.AsksPerMinute = 20
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Space.AbandonAfter <= 0 {
		cfg.Space.AbandonAfter = space.DefaultAbandonAfter
	}
	page, err := template.ParseFS(files, "templates/page.html", "templates/language.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse page template: %w", err)
	}
	views, err := parseViews(files)
	if err != nil {
		return nil, err
	}
	strs, chatJSON, err := loadStrings()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	shuttingDown, shutdown := context.WithCancel(context.Background())
	return &Server{
		asst: asst, convs: convs, db: db, log: log, cfg: cfg, page: page, views: views, strings: strs, chatJSON: chatJSON,
		shuttingDown: shuttingDown, shutdown: shutdown,
		ips:    newIPLimiter(rate.Every(time.Minute/time.Duration(cfg.AsksPerMinute)), max(3, cfg.AsksPerMinute/4)),
		static: http.StripPrefix("/static/", http.FileServerFS(static)),
	}, nil
}

// loadStrings reads the UI strings of every language, i18n/<lang>.json and i18n/<area>.<lang>.json
// merged, and checks every language has the keys English has and no key is defined twice. It
// also returns, by language, the chat's own strings (i18n/<lang>.json) as JSON, for app.js.
func loadStrings() (strs map[string]map[string]string, chatJSON map[string]string, err error) {
	strs, chatJSON = map[string]map[string]string{}, map[string]string{}
	for _, lang := range retrieval.Languages {
		names, err := stringsFiles(files, lang)
		if err != nil {
			return nil, nil, fmt.Errorf("web: UI strings for %s: %w", lang, err)
		}
		m := map[string]string{}
		for i, name := range names {
			data, err := files.ReadFile(name)
			if err != nil {
				return nil, nil, fmt.Errorf("web: UI strings for %s: %w", lang, err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(data, &part); err != nil {
				return nil, nil, fmt.Errorf("web: UI strings %s: %w", name, err)
			}
			if i == 0 { // i18n/<lang>.json, the chat's
				js, err := json.Marshal(part)
				if err != nil {
					return nil, nil, fmt.Errorf("web: UI strings %s: %w", name, err)
				}
				chatJSON[lang] = string(js)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, nil, fmt.Errorf("web: UI string %q defined twice for %s (again in %s)", k, lang, name)
				}
				m[k] = v
			}
		}
		strs[lang] = m
	}
	for lang, m := range strs {
		for key := range strs["en"] {
			if blank(m[key]) {
				return nil, nil, fmt.Errorf("web: UI string %q missing in %s", key, lang)
			}
		}
	}
	return strs, chatJSON, nil
}

// Handler returns the server's routes with access logging and security headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("POST /ask", s.askForm)
	mux.HandleFunc("POST /api/ask", s.apiAsk)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /static/", s.static)
	signedIn := sessionMux{mux: mux, s: s}
	signedIn.HandleFunc("GET /ws", s.websocket)
	s.signinRoutes(signedIn)
	s.spaceRoutes(signedIn)
	s.consoleRoutes(signedIn)
	for pattern, h := range s.cfg.Mount {
		mux.Handle(pattern, h)
	}
	return s.accessLog(securityHeaders(mux))
}

// Run serves until ctx is cancelled, then shuts down gracefully; it also deletes expired
// conversations every hour.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go s.retentionLoop(ctx)
	go s.catalogLoop(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	srv.RegisterOnShutdown(s.shutdown)
	timeout, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(timeout); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func (s *Server) retentionLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		s.spaceRetention(ctx)
		s.consoleRetention(ctx)
		if n, err := s.convs.DeleteExpired(ctx); err != nil {
			s.log.WarnContext(ctx, "retention", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "retention: deleted expired conversations", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// pageLanguage picks the page's language: ?lang=, the form's language, the Accept-Language
// header, or Swedish.
func pageLanguage(r *http.Request) string {
	for _, l := range []string{r.URL.Query().Get("lang"), r.PostFormValue("language")} {
		if slices.Contains(retrieval.Languages, l) {
			return l
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if primary == "prs" { // Dari reads Persian
			primary = "fa"
		}
		if slices.Contains(retrieval.Languages, primary) {
			return primary
		}
	}
	return "sv"
}

func dir(lang string) string {
	if lang == "ar" || lang == "fa" {
		return "rtl"
	}
	return "ltr"
}

func (s *Server) pageData(lang string) PageData {
	return PageData{Lang: lang, Dir: dir(lang), T: s.strings[lang], StringsJSON: s.chatJSON[lang],
		Languages: languageOptions(lang), Path: "/"}
}

// languageOptions are the language picker's entries, lang selected.
func languageOptions(lang string) []LanguageOption {
	out := make([]LanguageOption, len(retrieval.Languages))
	for i, l := range retrieval.Languages {
		out[i] = LanguageOption{Code: l, Name: languageNames[l], Dir: dir(l), Selected: l == lang}
	}
	return out
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	d := s.pageData(pageLanguage(r))
	d.CSRFToken = s.csrfCookie(w, r)
	s.render(w, http.StatusOK, d)
}

// askForm answers a question posted without JavaScript, rendering the answer server-side.
func (s *Server) askForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	lang := pageLanguage(r)
	d := s.pageData(lang)
	d.CSRFToken = s.csrfCookie(w, r)
	if !checkCSRF(r) {
		d.Error = d.T["error_bad_request"]
		s.render(w, http.StatusForbidden, d)
		return
	}
	if !s.ips.allow(s.clientIP(r)) {
		d.Error = d.T["error_rate_limited"]
		s.render(w, http.StatusTooManyRequests, d)
		return
	}
	d.Question = strings.TrimSpace(r.PostFormValue("question"))
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.AnswerTimeout)
	defer cancel()
	ans, err := s.asst.Answer(ctx, assistant.Question{Text: d.Question, Language: lang})
	switch {
	case errors.Is(err, assistant.ErrEmptyQuestion):
		d.Error = d.T["error_bad_request"]
		s.render(w, http.StatusBadRequest, d)
		return
	case err != nil:
		s.log.ErrorContext(ctx, "answer", "err", err)
		d.Error = d.T["error_unavailable"]
		s.render(w, http.StatusServiceUnavailable, d)
		return
	}
	d.Answer = &AnswerView{Answer: ans, Dir: dir(ans.Language)}
	s.render(w, http.StatusOK, d)
}

func (s *Server) render(w http.ResponseWriter, status int, d PageData) {
	var b strings.Builder
	if err := s.page.ExecuteTemplate(&b, "page.html", d); err != nil {
		s.log.Error("render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// apiAsk is POST /api/ask: {"question": "...", "language": "ar"} → the `lots ask --json` answer.
func (s *Server) apiAsk(w http.ResponseWriter, r *http.Request) {
	if !s.ips.allow(s.clientIP(r)) {
		writeJSONError(w, http.StatusTooManyRequests, "rate_limited", "too many questions; wait a minute")
		return
	}
	var req struct {
		Question string `json:"question"`
		Language string `json:"language"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxMessage))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "too_large", "the request is larger than 16 KiB")
			return
		}
		writeJSONError(w, http.StatusBadRequest, "bad_request", "want a JSON object {\"question\": \"...\", \"language\": \"sv\"}")
		return
	}
	if req.Language != "" && !slices.Contains(retrieval.Languages, req.Language) {
		writeJSONError(w, http.StatusBadRequest, "bad_request", "language must be one of "+strings.Join(retrieval.Languages, ", "))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.AnswerTimeout)
	defer cancel()
	ans, err := s.asst.Answer(ctx, assistant.Question{Text: req.Question, Language: req.Language})
	switch {
	case errors.Is(err, assistant.ErrEmptyQuestion):
		writeJSONError(w, http.StatusBadRequest, "bad_request", "the question is empty")
		return
	case err != nil:
		s.log.ErrorContext(ctx, "answer", "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "the service cannot answer now; try again later")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(ans)
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": message})
}

const csrfCookie = "lots_csrf"

// csrfCookie returns the request's CSRF token, setting a new cookie when it has none: the
// no-JavaScript form sends it back (double submit), which a foreign site cannot read.
func (s *Server) csrfCookie(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	return s.rotateCSRF(w, r)
}

// rotateCSRF sets a new CSRF cookie and returns its token: when a request has none, and at
// sign-in and sign-out.
func (s *Server) rotateCSRF(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteStrictMode})
	return token
}

// checkCSRF reports whether a posted form carries the request's CSRF cookie in its "csrf" field
// (double submit). Every form that changes something checks it.
func checkCSRF(r *http.Request) bool { return csrfMatches(r, r.PostFormValue("csrf")) }

// checkCSRFHeader is checkCSRF for scripts: the token comes in the X-CSRF-Token header.
func checkCSRFHeader(r *http.Request) bool { return csrfMatches(r, r.Header.Get("X-CSRF-Token")) }

// csrfMatches reports whether token is the request's CSRF cookie.
func csrfMatches(r *http.Request, token string) bool {
	cookie, err := r.Cookie(csrfCookie)
	return err == nil && len(cookie.Value) >= 32 && subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(token)) == 1
}

// clientIP is the peer's address, or the first X-Forwarded-For entry behind a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
			first, _, _ := strings.Cut(fwd, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status for the access log; it passes Hijack through for websockets.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to the websocket upgrader.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be taken over")
	}
	w.status = http.StatusSwitchingProtocols
	return h.Hijack()
}

// accessLog logs each request: method, path (never the query or body, which may hold personal
// data), status and duration.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.InfoContext(r.Context(), "http", "method", r.Method, "path", logPath(r.URL.Path), "status", sw.status,
			"duration", time.Since(start).Round(time.Microsecond))
	})
}

// secretPaths are path prefixes whose next segment is a secret (a token): the access
// log shows "…" instead.
var secretPaths = []string{"/space/handoff/", "/signin/invite/"}

// logPath is the path as the access log may show it.
func logPath(p string) string {
	for _, prefix := range secretPaths {
		if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
			return prefix + "…"
		}
	}
	return p
}

// ipLimiter is a token bucket per client address, forgetting idle addresses.
type ipLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*ipBucket
	sweep   time.Time
}

type ipBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(every rate.Limit, burst int) *ipLimiter {
	return &ipLimiter{every: every, burst: burst, buckets: map[string]*ipBucket{}, sweep: time.Now()}
}

func (l *ipLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.sweep) > 5*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &ipBucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[ip] = b
	}
	b.seen = now
	return b.lim.Allow()
}

package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/nyisverige/lots/web/auth"
)

// AuthConfig holds what sign-in needs. With no Accounts nobody can sign in, and the pages that
// need a signed-in user say so.
type AuthConfig struct {
	Accounts      *auth.Accounts // users, sessions, recovery codes, roles
	Passkeys      *auth.Passkeys // nil: no passkeys
	OIDC          *auth.OIDC     // nil: no OpenID Connect providers
	SecureCookies bool           // mark cookies Secure on plain HTTP too: behind a proxy that ends TLS

	// attempts limits sign-in attempts per client address (recovery codes, ceremonies begun),
	// apart from the chat's questions; signinRoutes makes it.
	attempts *ipLimiter
}

// signinAttemptsPerMinute is how many sign-ins a client address may begin in a minute, after a
// burst of as many: plenty for people, nothing for guessing.
const signinAttemptsPerMinute = 10

// Cookies of sign-ins under way: each holds a random token naming the flow's state on the server.
const (
	passkeyFlowCookie = "lots_passkey_flow"
	oidcFlowCookie    = "lots_oidc_flow"
	codesFlowCookie   = "lots_codes_flow"
)

func (s *Server) signinRoutes(mux sessionMux) {
	s.cfg.Auth.attempts = newIPLimiter(rate.Every(time.Minute/signinAttemptsPerMinute), signinAttemptsPerMinute)
	mux.HandleFunc("GET /signin", s.signinPage)
	mux.HandleFunc("POST /signin/recovery", s.recoverySignIn)
	mux.HandleFunc("POST /signin/passkey/create/begin", s.passkeyCreateBegin)
	mux.HandleFunc("POST /signin/passkey/create/finish", s.passkeyCreateFinish)
	mux.HandleFunc("POST /signin/passkey/login/begin", s.passkeyLoginBegin)
	mux.HandleFunc("POST /signin/passkey/login/finish", s.passkeyLoginFinish)
	mux.HandleFunc("GET /signin/codes", s.requireUser(s.newSpaceCodes))
	mux.HandleFunc("GET /signin/oidc/{provider}", s.oidcBegin)
	mux.HandleFunc("GET /signin/oidc/{provider}/callback", s.oidcCallback)
	mux.HandleFunc("POST /signout", s.signout)
	mux.HandleFunc("GET /signin/invite/{token}", s.requireUser(s.invitePage))
	mux.HandleFunc("POST /signin/invite/{token}", s.requireUser(s.acceptInvite))
	mux.HandleFunc("GET /account", s.requireUser(s.accountPage))
	mux.HandleFunc("POST /account/passkeys/begin", s.requireUser(s.passkeyAddBegin))
	mux.HandleFunc("POST /account/passkeys/finish", s.requireUser(s.passkeyAddFinish))
	mux.HandleFunc("POST /account/passkeys/remove", s.requireUser(s.passkeyRemove))
	mux.HandleFunc("POST /account/codes", s.requireUser(s.regenerateCodes))
	mux.HandleFunc("POST /account/signout-everywhere", s.requireUser(s.signoutEverywhere))
}

// sessionMux registers the routes that know who is signed in: each looks the request's session
// up (withSession). The chat page, its API, static files, health checks and mounted routes
// have no use for it, and cost no query.
type sessionMux struct {
	mux *http.ServeMux
	s   *Server
}

// Handle registers h for pattern, with the signed-in user in its requests' context.
func (m sessionMux) Handle(pattern string, h http.Handler) { m.mux.Handle(pattern, m.s.withSession(h)) }

// HandleFunc registers h for pattern, with the signed-in user in its requests' context.
func (m sessionMux) HandleFunc(pattern string, h http.HandlerFunc) { m.Handle(pattern, h) }

// withSession puts the signed-in user, if any, into the request's context. An unknown or
// expired session cookie is cleared; it never becomes a session.
func (s *Server) withSession(next http.Handler) http.Handler {
	accounts := s.cfg.Auth.Accounts
	if accounts == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(auth.SessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		u, err := accounts.Session(r.Context(), c.Value)
		switch {
		case err == nil:
			r = r.WithContext(auth.WithUser(r.Context(), u))
		case errors.Is(err, auth.ErrNoSession):
			s.clearCookie(w, r, auth.SessionCookie, "/")
		default:
			s.log.ErrorContext(r.Context(), "session", "err", err)
		}
		next.ServeHTTP(w, r)
	})
}

// requireUser lets only a signed-in user through: others are sent to sign in and back (a page),
// or answered 401 (the JSON API, /api/ and the passkey ceremonies).
func (s *Server) requireUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.UserFrom(r.Context()); ok {
			next(w, r)
			return
		}
		if wantsJSON(r) {
			writeJSONError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
			return
		}
		q := url.Values{"lang": {pageLanguage(r)}}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			q.Set("next", r.URL.RequestURI())
		}
		http.Redirect(w, r, "/signin?"+q.Encode(), http.StatusSeeOther)
	}
}

// requireRole lets through only a signed-in user for whom check is true (auth.User.IsStaff, or
// a closure over CanSteward); a signed-in user without the role gets a 403 page.
func (s *Server) requireRole(check func(auth.User) bool, next http.HandlerFunc) http.HandlerFunc {
	return s.requireUser(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		if check(u) {
			next(w, r)
			return
		}
		if wantsJSON(r) {
			writeJSONError(w, http.StatusForbidden, "forbidden", "your account does not have the role this needs")
			return
		}
		v := s.view(w, r, "signin", "signin_forbidden_title")
		v.Error = v.T["signin_forbidden_text"]
		v.Data = problemData{Next: r.URL.RequestURI(), SignInAgain: true}
		s.renderView(w, http.StatusForbidden, "signin_problem.html", v)
	})
}

// wantsJSON reports whether the request is from a script rather than a page.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Content-Type"), "application/json") ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

// problemData is what signin_problem.html shows besides the error.
type problemData struct {
	Next        string // for "sign in with another account"
	SignInAgain bool
}

// allowAttempt reports whether the client may try to sign in now.
func (s *Server) allowAttempt(r *http.Request) bool {
	return s.cfg.Auth.attempts == nil || s.cfg.Auth.attempts.allow(s.clientIP(r))
}

// auditSelf records in the audit log what a user did to their own sign-in methods.
func (s *Server) auditSelf(ctx context.Context, userID, action string) {
	err := s.cfg.Auth.Accounts.Audit().Record(ctx, auth.Entry{ActorID: userID, Actor: "self", Action: action,
		SubjectType: "user", SubjectID: userID, OwnerID: userID})
	if err != nil {
		s.log.WarnContext(ctx, "audit", "action", action, "err", err)
	}
}

// secureCookies reports whether cookies get the Secure attribute.
func (s *Server) secureCookies(r *http.Request) bool { return r.TLS != nil || s.cfg.Auth.SecureCookies }

// setFlowCookie hands the browser the token of a sign-in under way, for ten minutes. lax lets it
// come back on the provider's redirect (a top-level navigation from another site).
func (s *Server) setFlowCookie(w http.ResponseWriter, r *http.Request, name, token string, lax bool) {
	same := http.SameSiteStrictMode
	if lax {
		same = http.SameSiteLaxMode
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", MaxAge: 600, HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: same})
}

// takeCookie returns the cookie's value and clears it.
func (s *Server) takeCookie(w http.ResponseWriter, r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	s.clearCookie(w, r, name, "/")
	return c.Value
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: s.secureCookies(r),
		SameSite: http.SameSiteLaxMode})
}

// signIn gives the user a new session: a fresh token (a session cookie the browser came with,
// perhaps planted by someone else, is ended, never adopted) and a fresh CSRF token. The cookie
// lasts until the browser closes; the server ends the session sooner when idle.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, userID, method, provider string) error {
	accounts := s.cfg.Auth.Accounts
	if c, err := r.Cookie(auth.SessionCookie); err == nil {
		if err := accounts.EndSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	token, _, err := accounts.StartSession(r.Context(), userID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	s.rotateCSRF(w, r)
	accounts.RecordSignIn(r.Context(), userID, method, provider)
	return nil
}

// localPath returns next when it is a path on this site ("/space?lang=ar"), else "": never
// another site's address ("//evil.example", "https://…", "/\evil.example").
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t\x00") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return next
}

// afterSignIn is where a sign-in leads: next when it is local, else the own space.
func afterSignIn(next, lang string) string {
	if p := localPath(next); p != "" {
		return p
	}
	return "/space?lang=" + url.QueryEscape(lang)
}

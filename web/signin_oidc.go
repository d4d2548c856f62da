package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/nyisverige/lots/web/auth"
)

// oidcBegin is GET /signin/oidc/{provider}: off to the provider, with the flow's token in a
// cookie that comes back with its redirect.
func (s *Server) oidcBegin(w http.ResponseWriter, r *http.Request) {
	lang := pageLanguage(r)
	if s.cfg.Auth.OIDC == nil || s.cfg.Auth.Accounts == nil {
		http.NotFound(w, r)
		return
	}
	if !s.allowAttempt(r) {
		s.signinError(w, r, lang, "rate")
		return
	}
	authURL, token, err := s.cfg.Auth.OIDC.Begin(r.Context(), r.PathValue("provider"), lang, localPath(r.URL.Query().Get("next")))
	switch {
	case errors.Is(err, auth.ErrUnknownProvider):
		http.NotFound(w, r)
		return
	case err != nil:
		s.log.WarnContext(r.Context(), "openid connect", "provider", r.PathValue("provider"), "err", err)
		s.signinError(w, r, lang, "provider")
		return
	}
	s.setFlowCookie(w, r, oidcFlowCookie, token, true)
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// oidcCallback is GET /signin/oidc/{provider}/callback, where the provider sends the browser
// back with a code: checked, exchanged and verified, it signs in.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Auth.OIDC == nil || s.cfg.Auth.Accounts == nil {
		http.NotFound(w, r)
		return
	}
	name := r.PathValue("provider")
	in, err := s.cfg.Auth.OIDC.Finish(r.Context(), name, s.takeCookie(w, r, oidcFlowCookie), r.URL.Query())
	if err == nil {
		err = s.signIn(w, r, in.UserID, "oidc", name)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, afterSignIn(in.Next, in.Language), http.StatusSeeOther)
	case errors.Is(err, auth.ErrFlowExpired):
		s.signinError(w, r, pageLanguage(r), "expired")
	case errors.Is(err, auth.ErrUnknownProvider):
		http.NotFound(w, r)
	case errors.Is(err, auth.ErrSignIn):
		s.log.InfoContext(r.Context(), "openid connect sign-in refused", "provider", name, "err", err)
		s.signinError(w, r, pageLanguage(r), "oidc")
	default:
		s.log.ErrorContext(r.Context(), "openid connect sign-in", "provider", name, "err", err)
		s.signinError(w, r, pageLanguage(r), "oidc")
	}
}

// signinError sends the browser to the sign-in page showing the error of code (signinErrors).
func (s *Server) signinError(w http.ResponseWriter, r *http.Request, lang, code string) {
	http.Redirect(w, r, "/signin?"+url.Values{"error": {code}, "lang": {lang}}.Encode(), http.StatusSeeOther)
}

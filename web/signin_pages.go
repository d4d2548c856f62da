package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/web/auth"
)

// signinData is what signin.html shows.
type signinData struct {
	Next         string          // where to go after signing in, a local path or ""
	Available    bool            // accounts are configured
	Passkeys     bool            // passkeys are configured
	Providers    []auth.Provider // OpenID Connect providers, one button each
	CodeInvalid  bool            // the recovery code just tried was wrong
	SignedIn     bool
	CSRFForJS    string // the CSRF token signin.js sends in its header
	SignInTarget string // afterSignIn for a link when already signed in
}

// signinErrors are the errors another handler may send to the sign-in page, by ?error=.
var signinErrors = map[string]string{
	"oidc":     "signin_error_oidc",
	"expired":  "signin_error_expired",
	"provider": "signin_error_provider",
	"rate":     "signin_error_rate",
}

// signinDone are the confirmations another handler may send to the sign-in page, by ?done=.
var signinDone = map[string]string{
	"signedout": "signin_signed_out",
}

func (s *Server) signinView(w http.ResponseWriter, r *http.Request) View {
	v := s.view(w, r, "signin", "signin_title")
	next := localPath(r.FormValue("next"))
	d := signinData{Next: next, Available: s.cfg.Auth.Accounts != nil, Passkeys: s.cfg.Auth.Passkeys != nil, CSRFForJS: v.CSRFToken}
	if s.cfg.Auth.OIDC != nil {
		d.Providers = s.cfg.Auth.OIDC.Providers()
	}
	d.SignedIn = v.User != nil
	d.SignInTarget = afterSignIn(next, v.Lang)
	if !d.Available {
		v.Error = v.T["signin_unavailable"]
	}
	if key, ok := signinErrors[r.URL.Query().Get("error")]; ok {
		v.Error = v.T[key]
	}
	if key, ok := signinDone[r.URL.Query().Get("done")]; ok {
		v.Flash = v.T[key]
	}
	v.Data = d
	return v
}

// signinPage is GET /signin: create a space with a passkey, or sign in with a passkey, a
// recovery code or an OpenID Connect provider.
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	s.renderView(w, http.StatusOK, "signin.html", s.signinView(w, r))
}

// recoverySignIn is POST /signin/recovery: a one-time recovery code signs in, once.
func (s *Server) recoverySignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	v := s.signinView(w, r)
	d := v.Data.(signinData)
	status := http.StatusOK
	switch {
	case !d.Available:
		status = http.StatusServiceUnavailable
	case !checkCSRF(r):
		v.Error, status = v.T["signin_error_csrf"], http.StatusForbidden
	case !s.allowAttempt(r):
		v.Error, status = v.T["signin_error_rate"], http.StatusTooManyRequests
	default:
		userID, err := s.cfg.Auth.Accounts.UseRecoveryCode(r.Context(), r.PostFormValue("code"))
		if err == nil {
			err = s.signIn(w, r, userID, "recovery", "")
		}
		if err == nil {
			http.Redirect(w, r, afterSignIn(d.Next, v.Lang), http.StatusSeeOther)
			return
		}
		if errors.Is(err, auth.ErrBadCode) {
			v.Error, status = v.T["signin_error_recovery"], http.StatusUnauthorized
			d.CodeInvalid = true
		} else {
			s.log.ErrorContext(r.Context(), "recovery sign-in", "err", err)
			v.Error, status = v.T["error_unavailable"], http.StatusServiceUnavailable
		}
	}
	v.Data = d
	s.renderView(w, status, "signin.html", v)
}

// codesData is what signin_codes.html shows: recovery codes, once.
type codesData struct {
	Codes    []string
	Continue string
}

// codesFlow is what creating a space leaves for its recovery codes page.
type codesFlow struct {
	UserID string `json:"user_id"`
	Next   string `json:"next"`
}

// newSpaceCodes is GET /signin/codes, right after a space is created: its recovery codes are
// made now and shown this once. Without the flow (a reload, another browser) it leads to the
// account page, where new codes can be made.
func (s *Server) newSpaceCodes(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	lang := pageLanguage(r)
	var f codesFlow
	err := s.cfg.Auth.Accounts.TakeFlow(r.Context(), auth.FlowRecoveryCodes, s.takeCookie(w, r, codesFlowCookie), &f)
	if err != nil || f.UserID != u.ID {
		http.Redirect(w, r, "/account?lang="+url.QueryEscape(lang), http.StatusSeeOther)
		return
	}
	s.showNewCodes(w, r, u, afterSignIn(f.Next, lang))
}

// showNewCodes replaces the user's recovery codes and shows the new ones.
func (s *Server) showNewCodes(w http.ResponseWriter, r *http.Request, u auth.User, next string) {
	codes, err := s.cfg.Auth.Accounts.NewRecoveryCodes(r.Context(), u.ID)
	v := s.view(w, r, "signin", "signin_codes_title")
	if err != nil {
		s.log.ErrorContext(r.Context(), "recovery codes", "err", err)
		v.Error = v.T["error_unavailable"]
		v.Data = problemData{}
		s.renderView(w, http.StatusServiceUnavailable, "signin_problem.html", v)
		return
	}
	s.auditSelf(r.Context(), u.ID, "auth.recovery_codes")
	v.Data = codesData{Codes: codes, Continue: next}
	s.renderView(w, http.StatusOK, "signin_codes.html", v)
}

// signout is POST /signout: the session ends here and its cookie goes.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	if !s.signinForm(w, r) {
		return
	}
	lang := formLanguage(r)
	if s.cfg.Auth.Accounts != nil {
		if err := s.cfg.Auth.Accounts.EndSession(r.Context(), s.takeCookie(w, r, auth.SessionCookie)); err != nil {
			s.log.ErrorContext(r.Context(), "sign out", "err", err)
		}
	}
	s.rotateCSRF(w, r)
	http.Redirect(w, r, "/signin?done=signedout&lang="+url.QueryEscape(lang), http.StatusSeeOther)
}

// formLanguage is the page language of a posted form: its "lang" or "language" field, or as
// pageLanguage finds it.
func formLanguage(r *http.Request) string {
	if l := r.PostFormValue("lang"); slices.Contains(retrieval.Languages, l) {
		return l
	}
	return pageLanguage(r)
}

// signinProblem renders signin_problem.html with the error of key.
func (s *Server) signinProblem(w http.ResponseWriter, r *http.Request, status int, key string) {
	v := s.view(w, r, "signin", "signin_problem_title")
	v.Error = v.T[key]
	v.Data = problemData{}
	s.renderView(w, status, "signin_problem.html", v)
}
